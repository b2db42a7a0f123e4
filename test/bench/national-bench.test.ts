// The national bench data at a tiny scale: the generator writes the state the server's own code keeps
// (a recompute of every BALF changes nothing), the stats measure fails on an empty or wrong answer, and
// the whole national part of bench:server runs with every check passing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, sqliteHandleOf, type DbTarget, type OpenDb } from '../../src/server/db/connect.ts';
import { recomputeBalf } from '../../src/server/ingest/recompute.ts';
import { postgresBulkWriter, sqliteBulkWriter, type BulkWriter } from '../../scripts/bench/bulk-writer.ts';
import type { NationalShape } from '../../scripts/bench/national-model.ts';
import { loadNational } from '../../scripts/bench/national-load.ts';
import { benchNational } from '../../scripts/bench/national-run.ts';
import { measureStats, statsCases, type StatsContext } from '../../scripts/bench/national-stats.ts';
import type { NationalTruth } from '../../scripts/bench/national-truth.ts';
import { createDatabase } from '../support/postgres.ts';
import { databaseKinds } from '../server/support.ts';

const SHAPE: NationalShape = {
  balfs: 8,
  recordsPerDay: 300,
  firstDay: '2025-05-20',
  days: 42,
  // The first week holds rollups only, behind a retention horizon, as after a purge.
  rawFrom: '2025-05-27',
  whitMondayWorked: false,
  seed: 1,
};
const NOW = new Date('2025-07-02T10:00:00Z');

/** Every row the ingest keeps per BALF, in a comparable form. */
async function snapshot(db: OpenDb['db']) {
  const rows = async (query: string) =>
    (await sql.raw<Record<string, unknown>>(query).execute(db)).rows.map((r) =>
      Object.values(r)
        .map((v) => (typeof v === 'bigint' || typeof v === 'number' ? Number(v) : v))
        .join('|'),
    );
  return {
    records: await rows(
      'select balf, key, dir, at, day, cat, answered_at, answer_heuristic from records order by balf, key',
    ),
    refs: await rows(
      'select balf, ref_key, sent_key, position from record_refs order by balf, ref_key, sent_key',
    ),
    flows: await rows('select balf, day, dir, cat, count from daily_flows order by balf, day, dir, cat'),
    replies: await rows('select balf, day, delay, count from daily_replies order by balf, day, delay'),
    departmentFlows: await rows(
      'select department, day, dir, cat, count from department_daily_flows order by department, day, dir, cat',
    ),
    departmentReplies: await rows(
      'select department, region, day, delay, count from department_daily_replies order by department, region, day, delay',
    ),
    homes: await rows('select balf, department, region from balf_homes order by balf'),
  };
}

describe.each(databaseKinds)('national bench data on %s', (kind) => {
  let opened: OpenDb;
  let writer: BulkWriter;
  let truth: NationalTruth;
  beforeAll(async () => {
    if (kind === 'sqlite') {
      opened = await openDatabase({ kind: 'sqlite', file: ':memory:' });
      writer = sqliteBulkWriter(sqliteHandleOf(opened.db)!);
    } else {
      const url = await createDatabase(inject('pgUrl'));
      opened = await openDatabase({ kind: 'postgres', url });
      writer = await postgresBulkWriter(url);
    }
    ({ truth } = await loadNational(writer, SHAPE));
  });
  afterAll(async () => {
    await writer.close();
    await opened.close();
  });

  it('holds what its truth says: records, references, rollups at both grains', async () => {
    const one = async (query: string) =>
      Number(Object.values((await sql.raw(query).execute(opened.db)).rows[0] as object)[0]);
    expect(truth.rawRecords).toBeGreaterThan(5000);
    expect(await one('select count(*) from records')).toBe(truth.rawRecords);
    expect(await one('select count(*) from record_refs')).toBe(truth.rawRefs);
    expect(await one('select count(*) from batches')).toBe(truth.rawBatches);
    expect(await one('select sum(count) from daily_flows')).toBe(truth.rollupRecords);
    expect(await one('select sum(count) from department_daily_flows')).toBe(truth.rollupRecords);
    expect(await one("select count(*) from records where day < '2025-05-27'")).toBe(0);
  });

  it('is what the server itself computes: recomputing every BALF from its records changes no row', async () => {
    const before = await snapshot(opened.db);
    expect(before.records.filter((r) => r.split('|')[6] !== '').length).toBeGreaterThan(500);
    for (const balf of truth.directory.balfs)
      await recomputeBalf(opened.db, balf.address, { whitMondayWorked: false });
    const after = await snapshot(opened.db);
    for (const table of Object.keys(before) as (keyof typeof before)[])
      expect(after[table], table).toEqual(before[table]);
  });

  describe('stats measure', () => {
    let app: FastifyInstance;
    let ctx: StatsContext;
    beforeAll(async () => {
      app = await buildApp({ db: opened.db, rateLimit: false, clock: () => NOW, config: loadConfig({}) });
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const { token } = await createToken(opened.db, { scope: { level: 'national' }, canWrite: false });
      ctx = { url, token, truth, now: NOW, whitMondayWorked: false };
    });
    afterAll(async () => app.close());

    it('checks every level, a month and a year, another target and the CSV against the truth', async () => {
      const cases = statsCases(truth, '2025', '2025-06');
      const figures = await measureStats(ctx, cases, 1);
      expect(Object.keys(figures)).toEqual(cases.map((c) => c.name));
      const national = truth.expected(cases[0]!.query, 5, NOW, false);
      expect(national.totals.received).toBeGreaterThan(1000);
      expect(national.totals.pending).toBeGreaterThan(0);
      expect(national.totals.overdue).toBeGreaterThan(0);
      expect(national.totals.answeredLate).toBeGreaterThan(0);
    });

    it('fails loudly when the department rollups are missing (an empty national answer)', async () => {
      const nationalYear = statsCases(truth, '2025', '2025-06').filter((c) => c.name === 'nationalYearCsv');
      await sql`delete from department_daily_flows where day = '2025-06-10'`.execute(opened.db);
      await expect(measureStats(ctx, nationalYear, 1)).rejects.toThrow(
        /nationalYearCsv : réponse fausse .*totaux received/,
      );
      await sql`delete from department_daily_flows`.execute(opened.db);
      await sql`delete from department_daily_replies`.execute(opened.db);
      const month = statsCases(truth, '2025', '2025-06').filter((c) => c.name === 'nationalMonth');
      await expect(measureStats(ctx, month, 1)).rejects.toThrow(/attendu \d+, obtenu 0/);
    });
  });
});

describe.each(databaseKinds)('bench:server national part on %s, at a tiny scale', (kind) => {
  it('loads a year, and every measure passes its check: stats, upload, recompute, purges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-national-'));
    try {
      const target: DbTarget =
        kind === 'sqlite'
          ? { kind, file: join(dir, 'national.sqlite') }
          : { kind, url: await createDatabase(inject('pgUrl')) };
      const figures = await benchNational(target, {
        shape: {
          ...SHAPE,
          balfs: 3,
          recordsPerDay: 45,
          firstDay: '2025-01-01',
          days: 365,
          rawFrom: '2025-01-01',
        },
        year: '2025',
        month: '2025-06',
        now: new Date('2026-01-06T10:00:00Z'),
        runs: 1,
        uploadBalfs: 2,
        concurrency: 2,
      });
      expect(figures.load.records).toBeGreaterThan(10_000);
      expect(Object.keys(figures.checks)).toEqual([
        'load',
        'upload',
        'statsAfterUpload',
        'statsAfterRecompute',
        'purgedRefs',
        'statsAfterPurge',
      ]);
      expect(figures.upload.replies).toBeGreaterThan(0);
      expect(figures.recompute.balfs).toBe(3);
      expect(figures.purges.map((p) => p.records > 0)).toEqual([true, true]);
      expect(figures.sizeBytes).toBeGreaterThan(1_000_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
