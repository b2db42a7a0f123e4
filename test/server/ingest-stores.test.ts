// The three ingest stores — SQLite's prepared statements, plain Kysely (any other SQLite handle) and
// PostgreSQL's — leave the same tables and give the same answers for uploads that refine, add references
// and replay.
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { tallyBatchSchema, type TallyBatchInput } from '../../src/core/protocol.ts';
import type { Principal } from '../../src/server/auth/scope.ts';
import { migrate } from '../../src/server/db/connect.ts';
import type { Database, Db } from '../../src/server/db/schema.ts';
import { ingestBatch } from '../../src/server/ingest/ingest.ts';
import { rollupTables } from './rollup-tables.ts';
import { openTestDb } from './support.ts';

const BALF = 'sip.stores@dgfip.finances.gouv.fr';
const PRINCIPAL: Principal = { kind: 'token', id: 't', scope: { level: 'national' }, canWrite: true };
const k = (name: string) => name.padEnd(22, '0');
const [first, reminder, other, reply, late] = ['first', 'reminder', 'other', 'reply', 'late'].map(k) as [
  string,
  string,
  string,
  string,
  string,
];

let uuid = 0;
const upload = (records: TallyBatchInput['records'], batchId?: string): TallyBatchInput => ({
  schema: 2,
  batchId: batchId ?? `00000000-0000-4000-8000-${String(++uuid).padStart(12, '0')}`,
  client: { id: 'c', addon: '1', thunderbird: '128' },
  balf: BALF,
  records,
});

/** Uploads that exercise every path of the refine and refs steps, a replay among them. */
function uploads(): TallyBatchInput[] {
  uuid = 0;
  const refining = upload([
    { k: first, dir: 'in', at: '2025-06-02T08:00:00.000Z', cat: 'usager', hdr: true },
  ]);
  return [
    upload([
      { k: first, dir: 'in', at: '2025-06-02T08:00:00.000Z', cat: 'auto' },
      { k: reminder, dir: 'in', at: '2025-06-04T08:00:00.000Z', cat: 'usager' },
      { k: other, dir: 'in', at: '2025-06-04T09:00:00.000Z', cat: 'junk', hdr: true },
      { k: late, dir: 'out', at: '2025-06-13T08:00:00.000Z', cat: 'reply', re: [first] },
      { k: reply, dir: 'out', at: '2025-06-05T08:00:00.000Z', cat: 'reply', re: [reminder] },
    ]),
    refining,
    refining,
    upload([
      { k: reply, dir: 'out', at: '2025-06-05T08:00:00.000Z', cat: 'reply', re: [reminder], hre: [first] },
      { k: reminder, dir: 'in', at: '2025-06-04T08:00:00.000Z', cat: 'auto' },
      { k: other, dir: 'in', at: '2025-06-04T09:00:00.000Z', cat: 'usager' },
      { k: other, dir: 'out', at: '2025-06-04T09:00:00.000Z', cat: 'reply', re: [first] },
    ]),
    upload([{ k: reply, dir: 'out', at: '2025-06-05T08:00:00.000Z', cat: 'reply', re: [reminder, first] }]),
  ];
}

async function play(db: Db) {
  const answers = [];
  for (const body of uploads()) {
    const answer = await ingestBatch(db, tallyBatchSchema.parse(body), {
      principal: PRINCIPAL,
      now: new Date('2025-06-30T10:00:00Z'),
      whitMondayWorked: false,
    });
    answers.push({ ...answer });
  }
  const { rows: records } = await sql<Record<string, unknown>>`select key, dir, day, cat, hdr, answered_at,
    answer_heuristic from records order by key`.execute(db);
  const { rows: refs } = await sql<Record<string, unknown>>`select sent_key, ref_key, position, heuristic
    from record_refs order by sent_key, ref_key`.execute(db);
  const numbers = (rows: Record<string, unknown>[]) =>
    rows.map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([c, v]) => [c, typeof v === 'string' || v === null ? v : Number(v)]),
      ),
    );
  return { answers, records: numbers(records), refs: numbers(refs), rollups: await rollupTables(db) };
}

describe('ingest stores', () => {
  it('leave the same tables and answers on SQLite (prepared), SQLite (Kysely) and PostgreSQL', async () => {
    const prepared = await openTestDb('sqlite');
    const postgres = await openTestDb('postgres');
    // A SQLite handle the ingest does not know: it goes through the Kysely store.
    const plain = new Kysely<Database>({ dialect: new SqliteDialect({ database: new SQLite(':memory:') }) });
    try {
      await migrate(plain);
      const expected = await play(prepared.db);
      expect(expected.answers.map((a) => [a.accepted, a.duplicates, a.updated, a.replay])).toEqual([
        [5, 0, 0, false],
        [0, 1, 1, false],
        [0, 1, 1, true],
        [0, 4, 2, false],
        [0, 1, 1, false],
      ]);
      expect(expected.records.find((r) => r['key'] === first)).toMatchObject({
        cat: 'usager',
        hdr: 1,
        answered_at: '2025-06-05T08:00:00.000Z',
        answer_heuristic: 0,
      });
      expect(await play(plain)).toEqual(expected);
      expect(await play(postgres.db)).toEqual(expected);
    } finally {
      await plain.destroy();
      await prepared.close();
      await postgres.close();
    }
  });
});
