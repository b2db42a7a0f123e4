/**
 * Load benchmark of the collection server (`npm run bench:load`): the real `serve` process on loopback, autocannon clients,
 * a department's morning (many clients, 5,000-record batches) and a scaled national day, on SQLite and PostgreSQL.
 * Prints throughput, p99 latency, error rate and checks that the stored counts equal what was sent.
 * Environment: BENCH_CLIENTS (200), BENCH_RECORDS (5000), BENCH_NATIONAL_BALFS (1000), BENCH_NATIONAL_RECORDS (100), BENCH_DB (sqlite,postgres).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createToken } from '../src/server/auth/tokens.ts';
import { openDatabase, type DbTarget } from '../src/server/db/connect.ts';
import { createDatabase, startPostgres } from '../test/support/postgres.ts';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CLIENTS = env('BENCH_CLIENTS', 200);
const RECORDS = env('BENCH_RECORDS', 5000);
const NATIONAL_BALFS = env('BENCH_NATIONAL_BALFS', 1000);
const NATIONAL_RECORDS = env('BENCH_NATIONAL_RECORDS', 100);
const KINDS = (process.env['BENCH_DB'] ?? 'sqlite,postgres').split(',');

let batchCounter = 0;
/** One add-on upload: `records` fresh records of one BALF over the last days (2/3 received, 1/3 replies). */
function body(balf: string, records: number): string {
  const base = Date.parse('2026-11-23T07:00:00Z') + (batchCounter++ % 50) * 3_600_000;
  return JSON.stringify({
    schema: 1,
    batchId: randomUUID(),
    client: { id: `bench-${batchCounter}`, addon: '0.1.0', thunderbird: '128.5' },
    balf,
    records: Array.from({ length: records }, (_, i) => ({
      k: randomBytes(16).toString('base64url').slice(0, 22),
      dir: i % 3 === 2 ? 'out' : 'in',
      at: new Date(base + i * 20_000).toISOString(),
      cat: i % 3 === 2 ? 'new' : 'usager',
    })),
  });
}

function startServe(target: DbTarget, port: number): Promise<ChildProcess> {
  const args = ['build/server/cli.js', 'serve', '--port', String(port)];
  if (target.kind === 'sqlite') args.push('--db', target.file);
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      // One token per department is shared by all its workstations: the benchmark measures the server, not the limiter.
      SUIVI_INGEST_RATE_MAX: '1000000',
      DATABASE_URL: target.kind === 'postgres' ? target.url : '',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => /écoute sur/.test(d.toString()) && resolve(child));
    child.once('exit', (code) => reject(new Error(`serve arrêté (${code})`)));
  });
}

interface Figures {
  scenario: string;
  db: string;
  requests: number;
  records: number;
  seconds: number;
  reqPerSec: number;
  recordsPerSec: number;
  p50ms: number;
  p99ms: number;
  non2xx: number;
  errors: number;
  storedRecords: number;
  countsExact: boolean;
}

async function run(
  scenario: string,
  target: DbTarget,
  port: number,
  token: string,
  bodies: string[],
  connections: number,
  records: number,
): Promise<Omit<Figures, 'storedRecords' | 'countsExact'>> {
  let next = 0;
  const started = Date.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    amount: bodies.length,
    timeout: 600,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/tallies',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length]! }),
      },
    ],
  });
  const seconds = (Date.now() - started) / 1000;
  return {
    scenario,
    db: target.kind,
    requests: result.requests.total,
    records: result['2xx'] * records,
    seconds,
    reqPerSec: result.requests.total / seconds,
    recordsPerSec: (result['2xx'] * records) / seconds,
    p50ms: result.latency.p50,
    p99ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function storedRecords(target: DbTarget): Promise<number> {
  const opened = await openDatabase(target, { migrate: false });
  try {
    const row = await opened.db
      .selectFrom('records')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await opened.close();
  }
}

async function bench(target: DbTarget): Promise<Figures[]> {
  const setup = await openDatabase(target);
  const { token } = await createToken(setup.db, { scope: { level: 'national' }, canWrite: true });
  await setup.close();
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const server = await startServe(target, port);
  const figures: Figures[] = [];
  let expected = 0;
  try {
    const scenarios = [
      {
        name: `matinée départementale : ${CLIENTS} postes × ${RECORDS} relevés`,
        bodies: Array.from({ length: CLIENTS }, (_, i) =>
          body(`sip.b${i % 40}@dgfip.finances.gouv.fr`, RECORDS),
        ),
        connections: CLIENTS,
        records: RECORDS,
      },
      {
        name: `journée nationale réduite : ${NATIONAL_BALFS} BALF × ${NATIONAL_RECORDS} relevés`,
        bodies: Array.from({ length: NATIONAL_BALFS }, (_, i) =>
          body(`sip.n${i}@dgfip.finances.gouv.fr`, NATIONAL_RECORDS),
        ),
        connections: 50,
        records: NATIONAL_RECORDS,
      },
    ];
    for (const s of scenarios) {
      const f = await run(s.name, target, port, token, s.bodies, s.connections, s.records);
      expected += s.bodies.length * s.records;
      const stored = await storedRecords(target);
      figures.push({ ...f, storedRecords: stored, countsExact: stored === expected });
      console.log(JSON.stringify(figures.at(-1)));
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  return figures;
}

const dir = mkdtempSync(join(tmpdir(), 'suivi-bench-load-'));
const all: Figures[] = [];
try {
  for (const kind of KINDS) {
    if (kind === 'sqlite') all.push(...(await bench({ kind: 'sqlite', file: join(dir, 'bench.sqlite') })));
    else {
      const cluster = await startPostgres({ durable: true });
      try {
        all.push(...(await bench({ kind: 'postgres', url: await createDatabase(cluster.url, 'bench') })));
      } finally {
        await cluster.stop();
      }
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `\nMachine : ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} Gio, Node ${process.version}`,
);
console.log(
  '| Scénario | Base | Requêtes | Relevés | Durée (s) | req/s | relevés/s | p50 (ms) | p99 (ms) | non-2xx | erreurs | comptes exacts |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const f of all)
  console.log(
    `| ${f.scenario} | ${f.db} | ${f.requests} | ${f.records} | ${f.seconds.toFixed(1)} | ${f.reqPerSec.toFixed(1)} | ${Math.round(f.recordsPerSec)} | ${f.p50ms} | ${f.p99ms} | ${f.non2xx} | ${f.errors} | ${f.countsExact ? 'oui' : 'NON'} |`,
  );
if (all.some((f) => !f.countsExact || f.non2xx > 0 || f.errors > 0)) process.exitCode = 1;
