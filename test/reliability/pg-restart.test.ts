// PostgreSQL crash-restarted (pg_ctl restart -m immediate, fsync on) under concurrent uploads: 503 while down, no loss, no double count.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { createDatabase, startPostgres, type PostgresCluster } from '../support/postgres.ts';

const CLIENTS = 5;
const BATCHES = 10;
const RECORDS = 200;

/** pg_ctl as the postgres user, asynchronously (the uploads keep running while it restarts). */
function pgCtl(args: string[]): Promise<void> {
  const root = '/usr/lib/postgresql';
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0]!;
  const bin = join(root, version, 'bin', 'pg_ctl');
  const [cmd, argv] =
    process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`pg_ctl ${args.join(' ')} : ${out}`)),
    );
  });
}

let cluster: PostgresCluster;
let opened: OpenDb;
let dataDir: string;
beforeAll(async () => {
  cluster = await startPostgres({ durable: true });
  const url = await createDatabase(cluster.url, 'restart');
  opened = await openDatabase({ kind: 'postgres', url });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  dataDir = (await client.query<{ data_directory: string }>('show data_directory')).rows[0]!.data_directory;
  await client.end();
}, 120_000);
afterAll(async () => {
  await opened?.close().catch(() => undefined);
  await cluster?.stop();
});

describe('PostgreSQL restarted under load', () => {
  it('answers 503 while it is down, then stores every batch exactly once', { timeout: 120_000 }, async () => {
    const app = await buildApp({ db: opened.db, rateLimit: false, config: loadConfig({}) });
    const { token } = await createToken(opened.db, { scope: { level: 'national' }, canWrite: true });
    const statuses = new Map<number, number>();
    let acked = 0;
    let restarts = 0;
    const client = async (n: number) => {
      for (let b = 0; b < BATCHES; b++) {
        const payload = JSON.stringify({
          schema: 1,
          batchId: randomUUID(),
          client: { id: `pg-${n}`, addon: '0.1.0', thunderbird: '128.5' },
          balf: `sip.pg${n}@dgfip.finances.gouv.fr`,
          records: Array.from({ length: RECORDS }, (_, i) => ({
            k: randomBytes(16).toString('base64url').slice(0, 22),
            dir: 'in',
            at: new Date(Date.parse('2026-11-02T08:00:00Z') + (b * RECORDS + i) * 60_000).toISOString(),
            cat: 'usager',
          })),
        });
        // The add-on's rule: same batchId until a 2xx; 503 means "later".
        for (;;) {
          const res = await app.inject({
            method: 'POST',
            url: '/api/v1/tallies',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            payload,
          });
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
          if (res.statusCode === 200) break;
          expect(res.statusCode, res.body).toBe(503);
          await new Promise((r) => setTimeout(r, 100));
        }
        acked++;
      }
    };
    const restarter = (async () => {
      for (const threshold of [0.3, 0.6]) {
        while (acked < CLIENTS * BATCHES * threshold) await new Promise((r) => setTimeout(r, 10));
        // Crash (no checkpoint) and WAL recovery; the options of the previous start are reused (postmaster.opts).
        await pgCtl(['restart', '-D', dataDir, '-m', 'immediate', '-w', '-t', '60']);
        restarts++;
        console.info(`pg restart ${restarts} done at ${acked} acknowledged batches`);
      }
    })();
    await Promise.all([...Array.from({ length: CLIENTS }, (_, n) => client(n)), restarter]);
    expect(restarts).toBe(2);
    const count = async (table: 'records' | 'batches') =>
      Number(
        (
          await opened.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count('records')).toBe(CLIENTS * BATCHES * RECORDS);
    expect(await count('batches')).toBe(CLIENTS * BATCHES);
    const flows = await opened.db
      .selectFrom('daily_flows')
      .select((eb) => eb.fn.sum<string>('count').as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(flows.n)).toBe(CLIENTS * BATCHES * RECORDS);
    console.info(`pg restart: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    await app.close();
  });
});
