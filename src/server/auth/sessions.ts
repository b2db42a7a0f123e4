/** Dashboard sessions: a random id in the cookie, its SHA-256 in the database, a CSRF token each. */
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/schema.ts';
import { sha256 } from './tokens.ts';

export const SESSION_COOKIE = 'suivi_session';
export const SESSION_HOURS = 12;

export interface SessionInfo {
  login: string;
  scope: string;
  csrfToken: string;
}

export async function createSession(
  db: Db,
  login: string,
  now: Date,
): Promise<{ id: string; csrfToken: string; expiresAt: Date }> {
  const id = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3_600_000);
  await db
    .insertInto('sessions')
    .values({
      id_hash: sha256(id),
      login,
      csrf_token: csrfToken,
      created_at: now.toISOString(),
      expires_at: expiresAt.toISOString(),
    })
    .execute();
  // Expired sessions of everybody are swept here rather than by a timer.
  await db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute();
  return { id, csrfToken, expiresAt };
}

export async function findSession(db: Db, id: string, now: Date): Promise<SessionInfo | null> {
  if (id.length > 100) return null;
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.login', 'sessions.login')
    .select(['sessions.login', 'users.scope', 'sessions.csrf_token', 'sessions.expires_at'])
    .where('sessions.id_hash', '=', sha256(id))
    .executeTakeFirst();
  if (!row || row.expires_at <= now.toISOString()) return null;
  return { login: row.login, scope: row.scope, csrfToken: row.csrf_token };
}

export async function deleteSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', sha256(id)).execute();
}
