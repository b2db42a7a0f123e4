// Shared helpers of the server route tests: one database per file on SQLite or PostgreSQL, tokens, batches.
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';
import type { TallyBatchInput } from '../../src/core/protocol.ts';
import { buildApp } from '../../src/server/app.ts';
import type { Scope } from '../../src/server/auth/scope.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { loadConfig } from '../../src/server/config.ts';
import { migrations, openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { Migrator } from 'kysely';
import type { Db } from '../../src/server/db/schema.ts';
import type { DatabaseKind } from '../support/databases.ts';
import { createDatabase } from '../support/postgres.ts';

export { databaseKinds, type DatabaseKind } from '../support/databases.ts';

export async function openTestDb(kind: DatabaseKind, options: { migrate?: boolean } = {}): Promise<OpenDb> {
  if (kind === 'sqlite') return openDatabase({ kind: 'sqlite', file: ':memory:' }, options);
  return openDatabase({ kind: 'postgres', url: await createDatabase(inject('pgUrl')) }, options);
}

/** A database migrated up to (and including) the named migration only. */
export async function openTestDbAt(kind: DatabaseKind, last: string): Promise<OpenDb> {
  const opened = await openTestDb(kind, { migrate: false });
  const migrator = new Migrator({ db: opened.db, provider: { getMigrations: async () => migrations } });
  const { error } = await migrator.migrateTo(last);
  if (error) throw error;
  return opened;
}

export interface Harness {
  db: Db;
  app: FastifyInstance;
  now: { value: Date };
  close(): Promise<void>;
}

/** A fresh database and app with a movable clock (`now.value`). */
export async function harness(
  kind: DatabaseKind,
  options: { now?: string; rateLimit?: { max: number; timeWindowMs: number } | false } = {},
): Promise<Harness> {
  const opened = await openTestDb(kind);
  const now = { value: new Date(options.now ?? '2025-06-30T10:00:00Z') };
  const app = await buildApp({
    db: opened.db,
    clock: () => now.value,
    rateLimit: options.rateLimit ?? false,
    config: loadConfig({}),
  });
  return {
    db: opened.db,
    app,
    now,
    async close() {
      await app.close();
      await opened.close();
    },
  };
}

export async function token(db: Db, scope: Scope, canWrite = true): Promise<string> {
  return (await createToken(db, { scope, canWrite, label: 'test' })).token;
}

/** Directory rows: departments with their region, services, BALFs. */
export async function seedDirectory(
  db: Db,
  entries: { department: string; region: string; service: string; balfs: string[]; serviceRegion?: string }[],
): Promise<void> {
  for (const e of entries) {
    await db
      .insertInto('departments')
      .values({ code: e.department, name: `Département ${e.department}`, region: e.region })
      .onConflict((oc) => oc.column('code').doNothing())
      .execute();
    await db
      .insertInto('services')
      .values({
        code: e.service,
        name: `Service ${e.service}`,
        kind: 'SIP',
        department_code: e.department,
        region: e.serviceRegion ?? null,
      })
      .execute();
    for (const balf of e.balfs)
      await db.insertInto('balfs').values({ address: balf, service_code: e.service }).execute();
  }
}

/** A random 22-character base64url message key. */
export function newKey(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

export type RecordInput = TallyBatchInput['records'][number];

export function batch(
  balf: string,
  records: RecordInput[],
  extra: Partial<TallyBatchInput> = {},
): TallyBatchInput {
  return {
    schema: 1,
    batchId: randomUUID(),
    client: { id: 'client-a', addon: '0.1.0', thunderbird: '128.5' },
    balf,
    records,
    ...extra,
  };
}

export async function post(
  app: FastifyInstance,
  bearer: string | null,
  body: unknown,
  url = '/api/v1/tallies',
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    payload: JSON.stringify(body),
  });
}

export async function getStats(app: FastifyInstance, bearer: string, query: Record<string, string>) {
  return app.inject({
    method: 'GET',
    url: '/api/v1/stats',
    query,
    headers: { authorization: `Bearer ${bearer}` },
  });
}

/** A dashboard user of this scope, logged in: GET, and POST/DELETE with the session's CSRF token. */
export async function userSession(h: Harness, login: string, scope: Scope) {
  await addUser(h.db, { login, password: 'mot de passe assez long', scope });
  const r = await h.app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { login, password: 'mot de passe assez long' },
  });
  if (r.statusCode !== 200) throw new Error(`login ${login}: ${r.statusCode} ${r.body}`);
  const cookie = `suivi_session=${r.cookies.find((c) => c.name === 'suivi_session')!.value}`;
  const headers = { cookie, 'x-csrf-token': r.json<{ csrfToken: string }>().csrfToken };
  return {
    get: (url: string) => h.app.inject({ method: 'GET', url, headers }),
    send: (method: 'POST' | 'DELETE', url: string, payload?: unknown) =>
      h.app.inject({
        method,
        url,
        headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      }),
  };
}
