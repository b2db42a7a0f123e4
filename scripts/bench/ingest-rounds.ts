/**
 * The ingest measure of bench:server: rounds of floor / HTTP ingest / floor, each on a fresh database,
 * the figures of the median round, the stricter "same statements" floor, and each HTTP run's check.
 */
import { sql } from 'kysely';
import { performance } from 'node:perf_hooks';
import type { TallyBatchInput } from '../../src/core/protocol.ts';
import { sqliteHandleOf, type OpenDb } from '../../src/server/db/connect.ts';
import { bareInsert, checkIngested, ingestBatches, ingestOverHttp, type HttpRun } from './ingest-http.ts';

export interface IngestOptions {
  records: number;
  batchSize: number;
  concurrency: number;
  rounds: number;
}

export async function benchIngest(open: () => Promise<OpenDb>, options: IngestOptions) {
  const batches = ingestBatches(options.records, options.batchSize);
  // The floor is measured before and after each HTTP run, each on a fresh database: on a shared
  // machine the load drifts, and one floor alone moved the ratio by ±30 % from run to run; the round
  // with the median ratio is reported.
  const rounds: { http: HttpRun; floorBefore: number; floorAfter: number; ratio: number; checked: string }[] =
    [];
  for (let i = 0; i < options.rounds; i++) {
    const floorBefore = await floorOn(open, batches);
    const ingestDb = await open();
    let http: HttpRun;
    let checked: string;
    try {
      http = await ingestOverHttp(ingestDb, batches, { concurrency: options.concurrency });
      checked = await checkIngested(ingestDb.db, batches, http.answers);
    } finally {
      await ingestDb.close();
    }
    const floorAfter = await floorOn(open, batches);
    rounds.push({
      http,
      floorBefore,
      floorAfter,
      ratio: http.recordsPerSecond / ((floorBefore + floorAfter) / 2),
      checked,
    });
  }
  const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
  const { http, floorBefore, floorAfter } = median;
  const floor = (floorBefore + floorAfter) / 2;
  // A stricter floor, with the statements the ingest itself uses, also in one transaction: on SQLite
  // one prepared single-row insert run in a loop; on PostgreSQL one JSON bulk insert per batch.
  const prepared = await preparedFloorOn(open, batches);
  return {
    records: batches.reduce((n, b) => n + b.records.length, 0),
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    httpRecordsPerSecond: Math.round(http.recordsPerSecond),
    httpSeconds: Number(http.seconds.toFixed(1)),
    serverLoopUtilization: http.serverLoopUtilization,
    processCpuSeconds: http.processCpuSeconds,
    bareInsertRecordsPerSecond: Math.round(floor),
    bareInsertBeforeAfter: [Math.round(floorBefore), Math.round(floorAfter)],
    ratioToFloor: Number((http.recordsPerSecond / floor).toFixed(3)),
    rounds: rounds.map((r) => ({
      httpRecordsPerSecond: Math.round(r.http.recordsPerSecond),
      bareInsertBeforeAfter: [Math.round(r.floorBefore), Math.round(r.floorAfter)],
      ratioToFloor: Number(r.ratio.toFixed(3)),
    })),
    preparedInsertRecordsPerSecond: Math.round(prepared),
    ratioToPreparedFloor: Number((http.recordsPerSecond / prepared).toFixed(3)),
    checked: median.checked,
  };
}

async function floorOn(open: () => Promise<OpenDb>, batches: readonly TallyBatchInput[]): Promise<number> {
  const db = await open();
  try {
    return await bareInsert(db, batches);
  } finally {
    await db.close();
  }
}

async function preparedFloorOn(
  open: () => Promise<OpenDb>,
  batches: readonly TallyBatchInput[],
): Promise<number> {
  const opened = await open();
  try {
    const handle = sqliteHandleOf(opened.db);
    if (!handle) return await jsonFloor(opened, batches);
    const insert = handle.prepare(`insert into records (balf, key, dir, at, day, cat, heuristic, answered_at,
      answer_heuristic, batch_id, created_at) values (?, ?, ?, ?, ?, ?, 0, null, 0, ?, ?)`);
    const started = performance.now();
    let n = 0;
    handle.transaction(() => {
      for (const b of batches)
        for (const r of b.records) {
          insert.run(b.balf, r.k, r.dir, r.at, r.at.slice(0, 10), r.cat, b.batchId, r.at);
          n++;
        }
    })();
    return n / ((performance.now() - started) / 1000);
  } finally {
    await opened.close();
  }
}

/**
 * PostgreSQL's stricter floor: the ingest's own bulk statement (`json_array_elements`, one JSON
 * parameter per batch, src/server/ingest/pg-store.ts) in one transaction.
 */
async function jsonFloor(opened: OpenDb, batches: readonly TallyBatchInput[]): Promise<number> {
  const started = performance.now();
  let n = 0;
  await opened.db.transaction().execute(async (trx) => {
    for (const b of batches) {
      const cells = b.records.map((r) => [r.k, r.dir, r.at, r.at.slice(0, 10), r.cat, r.at]);
      n += cells.length;
      await sql`insert into records (balf, key, dir, at, day, cat, heuristic, answered_at, answer_heuristic,
          batch_id, created_at)
        select ${b.balf}, c->>0, c->>1, c->>2, c->>3, c->>4, 0, null, 0, ${b.batchId}, c->>5
        from json_array_elements(${JSON.stringify(cells)}::json) as c`.execute(trx);
    }
  });
  return n / ((performance.now() - started) / 1000);
}
