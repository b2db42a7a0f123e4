/**
 * Ingest through HTTP against the raw insert floor (the same rows inserted bare into `records`, same
 * driver, one transaction), and what the server must hold afterwards: every record once, every
 * reference, the answered mail, the rollups and the batch log.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { TallyBatchInput } from '../../src/core/protocol.ts';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { loadConfig } from '../../src/server/config.ts';
import type { OpenDb } from '../../src/server/db/connect.ts';
import type { Db } from '../../src/server/db/schema.ts';
import { seededRandom } from '../../test/support/seeded-random.ts';

/** Sums of the ingest answers of a run (each batch's `{ accepted, duplicates, rejected }`). */
export interface IngestAnswers {
  accepted: number;
  duplicates: number;
  rejected: number;
}

/**
 * Batches of 200 BALFs: received mail, and replies (40 %) to a received usager message of the same
 * BALF, 1 hour to 5 days after it. Keys are distinct over the whole run.
 */
export function ingestBatches(total: number, batchSize: number): TallyBatchInput[] {
  const r = seededRandom(7);
  const balfs = Array.from({ length: 200 }, (_, i) => `balf${i}@dgfip.finances.gouv.fr`);
  const received = new Map<string, { k: string; ms: number }[]>();
  const out: TallyBatchInput[] = [];
  let n = 0;
  const key = () => Buffer.from(String(n++).padStart(16, '0')).toString('base64url').slice(0, 22);
  for (let made = 0; made < total; made += batchSize) {
    const balf = balfs[out.length % balfs.length]!;
    const known = received.get(balf) ?? [];
    const records: TallyBatchInput['records'] = [];
    for (let i = 0; i < batchSize; i++) {
      const ms = Date.parse('2025-06-02T07:00:00Z') + Math.floor(r() * 25 * 86_400_000);
      if (known.length > 10 && r() < 0.4) {
        const answered = known[Math.floor(r() * known.length)]!;
        const at = new Date(answered.ms + 3_600_000 + Math.floor(r() * 4 * 86_400_000)).toISOString();
        records.push({ k: key(), dir: 'out', at, cat: 'reply', re: [answered.k] });
      } else {
        const k = key();
        const cat = r() < 0.7 ? 'usager' : 'interne';
        records.push({ k, dir: 'in', at: new Date(ms).toISOString(), cat });
        if (cat === 'usager') known.push({ k, ms });
      }
    }
    received.set(balf, known);
    out.push({
      schema: 1,
      batchId: randomUUID(),
      client: { id: 'bench', addon: '0.1.0', thunderbird: '128.5' },
      balf,
      records,
    });
  }
  return out;
}

const count = async (db: Db, query: ReturnType<typeof sql<{ n: number | string }>>): Promise<number> =>
  Number((await query.execute(db)).rows[0]?.n ?? 0);

/**
 * Throws unless the server holds exactly what the batches carried: records and distinct keys,
 * references, the received messages a reply references as answered, one rollup count per record
 * at both grains, one batch row per batch; `answers` are the HTTP answers summed.
 */
export async function checkIngested(
  db: Db,
  batches: readonly TallyBatchInput[],
  answers: IngestAnswers,
): Promise<string> {
  const records = batches.reduce((n, b) => n + b.records.length, 0);
  const refs = batches.reduce((n, b) => n + b.records.filter((r) => r.re?.length).length, 0);
  const answered = new Set(
    batches.flatMap((b) => b.records.flatMap((r) => (r.re ?? []).map((k) => `${b.balf} ${k}`))),
  );
  const want: [string, number, number][] = [
    ['acceptés (réponses HTTP)', records, answers.accepted],
    ['doublons (réponses HTTP)', 0, answers.duplicates + answers.rejected],
    ['enregistrements', records, await count(db, sql`select count(*) as n from records`)],
    ['clés distinctes', records, await count(db, sql`select count(distinct key) as n from records`)],
    ['références', refs, await count(db, sql`select count(*) as n from record_refs`)],
    [
      'reçus répondus',
      answered.size,
      await count(db, sql`select count(*) as n from records where answered_at is not null`),
    ],
    ['cumuls par BALF', records, await count(db, sql`select sum(count) as n from daily_flows`)],
    [
      'cumuls par département',
      records,
      await count(db, sql`select sum(count) as n from department_daily_flows`),
    ],
    ['lots', batches.length, await count(db, sql`select count(*) as n from batches`)],
  ];
  const wrong = want.filter(([, w, g]) => w !== g);
  if (wrong.length > 0)
    throw new Error(
      `ingestion : base fausse — ${wrong.map(([what, w, g]) => `${what} attendu ${w}, obtenu ${g}`).join(' ; ')}`,
    );
  return `${records} enregistrements et clés distinctes, ${refs} références, ${answered.size} reçus répondus, cumuls aux deux niveaux, ${batches.length} lots`;
}

/** The floor: the same rows inserted into `records` with the same driver, one transaction; checked. */
export async function bareInsert(opened: OpenDb, batches: readonly TallyBatchInput[]): Promise<number> {
  const rows = batches.flatMap((b) =>
    b.records.map((r) => ({
      balf: b.balf,
      key: r.k,
      dir: r.dir,
      at: r.at,
      day: r.at.slice(0, 10),
      cat: r.cat,
      heuristic: 0,
      answered_at: null,
      answer_heuristic: 0,
      batch_id: b.batchId,
      created_at: r.at,
    })),
  );
  const started = performance.now();
  await opened.db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 400)
      await trx
        .insertInto('records')
        .values(rows.slice(i, i + 400))
        .execute();
  });
  const perSecond = rows.length / ((performance.now() - started) / 1000);
  const stored = await count(opened.db, sql`select count(*) as n from records`);
  if (stored !== rows.length) throw new Error(`plancher : ${stored} lignes au lieu de ${rows.length}`);
  return perSecond;
}

export interface HttpRun {
  recordsPerSecond: number;
  seconds: number;
  serverLoopUtilization: number;
  processCpuSeconds: number;
  answers: IngestAnswers;
}

/** Posts the batches to a fresh app on `opened` with a national write token, from a client thread. */
export async function ingestOverHttp(
  opened: OpenDb,
  batches: readonly TallyBatchInput[],
  options: { concurrency: number; now?: Date },
): Promise<HttpRun> {
  // Errors only, on stderr: a failing ingest must say why.
  const logger = pino({ level: 'error' }, pino.destination({ fd: 2, sync: true }));
  const app = await buildApp({
    db: opened.db,
    rateLimit: false,
    config: loadConfig({}),
    logger,
    ...(options.now ? { clock: () => options.now! } : {}),
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { token } = await createToken(opened.db, {
    scope: { level: 'national' },
    canWrite: true,
    label: 'bench',
  });
  const bodies = batches.map((b) => JSON.stringify(b));
  const started = performance.now();
  const loopBefore = performance.eventLoopUtilization();
  const cpuBefore = process.cpuUsage();
  const answers = await runClients({
    url: `${url}/api/v1/tallies`,
    token,
    bodies,
    concurrency: options.concurrency,
  });
  const seconds = (performance.now() - started) / 1000;
  // How busy the server's thread was (1 = never waiting for a client), and the CPU time of the
  // process (server thread and client worker together).
  const loop = performance.eventLoopUtilization(loopBefore).utilization;
  const cpu = process.cpuUsage(cpuBefore);
  await app.close();
  const records = batches.reduce((n, b) => n + b.records.length, 0);
  return {
    recordsPerSecond: records / seconds,
    seconds,
    serverLoopUtilization: Number(loop.toFixed(2)),
    processCpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
    answers,
  };
}

/**
 * `concurrency` clients posting `bodies` in order from a worker thread, as remote workstations would
 * (their fetch, body writes and answer parsing do not share the server's thread); rejects on the
 * first non-200, else resolves with the answers summed.
 */
function runClients(data: {
  url: string;
  token: string;
  bodies: string[];
  concurrency: number;
}): Promise<IngestAnswers> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { url, token, bodies, concurrency } = workerData;
    const sums = { accepted: 0, duplicates: 0, rejected: 0 };
    let next = 0;
    Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
          body,
        });
        if (res.status !== 200) throw new Error('ingest ' + res.status + ': ' + (await res.text()));
        const answer = await res.json();
        for (const k of Object.keys(sums)) sums[k] += answer[k];
      }
    })).then(() => parentPort.postMessage(sums), (e) => parentPort.postMessage(String(e)));
  `;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: data });
    worker.once('message', (m: IngestAnswers | string) => {
      void worker.terminate();
      if (typeof m === 'string') reject(new Error(m));
      else resolve(m);
    });
    worker.once('error', reject);
  });
}
