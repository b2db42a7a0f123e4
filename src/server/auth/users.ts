/** Dashboard users: creation with a scrypt hash, listing, removal, and the password check of a login. */
import type { Db } from '../db/schema.ts';
import { dummyPasswordHash, hashPassword, passwordProblem, verifyPassword } from './password.ts';
import { loginBlockedUntil } from './login-throttle.ts';
import { formatScope, type Scope } from './scope.ts';

const LOGIN_RE = /^[A-Za-z0-9._@-]{1,64}$/;

export interface UserInfo {
  login: string;
  scope: string;
  createdAt: string;
  /** Until when failed logins hold this login back (from one address or all), if they do now. */
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
      await trx.deleteFrom('throttles').where('login', '=', options.login).execute();
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

export async function listUsers(db: Db, now: Date = new Date()): Promise<UserInfo[]> {
  const rows = await db.selectFrom('users').selectAll().orderBy('login').execute();
  const out: UserInfo[] = [];
  for (const r of rows) {
    out.push({
      login: r.login,
      scope: r.scope,
      createdAt: r.created_at,
      lockedUntil: await loginBlockedUntil(db, r.login, now),
    });
  }
  return out;
}

export async function removeUser(db: Db, login: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sessions').where('login', '=', login).execute();
    const result = await trx.deleteFrom('users').where('login', '=', login).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  });
}

/**
 * Checks a login and password. Unknown login and wrong password both answer null after the same
 * scrypt work, so neither the answer nor its timing tells them apart. Guessing is slowed by
 * `login-throttle.ts`, which the caller consults first.
 */
export async function authenticate(
  db: Db,
  login: string,
  password: string,
): Promise<{ login: string; scope: string } | null> {
  const user = LOGIN_RE.test(login)
    ? await db
        .selectFrom('users')
        .select(['login', 'scope', 'password_hash'])
        .where('login', '=', login)
        .executeTakeFirst()
    : undefined;
  const stored = user?.password_hash ?? (await dummyPasswordHash());
  const ok = await verifyPassword(password, stored);
  return user && ok ? { login: user.login, scope: user.scope } : null;
}
