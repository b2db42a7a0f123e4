/**
 * The ingest store on PostgreSQL: the Kysely store, with the bulk statements sent as ONE JSON
 * parameter each (`json_array_elements`) instead of multi-row VALUES. Kysely built, and pg serialised,
 * one bind parameter per cell (4,400 for 400 records): about a third of the server's CPU time per
 * batch went there. Same SQL effects as the Kysely store; runs in the caller's transaction.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { AnswerChange } from './pairing.ts';
import {
  kyselyStore,
  type IngestStore,
  type StoredReceived,
  type StoredRecord,
  type StoredRef,
  type StoredSent,
} from './store.ts';

export function pgStore(trx: Transaction<Database>): IngestStore {
  return {
    ...kyselyStore(trx),
    async insertRecords(rows) {
      const inserted = new Set<string>();
      const first = rows[0];
      if (first === undefined) return inserted;
      // The BALF, batch and time are the batch's, passed once as ordinary parameters (a BALF address
      // is the one free text here: the JSON holds only validated keys, enums and computed dates).
      const { balf, batch_id: batchId, created_at: createdAt } = first;
      const cells = rows.map((r) => {
        if (r.balf !== balf || r.batch_id !== batchId || r.created_at !== createdAt)
          throw new Error('insertRecords: rows of one batch only');
        return [r.key, r.dir, r.at, r.day, r.cat, r.heuristic, r.answered_at, r.answer_heuristic, r.hdr];
      });
      const { rows: out } = await sql<{ key: string }>`
        insert into records (balf, key, dir, at, day, cat, heuristic, answered_at, answer_heuristic,
          hdr, batch_id, created_at)
        select ${balf}, c->>0, c->>1, c->>2, c->>3, c->>4, (c->>5)::integer, c->>6, (c->>7)::integer,
          (c->>8)::integer, ${batchId}, ${createdAt}
        from json_array_elements(${JSON.stringify(cells)}::json) as c
        on conflict (balf, key) do nothing
        returning key`.execute(trx);
      for (const r of out) inserted.add(r.key);
      return inserted;
    },
    async insertRefs(refs) {
      const first = refs[0];
      if (first === undefined) return [];
      const cells = refs.map((r) => {
        if (r.balf !== first.balf) throw new Error('insertRefs: references of one BALF only');
        return [r.sent_key, r.ref_key, r.position, r.heuristic];
      });
      // A request-closure reference that now comes from `re` becomes a header reference (see store.ts).
      const { rows } = await sql<StoredRef>`
        insert into record_refs (balf, sent_key, ref_key, position, heuristic)
        select ${first.balf}, c->>0, c->>1, (c->>2)::integer, (c->>3)::integer
        from json_array_elements(${JSON.stringify(cells)}::json) as c
        on conflict (balf, ref_key, sent_key) do update set heuristic = 0, position = excluded.position
          where record_refs.heuristic = 1 and excluded.heuristic = 0
        returning sent_key, ref_key, heuristic`.execute(trx);
      return rows;
    },
    async storedByKeys(balf, keys) {
      if (keys.length === 0) return [];
      const { rows } = await sql<StoredRecord>`
        select key, dir, day, cat, hdr, answered_at from records
        where balf = ${balf} and key = any(${keys}::text[])`.execute(trx);
      return rows;
    },
    async refineRecords(balf, changes) {
      if (changes.length === 0) return;
      await sql`
        update records set cat = c->>1, hdr = (c->>2)::integer
        from json_array_elements(${JSON.stringify(changes.map((c) => [c.key, c.cat, c.hdr]))}::json) as c
        where records.balf = ${balf} and records.key = c->>0`.execute(trx);
    },
    async receivedByKeys(balf, keys) {
      if (keys.length === 0) return [];
      const { rows } = await sql<StoredReceived>`
        select key, at, day, cat, answered_at, answer_heuristic from records
        where balf = ${balf} and dir = 'in' and key = any(${keys}::text[])`.execute(trx);
      return rows;
    },
    async refsTo(balf, keys) {
      if (keys.length === 0) return [];
      const { rows } = await sql<StoredRef>`
        select sent_key, ref_key, heuristic from record_refs
        where balf = ${balf} and ref_key = any(${keys}::text[])`.execute(trx);
      return rows;
    },
    async sentByKeys(balf, keys) {
      if (keys.length === 0) return [];
      const { rows } = await sql<StoredSent>`
        select key, at, cat, heuristic from records
        where balf = ${balf} and dir = 'out' and key = any(${keys}::text[])`.execute(trx);
      return rows;
    },
    async updateAnswers(balf, changes: readonly AnswerChange[]) {
      if (changes.length === 0) return;
      await sql`
        update records set answered_at = c->>1, answer_heuristic = (c->>2)::integer
        from json_array_elements(${JSON.stringify(changes.map((c) => [c.key, c.answeredAt, c.heuristic]))}::json) as c
        where records.balf = ${balf} and records.key = c->>0`.execute(trx);
    },
  };
}
