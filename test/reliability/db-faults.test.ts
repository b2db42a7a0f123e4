// Disk full and read-only SQLite under ingest: 503 with Retry-After, nothing half-written, the same batch stored whole later.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, sqliteHandleOf } from '../../src/server/db/connect.ts';
import type { Database } from '../../src/server/db/schema.ts';
import { snapshot } from './db-snapshot.ts';

const dir = mkdtempSync(join(tmpdir(), 'suivi-dbfault-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BALF = 'sip.disque@dgfip.finances.gouv.fr';
const clock = () => new Date('2025-06-30T10:00:00Z');

function bigBatch(records = 5000): string {
  return JSON.stringify({
    schema: 1,
    batchId: randomUUID(),
    client: { id: 'disque', addon: '0.1.0', thunderbird: '128.5' },
    balf: BALF,
    records: Array.from({ length: records }, (_, i) => ({
      k: randomBytes(16).toString('base64url').slice(0, 22),
      dir: i % 3 === 0 ? 'out' : 'in',
      at: new Date(Date.parse('2025-06-02T08:00:00Z') + i * 60_000).toISOString(),
      cat: i % 3 === 0 ? 'new' : 'usager',
    })),
  });
}

const send = (app: FastifyInstance, token: string, body: string) =>
  app.inject({
    method: 'POST',
    url: '/api/v1/tallies',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: body,
  });

function expectRetryable(res: { statusCode: number; headers: Record<string, unknown>; body: string }): void {
  expect(res.statusCode, res.body).toBe(503);
  expect(res.headers['retry-after']).toBeDefined();
  expect(JSON.parse(res.body)).toMatchObject({ error: 'unavailable' });
}

describe('SQLite faults during ingest', () => {
  it('disk full in the middle of a 5,000-record batch: 503, rolled back, stored whole once space is back', async () => {
    const opened = await openDatabase({ kind: 'sqlite', file: join(dir, 'full.sqlite') });
    const app = await buildApp({ db: opened.db, clock, rateLimit: false, config: loadConfig({}) });
    try {
      const { token } = await createToken(opened.db, { scope: { level: 'national' }, canWrite: true });
      expect((await send(app, token, bigBatch(50))).statusCode).toBe(200);
      const before = await snapshot(opened.db);
      // The file may not grow by more than a few pages: the batch fails part-way through its inserts.
      const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(opened.db)).rows[0]!
        .page_count;
      await sql.raw(`pragma max_page_count = ${pages + 3}`).execute(opened.db);
      const body = bigBatch();
      expectRetryable(await send(app, token, body));
      expect(await snapshot(opened.db)).toEqual(before);
      // The failed group left the connection as the other writers need it: no transaction, synchronous=FULL.
      expect(sqliteHandleOf(opened.db)!.inTransaction).toBe(false);
      expect(sqliteHandleOf(opened.db)!.pragma('synchronous', { simple: true })).toBe(2);
      await sql.raw('pragma max_page_count = 1073741823').execute(opened.db);
      const again = await send(app, token, body);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toMatchObject({ accepted: 5000, duplicates: 0 });
      const after = await snapshot(opened.db);
      expect(after.counts['records']).toBe(before.counts['records']! + 5000);
      expect(after.counts['batches']).toBe(before.counts['batches']! + 1);
    } finally {
      await app.close();
      await opened.close();
    }
  });

  it('read-only database file: 503, nothing written, then stored when writable again', async () => {
    const file = join(dir, 'ro.sqlite');
    const setup = await openDatabase({ kind: 'sqlite', file });
    const { token } = await createToken(setup.db, { scope: { level: 'national' }, canWrite: true });
    const before = await snapshot(setup.db);
    await setup.close();
    // A handle the operating system refuses writes to (as after a remount read-only).
    const ro = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new SQLite(file, { readonly: true }) }),
    });
    const app = await buildApp({ db: ro, clock, rateLimit: false, config: loadConfig({}) });
    const body = bigBatch(500);
    try {
      expectRetryable(await send(app, token, body));
      expect(await snapshot(ro)).toEqual(before);
      // Reads still work on a read-only database.
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await ro.destroy();
    }
    const rw = await openDatabase({ kind: 'sqlite', file });
    const app2 = await buildApp({ db: rw.db, clock, rateLimit: false, config: loadConfig({}) });
    try {
      const res = await send(app2, token, body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ accepted: 500 });
    } finally {
      await app2.close();
      await rw.close();
    }
  });
});
