/**
 * Server benchmark (`npm run bench:server [-- --scale 0.01] [-- --only sqlite|postgres] [-- --part ingest|national]`),
 * printing JSON. Ingest: records/s through HTTP against the raw insert floor measured in the same run.
 * National: a year of national data (5,000 BALFs, 250,000 records a day at scale 1) loaded in bulk,
 * then stats at every level, an upload, a calendar recompute and purges. Every figure comes with the
 * check it passed; a wrong or empty answer stops the run with a non-zero exit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/server/config.ts';
import { openDatabase, type OpenDb } from '../src/server/db/connect.ts';
import { createDatabase, startPostgres } from '../test/support/postgres.ts';
import { benchIngest } from './bench/ingest-rounds.ts';
import { benchNational } from './bench/national-run.ts';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const integer = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
  const n = Number(option(name) ?? fallback);
  if (!(Number.isInteger(n) && n >= min && n <= max))
    throw new Error(`--${name} doit être un entier de ${min} à ${max}`);
  return n;
};
const scale = Number(option('scale') ?? '1');
if (!(scale > 0 && scale <= 1)) throw new Error('--scale doit être un nombre dans ]0, 1]');
const only = option('only');
/** `--part ingest` or `--part national` (`stats` is the former name) runs half of the benchmark. */
const part = option('part') === 'stats' ? 'national' : option('part');
if (part !== undefined && !['ingest', 'national'].includes(part))
  throw new Error('--part doit valoir ingest ou national');

const ingestOptions = {
  records: Math.max(20_000, Math.round(200_000 * scale)),
  /** The add-on sends up to 5,000 records (and 1 MB) per batch during a back-fill. */
  batchSize: integer('batch-size', 1000, 1, 5000),
  /** Clients posting at once: a group commit holds at most this many batches. */
  concurrency: integer('concurrency', 4, 1),
  rounds: integer('rounds', 3, 1),
};

const YEAR = '2025';
const DAYS = 365;
const rawDays = integer('raw-days', DAYS, 1, DAYS);
const rawFrom = new Date(Date.UTC(2025, 0, 1 + DAYS - rawDays)).toISOString().slice(0, 10);
const nationalOptions = {
  shape: {
    balfs: Math.max(2, Math.round(5000 * scale)),
    recordsPerDay: Math.max(40, Math.round(250_000 * scale)),
    firstDay: `${YEAR}-01-01`,
    days: DAYS,
    rawFrom,
    whitMondayWorked: loadConfig({}).whitMondayWorked,
    seed: 42,
  },
  year: YEAR,
  month: option('month') ?? `${YEAR}-06`,
  now: new Date(`${Number(YEAR) + 1}-01-06T10:00:00Z`),
  runs: integer('runs', 30, 1),
  uploadBalfs: Math.min(50, Math.max(2, Math.round(5000 * scale))),
  concurrency: ingestOptions.concurrency,
};

async function benchDatabase(
  kind: 'sqlite' | 'postgres',
  open: () => Promise<OpenDb>,
  target: () => Promise<Parameters<typeof benchNational>[0]>,
) {
  const ingest = part === 'national' ? null : await benchIngest(open, ingestOptions);
  const national = part === 'ingest' ? null : await benchNational(await target(), nationalOptions);
  return { kind, ingest, national };
}

const load = () => loadavg().map((x) => Number(x.toFixed(1)));
const startedAt = new Date().toISOString();
const loadBefore = load();
const results: unknown[] = [];
const dir = mkdtempSync(join(tmpdir(), 'suivi-bench-'));
try {
  if (only !== 'postgres') {
    let n = 0;
    const file = () => join(dir, `bench-${n++}.sqlite`);
    results.push(
      await benchDatabase(
        'sqlite',
        () => openDatabase({ kind: 'sqlite', file: file() }),
        async () => ({ kind: 'sqlite', file: file() }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
  if (only !== 'sqlite') {
    const cluster = await startPostgres({ durable: true });
    try {
      // A national server's WAL is sized for bulk writes: the default 1 GB checkpoints every few seconds.
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      await admin.query(`alter system set max_wal_size = '8GB'`);
      await admin.query('select pg_reload_conf()');
      await admin.end();
      results.push(
        await benchDatabase(
          'postgres',
          async () => openDatabase({ kind: 'postgres', url: await createDatabase(cluster.url, 'bench') }),
          async () => ({ kind: 'postgres', url: await createDatabase(cluster.url, 'bench') }),
        ),
      );
    } finally {
      await cluster.stop();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  JSON.stringify(
    {
      scale,
      startedAt,
      endedAt: new Date().toISOString(),
      /** `uptime`'s load averages (1, 5, 15 min) before and after: the machine is shared. */
      load: { before: loadBefore, after: load() },
      machine: {
        cpus: cpus().length,
        cpu: cpus()[0]?.model,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.version,
      },
      results,
    },
    null,
    2,
  ),
);
