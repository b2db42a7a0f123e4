// Scale-out on the real engine: two `suivi-balf serve` processes started at the same moment on one empty
// PostgreSQL, behind a reverse proxy on loopback. Migrations do not race; sessions, CSRF, login throttles
// and upload rate limits hold across instances; uploads spread over both, one instance SIGKILLed mid-run,
// every record counted exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createToken } from '../../src/server/auth/tokens.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { migrations, openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { createDatabase } from '../support/postgres.ts';
import { startProxy, type Proxy } from '../support/round-robin-proxy.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'build', 'scale-out', 'cli.js');
const CLIENTS = 6;
const BATCHES = 30;
const RECORDS = 200;
const RATE_MAX = 40;

interface Instance {
  child: ChildProcess;
  port: number;
  output: string[];
}

/** `suivi-balf serve` on a free port; resolves once it listens. */
function serve(databaseUrl: string): Promise<Instance> {
  const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      SUIVI_TRUST_PROXY: '127.0.0.1',
      SUIVI_PUBLIC_URL: 'https://suivi-balf.exemple.gouv.fr',
      SUIVI_INGEST_RATE_MAX: String(RATE_MAX),
      SUIVI_INGEST_RATE_WINDOW_MS: '600000',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`instance not listening:\n${output.join('')}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      output.push(d.toString());
      const m = /écoute sur http:\/\/127\.0\.0\.1:(\d+)/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), output });
      }
    });
    child.on('exit', (code) => reject(new Error(`instance exited (${code}):\n${output.join('')}`)));
  });
}

interface Answer {
  status: number;
  body: string;
  cookie: string | null;
}

async function call(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const r = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const setCookie = r.headers.get('set-cookie');
  return { status: r.status, body: await r.text(), cookie: setCookie ? setCookie.split(';')[0]! : null };
}

const key = () => randomBytes(16).toString('base64url').slice(0, 22);

describe('two server instances on one PostgreSQL', () => {
  let databaseUrl: string;
  let a: Instance;
  let b: Instance;
  let proxy: Proxy;
  let direct: OpenDb;
  const started = Date.now();

  beforeAll(async () => {
    await build({
      absWorkingDir: ROOT,
      entryPoints: ['src/server/cli/main.ts'],
      outfile: CLI,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'warning',
    });
    databaseUrl = await createDatabase(inject('pgUrl'));
    // Both at the same moment on an empty database.
    [a, b] = await Promise.all([serve(databaseUrl), serve(databaseUrl)]);
    proxy = await startProxy([a.port, b.port]);
    direct = await openDatabase({ kind: 'postgres', url: databaseUrl }, { migrate: false });
  }, 180_000);

  afterAll(async () => {
    for (const instance of [a, b])
      if (instance && instance.child.exitCode === null) instance.child.kill('SIGTERM');
    await proxy?.close();
    await direct?.close();
    console.log(`scale-out test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it('applied every migration once, however the two starts interleaved', async () => {
    const applied = await sql<{ name: string; n: string }>`
      select name, count(*) as n from kysely_migration group by name order by name`.execute(direct.db);
    expect(applied.rows.map((r) => [r.name, Number(r.n)])).toEqual(
      Object.keys(migrations)
        .sort()
        .map((name) => [name, 1]),
    );
    expect((await call(`http://127.0.0.1:${a.port}`, 'GET', '/healthz')).status).toBe(200);
    expect((await call(`http://127.0.0.1:${b.port}`, 'GET', '/healthz')).status).toBe(200);
  });

  it('shares sessions, CSRF tokens and login throttles between instances', async () => {
    await addUser(direct.db, {
      login: 'coord',
      password: 'mot de passe assez long',
      scope: { level: 'national' },
    });
    const A = `http://127.0.0.1:${a.port}`;
    const B = `http://127.0.0.1:${b.port}`;
    const login = (base: string, password: string) =>
      call(base, 'POST', '/api/v1/session', { body: { login: 'coord', password } });
    const opened = await login(A, 'mot de passe assez long');
    expect(opened.status, opened.body).toBe(200);
    const cookie = opened.cookie!;
    const csrf = JSON.parse(opened.body).csrfToken as string;
    expect((await call(B, 'GET', '/api/v1/session', { headers: { cookie } })).status).toBe(200);
    expect((await call(B, 'DELETE', '/api/v1/session', { headers: { cookie } })).status, 'no CSRF').toBe(403);
    expect(
      (await call(B, 'DELETE', '/api/v1/session', { headers: { cookie, 'x-csrf-token': csrf } })).status,
    ).toBe(204);
    expect((await call(A, 'GET', '/api/v1/session', { headers: { cookie } })).status, 'ended on A too').toBe(
      401,
    );
    // Five failures spread over both instances suspend the login from this address on both.
    for (const base of [A, B, A, B, A]) expect((await login(base, 'faux faux faux')).status).toBe(401);
    expect((await login(B, 'mot de passe assez long')).status).toBe(429);
    expect((await login(A, 'mot de passe assez long')).status).toBe(429);
  });

  it('counts a token’s uploads once across instances for its rate limit', async () => {
    const { token } = await createToken(direct.db, { scope: { level: 'national' }, canWrite: true });
    const statuses: number[] = [];
    for (let i = 0; i <= RATE_MAX; i++) {
      const port = i % 2 === 0 ? a.port : b.port;
      const r = await call(`http://127.0.0.1:${port}`, 'POST', '/api/v1/tallies', {
        headers: { authorization: `Bearer ${token}` },
        body: {
          schema: 2,
          batchId: randomUUID(),
          client: { id: 'limite', addon: '0.1.0', thunderbird: '128.5' },
          balf: 'sip.limite@dgfip.finances.gouv.fr',
          records: [{ k: key(), dir: 'in', at: new Date(Date.now() - 7_200_000).toISOString(), cat: 'auto' }],
        },
      });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, RATE_MAX).every((s) => s === 200)).toBe(true);
    expect(statuses[RATE_MAX]).toBe(429);
  });

  it('counts every record exactly once when one instance is killed during the uploads', async () => {
    const tokens = await Promise.all(
      Array.from(
        { length: CLIENTS },
        async () => (await createToken(direct.db, { scope: { level: 'national' }, canWrite: true })).token,
      ),
    );
    const now = Date.now();
    let acknowledged = 0;
    let retries = 0;
    const upload = async (client: number) => {
      for (let n = 0; n < BATCHES; n++) {
        // As the add-on does: the batch is fixed before the first send and sent again until a 2xx.
        const body = {
          schema: 2,
          batchId: randomUUID(),
          client: { id: `poste-${client}`, addon: '0.1.0', thunderbird: '128.5' },
          balf: `sip.client${client}@dgfip.finances.gouv.fr`,
          records: Array.from({ length: RECORDS }, (_, i) => ({
            k: key(),
            dir: 'in',
            at: new Date(now - 3_600_000 - (n * RECORDS + i) * 60_000).toISOString(),
            cat: 'usager',
          })),
        };
        for (;;) {
          const r = await call(proxy.url, 'POST', '/api/v1/tallies', {
            headers: { authorization: `Bearer ${tokens[client]}` },
            body,
          }).catch(() => null);
          if (r && r.status === 200) break;
          if (r && r.status < 500 && r.status !== 429) throw new Error(`refused: ${r.status} ${r.body}`);
          retries++;
          await sleep(100);
        }
        acknowledged++;
      }
    };
    const killer = (async () => {
      while (acknowledged < (CLIENTS * BATCHES) / 3) await sleep(20);
      b.child.kill('SIGKILL');
    })();
    await Promise.all([...Array.from({ length: CLIENTS }, (_, c) => upload(c)), killer]);
    expect(b.child.signalCode ?? (await new Promise((r) => b.child.once('exit', (_c, s) => r(s))))).toBe(
      'SIGKILL',
    );
    expect(proxy.hits.get(a.port)).toBeGreaterThan(0);
    expect(proxy.hits.get(b.port)).toBeGreaterThan(0);

    const total = CLIENTS * BATCHES * RECORDS;
    const reader = (await createToken(direct.db, { scope: { level: 'national' }, canWrite: false })).token;
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const stats = await call(
      proxy.url,
      'GET',
      `/api/v1/stats?level=national&from=${day(now - 30 * 86_400_000)}&to=${day(now + 86_400_000)}`,
      { headers: { authorization: `Bearer ${reader}` } },
    );
    expect(stats.status, stats.body).toBe(200);
    // The rate-limit test's 40 automatic records are in the national totals too.
    expect(JSON.parse(stats.body).totals.receivedByCategory.usager).toBe(total);
    const rows = await sql<{ n: string }>`select count(*) as n from records where cat = 'usager'`.execute(
      direct.db,
    );
    expect(Number(rows.rows[0]!.n)).toBe(total);
    const batches = await sql<{
      n: string;
    }>`select count(*) as n from batches where client_id like 'poste-%'`.execute(direct.db);
    expect(Number(batches.rows[0]!.n)).toBe(CLIENTS * BATCHES);
    console.log(`scale-out: ${total} records, ${retries} retries, hits ${JSON.stringify([...proxy.hits])}`);
  });
});
