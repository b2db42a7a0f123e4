/** API tokens: created once and shown once, stored as SHA-256, looked up by hash, revocable. */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type SQLite from 'better-sqlite3';
import type { Selectable } from 'kysely';
import { sqliteReaderOf } from '../db/connect.ts';
import type { Db, TokenTable } from '../db/schema.ts';
import { formatScope, parseScope, type Principal, type Scope } from './scope.ts';

export const TOKEN_PREFIX = 'sbt_';

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export interface TokenInfo {
  id: string;
  scope: string;
  canWrite: boolean;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export async function createToken(
  db: Db,
  options: { scope: Scope | string; canWrite: boolean; label?: string | null | undefined; now?: Date },
): Promise<{ id: string; token: string }> {
  const scope =
    typeof options.scope === 'string' ? parseScope(options.scope, ['national', 'department']) : options.scope;
  if (scope.level === 'service') throw new Error('Un jeton a une portée nationale ou départementale.');
  const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
  const id = randomUUID().slice(0, 8);
  await db
    .insertInto('tokens')
    .values({
      id,
      hash: sha256(token),
      scope: formatScope(scope),
      can_write: options.canWrite ? 1 : 0,
      label: options.label ?? null,
      created_at: (options.now ?? new Date()).toISOString(),
      revoked_at: null,
    })
    .execute();
  return { id, token };
}

export async function listTokens(db: Db): Promise<TokenInfo[]> {
  const rows = await db.selectFrom('tokens').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    scope: r.scope,
    canWrite: Number(r.can_write) === 1,
    label: r.label,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
  }));
}

/** Returns false when no such token exists; revoking twice keeps the first date. */
export async function revokeToken(db: Db, id: string, now: Date = new Date()): Promise<boolean> {
  const existing = await db
    .selectFrom('tokens')
    .select(['id', 'revoked_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!existing) return false;
  if (existing.revoked_at === null) {
    await db.updateTable('tokens').set({ revoked_at: now.toISOString() }).where('id', '=', id).execute();
  }
  return true;
}

/** The principal of a presented token, or null when unknown or revoked. */
export async function principalForToken(db: Db, token: string): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const hash = sha256(token);
  const row = await tokenByHash(db, hash);
  // The index lookup already matched; compare again in constant time so no early-exit leaks.
  if (!row || !timingSafeEqual(Buffer.from(row.hash), Buffer.from(hash)) || row.revoked_at !== null)
    return null;
  return { kind: 'token', id: row.id, scope: parseScope(row.scope), canWrite: Number(row.can_write) === 1 };
}

const byHash = new WeakMap<SQLite.Database, SQLite.Statement<[string], TokenRow>>();
type TokenRow = Selectable<TokenTable>;

/** On SQLite through the read-only connection: a token is checked even while an ingest group writes. */
async function tokenByHash(db: Db, hash: string): Promise<TokenRow | undefined> {
  const reader = sqliteReaderOf(db);
  if (!reader) return db.selectFrom('tokens').selectAll().where('hash', '=', hash).executeTakeFirst();
  let statement = byHash.get(reader);
  if (!statement) {
    statement = reader.prepare<[string], TokenRow>('select * from tokens where hash = ?');
    byHash.set(reader, statement);
  }
  return statement.get(hash);
}
