/**
 * The ingest store on the embedded SQLite database through statements prepared once per handle:
 * Kysely compiled and prepared every multi-row statement anew (≈ a third of the ingest's CPU time
 * went to building, preparing and freeing SQL text). Same SQL effects as the Kysely store; runs
 * inside the group-commit transaction, on the same connection.
 */
import type SQLite from 'better-sqlite3';
import { HORIZON_SETTING } from '../retention/horizon.ts';
import { placementOf, type PlacementRow } from './directory.ts';
import type { AnswerChange } from './pairing.ts';
import { sortedFlowChanges } from './rollups.ts';
import type { IngestStore, StoredReceived, StoredRecord, StoredRef, StoredSent } from './store.ts';

type Statement = SQLite.Statement<unknown[], unknown>;

const prepared = new WeakMap<SQLite.Database, Statements>();

type Statements = ReturnType<typeof prepareAll>;

function prepareAll(h: SQLite.Database) {
  const p = (text: string): Statement => h.prepare(text);
  return {
    place: p(`select s.code as service, s.department_code as department, s.region as serviceRegion,
        d.region as departmentRegion from balfs b join services s on s.code = b.service_code
        join departments d on d.code = s.department_code where b.address = ?`),
    replayed: p('select balf, accepted, duplicates, updated from batches where batch_id = ?'),
    storedHome: p('select department, region from balf_homes where balf = ?'),
    retentionHorizon: p(`select value from settings where name = '${HORIZON_SETTING}'`),
    saveHome: p(`insert into balf_homes (balf, department, region) values (?, ?, ?)
        on conflict (balf) do update set department = excluded.department, region = excluded.region`),
    insertRecord: p(`insert into records (balf, key, dir, at, day, cat, heuristic, hdr, answered_at,
        answer_heuristic, batch_id, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        on conflict (balf, key) do nothing`),
    // A request-closure reference that now comes from `re` becomes a header reference (see store.ts).
    insertRef: p(`insert into record_refs (balf, ref_key, sent_key, position, heuristic)
        values (?, ?, ?, ?, ?) on conflict (balf, ref_key, sent_key)
        do update set heuristic = 0, position = excluded.position
        where record_refs.heuristic = 1 and excluded.heuristic = 0`),
    addFlow: p(`insert into daily_flows (balf, day, dir, cat, count, refined) values (?, ?, ?, ?, ?, ?)
        on conflict (balf, day, dir, cat) do update set count = daily_flows.count + excluded.count,
        refined = daily_flows.refined + excluded.refined`),
    addDepartmentFlow: p(`insert into department_daily_flows (department, day, dir, cat, count, refined)
        values (?, ?, ?, ?, ?, ?) on conflict (day, department, dir, cat)
        do update set count = department_daily_flows.count + excluded.count,
        refined = department_daily_flows.refined + excluded.refined`),
    dropFlow: p('delete from daily_flows where balf = ? and day = ? and dir = ? and cat = ? and count <= 0'),
    dropDepartmentFlow: p(`delete from department_daily_flows
        where day = ? and department = ? and dir = ? and cat = ? and count <= 0`),
    addReply: p(`insert into daily_replies (balf, day, delay, count) values (?, ?, ?, ?)
        on conflict (balf, day, delay) do update set count = daily_replies.count + excluded.count`),
    addDepartmentReply: p(`insert into department_daily_replies (department, region, day, delay, count)
        values (?, ?, ?, ?, ?) on conflict (day, department, region, delay)
        do update set count = department_daily_replies.count + excluded.count`),
    dropReply: p('delete from daily_replies where balf = ? and day = ? and delay = ? and count <= 0'),
    dropDepartmentReply: p(`delete from department_daily_replies
        where day = ? and department = ? and region = ? and delay = ? and count <= 0`),
    // Lookups by a list of keys: one statement per list (a JSON array read by json_each), each key
    // still an index search — five times faster than one statement run per key (bench).
    received: p(`select key, at, day, cat, answered_at, answer_heuristic from records
        where balf = ? and key in (select value from json_each(?)) and dir = 'in'`),
    // The primary key is (balf, ref_key, sent_key): one search per key (migration 0005).
    refsTo: p(`select sent_key, ref_key, heuristic from record_refs
        where balf = ? and ref_key in (select value from json_each(?))`),
    stored: p(`select key, dir, day, cat, hdr, answered_at from records
        where balf = ? and key in (select value from json_each(?))`),
    refine: p('update records set cat = ?, hdr = ? where balf = ? and key = ?'),
    sent: p(`select key, at, cat, heuristic from records
        where balf = ? and key in (select value from json_each(?)) and dir = 'out'`),
    updateAnswer: p('update records set answered_at = ?, answer_heuristic = ? where balf = ? and key = ?'),
    insertBatch: p(`insert into batches (batch_id, token_id, balf, client_id, seq, records, accepted,
        duplicates, updated, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
  };
}

/** Sorted like the Kysely store, so both touch shared department rows in the same order. */
function sortedNonZero(counts: ReadonlyMap<string, number>): [string, number][] {
  return [...counts].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Rows of a lookup statement for a list of keys (see `received`); keys not stored are left out. */
function rowsByKeys<T>(statement: Statement, balf: string, keys: readonly string[]): T[] {
  return keys.length === 0 ? [] : (statement.all(balf, JSON.stringify(keys)) as T[]);
}

export function sqliteStore(handle: SQLite.Database): IngestStore {
  let s = prepared.get(handle);
  if (!s) prepared.set(handle, (s = prepareAll(handle)));
  const st = s;
  return {
    async place(balf) {
      return placementOf(balf, st.place.get(balf) as PlacementRow | undefined);
    },
    async retentionHorizon() {
      return (st.retentionHorizon.get() as { value: string } | undefined)?.value ?? null;
    },
    async replayed(batchId) {
      return st.replayed.get(batchId) as
        { balf: string; accepted: number; duplicates: number; updated: number } | undefined;
    },
    async storedHome(balf) {
      return (st.storedHome.get(balf) as { department: string; region: string } | undefined) ?? null;
    },
    async saveHome(balf, home) {
      st.saveHome.run(balf, home.department, home.region);
    },
    async insertRecords(rows) {
      const inserted = new Set<string>();
      for (const r of rows) {
        const { changes } = st.insertRecord.run(
          r.balf,
          r.key,
          r.dir,
          r.at,
          r.day,
          r.cat,
          r.heuristic,
          r.hdr,
          r.answered_at,
          r.answer_heuristic,
          r.batch_id,
          r.created_at,
        );
        if (changes === 1) inserted.add(r.key);
      }
      return inserted;
    },
    async storedByKeys(balf, keys) {
      return rowsByKeys<StoredRecord>(st.stored, balf, keys);
    },
    async refineRecords(balf, changes) {
      for (const c of changes) st.refine.run(c.cat, c.hdr, balf, c.key);
    },
    async insertRefs(refs) {
      const added: StoredRef[] = [];
      for (const r of refs) {
        if (st.insertRef.run(r.balf, r.ref_key, r.sent_key, r.position, r.heuristic).changes === 1)
          added.push({ sent_key: r.sent_key, ref_key: r.ref_key, heuristic: r.heuristic });
      }
      return added;
    },
    async addFlowCounts(balf, home, counts) {
      for (const [k, { count, refined }] of sortedFlowChanges(counts)) {
        const [day, dir, cat] = k.split('|') as [string, string, string];
        st.addFlow.run(balf, day, dir, cat, count, refined);
        st.addDepartmentFlow.run(home.department, day, dir, cat, count, refined);
        if (count < 0) {
          st.dropFlow.run(balf, day, dir, cat);
          st.dropDepartmentFlow.run(day, home.department, dir, cat);
        }
      }
    },
    async addReplyCounts(balf, home, counts) {
      for (const [k, count] of sortedNonZero(counts)) {
        const [day, delayText] = k.split('|') as [string, string];
        const delay = Number(delayText);
        st.addReply.run(balf, day, delay, count);
        st.addDepartmentReply.run(home.department, home.region, day, delay, count);
        if (count < 0) {
          st.dropReply.run(balf, day, delay);
          st.dropDepartmentReply.run(day, home.department, home.region, delay);
        }
      }
    },
    async receivedByKeys(balf, keys) {
      return rowsByKeys<StoredReceived>(st.received, balf, keys);
    },
    async refsTo(balf, keys) {
      return rowsByKeys<StoredRef>(st.refsTo, balf, keys);
    },
    async sentByKeys(balf, keys) {
      return rowsByKeys<StoredSent>(st.sent, balf, keys);
    },
    async updateAnswers(balf, changes: readonly AnswerChange[]) {
      for (const c of changes) st.updateAnswer.run(c.answeredAt, c.heuristic, balf, c.key);
    },
    async insertBatch(row) {
      st.insertBatch.run(
        row.batch_id,
        row.token_id,
        row.balf,
        row.client_id,
        row.seq,
        row.records,
        row.accepted,
        row.duplicates,
        row.updated,
        row.created_at,
      );
    },
  };
}
