/** Dashboard users: creation with a scrypt hash, listing, removal, and login with lockout. */
import type { Db } from '../db/schema.ts';
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from './password.ts';
import { formatScope, type Scope } from './scope.ts';

export const MAX_FAILED_ATTEMPTS = 5;
export const LOCK_MINUTES = 15;
const LOGIN_RE = /^[A-Za-z0-9._@-]{1,64}$/;

export interface UserInfo {
  login: string;
  scope: string;
  createdAt: string;
  lockedUntil: string | null;
}

export function loginProblem(login: string): string | null {
  return LOGIN_RE.test(login)
    ? null
    : 'Identifiant invalide : 1 à 64 caractères parmi lettres, chiffres, « . _ @ - ».';
}

/** Adds a user, or replaces the password and scope of an existing one. */
export async function addUser(
  db: Db,
  options: { login: string; password: string; scope: Scope; now?: Date },
): Promise<{ created: boolean }> {
  const problem = loginProblem(options.login) ?? passwordProblem(options.password);
  if (problem) throw new Error(problem);
  const passwordHash = await hashPassword(options.password);
  const scope = formatScope(options.scope);
  const existing = await db
    .selectFrom('users')
    .select('login')
    .where('login', '=', options.login)
    .executeTakeFirst();
  if (existing) {
    // A new password ends the sessions opened with the old one.
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('users')
        .set({ password_hash: passwordHash, scope, failed_attempts: 0, locked_until: null })
        .where('login', '=', options.login)
        .execute();
      await trx.deleteFrom('sessions').where('login', '=', options.login).execute();
    });
    return { created: false };
  }
  await db
    .insertInto('users')
    .values({
      login: options.login,
      password_hash: passwordHash,
      scope,
      created_at: (options.now ?? new Date()).toISOString(),
      failed_attempts: 0,
      locked_until: null,
    })
    .execute();
  return { created: true };
}

export async function listUsers(db: Db): Promise<UserInfo[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('login').execute();
  return rows.map((r) => ({
    login: r.login,
    scope: r.scope,
    createdAt: r.created_at,
    lockedUntil: r.locked_until,
  }));
}

export async function removeUser(db: Db, login: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sessions').where('login', '=', login).execute();
    const result = await trx.deleteFrom('users').where('login', '=', login).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

/**
 * Checks a login and password. Unknown login, wrong password and locked account all answer null
 * after the same scrypt work, so neither the answer nor its timing tells them apart. Five failures
 * in a row lock the account for fifteen minutes.
 */
export async function authenticate(
  db: Db,
  login: string,
  password: string,
  now: Date,
): Promise<{ login: string; scope: string } | null> {
  const user = LOGIN_RE.test(login)
    ? await db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirst()
    : undefined;
  const stored = user?.password_hash ?? (await dummyPasswordHash());
  const ok = await verifyPassword(password, stored);
  if (!user) return null;
  const nowIso = now.toISOString();
  const locked = user.locked_until !== null && user.locked_until > nowIso;
  if (locked) return null;
  if (ok) {
    if (user.failed_attempts !== 0 || user.locked_until !== null) {
      await db
        .updateTable('users')
        .set({ failed_attempts: 0, locked_until: null })
        .where('login', '=', login)
        .execute();
    }
    return { login: user.login, scope: user.scope };
  }
  // A lock that has expired starts a fresh count.
  const previous = user.locked_until !== null ? 0 : Number(user.failed_attempts);
  const attempts = previous + 1;
  const lockedUntil =
    attempts >= MAX_FAILED_ATTEMPTS ? new Date(now.getTime() + LOCK_MINUTES * 60_000).toISOString() : null;
  await db
    .updateTable('users')
    .set({ failed_attempts: lockedUntil ? 0 : attempts, locked_until: lockedUntil })
    .where('login', '=', login)
    .execute();
  return null;
}
