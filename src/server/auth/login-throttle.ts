/**
 * Throttle of password guessing, shared by every server instance through the database.
 *
 * Every attempt is counted BEFORE its password is checked (one statement for all its counters) and
 * taken back once it succeeds, so that simultaneous attempts cannot all be judged against a count
 * that none of them has raised yet, and an attempt beyond the limit is refused without checking the
 * password at all (the right one included). Three counters:
 * - the pair (login, address): a few failures suspend that login from that address only — whoever
 *   guesses from elsewhere does not lock the owner out;
 * - the address, whatever the login: one address trying many accounts;
 * - the login, from addresses it has never succeeded from: many addresses trying one account, while
 *   the owner at an address already used for this login is not held back by them.
 */
import { isIPv6 } from 'node:net';
import type { Db } from '../db/schema.ts';
import { clearCounters, hit, sweepCounters, unhit, type CounterSpec } from './counters.ts';

export interface LoginLimits {
  pair: { max: number; windowMs: number };
  address: { max: number; windowMs: number };
  account: { max: number; windowMs: number };
  /** How long an address a login succeeded from stays known for it. */
  knownAddressMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  pair: { max: 5, windowMs: 15 * 60_000 },
  address: { max: 10, windowMs: 60_000 },
  account: { max: 20, windowMs: 60 * 60_000 },
  knownAddressMs: 90 * 24 * 3_600_000,
};

/**
 * The address a throttle counts: IPv4 as is, IPv6 by its /64 (one subscriber's usual allocation,
 * within which an attacker can pick any address).
 */
export function throttleAddress(ip: string): string {
  if (!isIPv6(ip)) return ip;
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip)) return ip.slice(7);
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export type Reservation =
  { allowed: true; succeeded(): Promise<void> } | { allowed: false; retryAfterMs: number };

export async function isKnownAddress(
  db: Db,
  login: string,
  address: string,
  now: Date,
  limits: LoginLimits,
): Promise<boolean> {
  const since = new Date(now.getTime() - limits.knownAddressMs).toISOString();
  const row = await db
    .selectFrom('login_addresses')
    .select('login')
    .where('login', '=', login)
    .where('address', '=', address)
    .where('last_success_at', '>', since)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Counts one login attempt against its counters. Refused (with the wait) when any counter is past
 * its limit; otherwise the caller checks the password and, when it was right, calls `succeeded`.
 */
export async function reserveLoginAttempt(
  db: Db,
  login: string,
  ip: string,
  now: Date,
  limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
): Promise<Reservation> {
  const address = throttleAddress(ip);
  const known = await isKnownAddress(db, login, address, now, limits);
  const pairKey = `login-pair:${login}|${address}`;
  const addressKey = `login-address:${address}`;
  const accountKey = `login-account:${login}`;
  const specs: CounterSpec[] = [
    { key: pairKey, login, address, ...limits.pair },
    { key: addressKey, address, ...limits.address },
  ];
  if (!known) specs.push({ key: accountKey, login, ...limits.account });
  const states = await hit(db, specs, now);
  let retryAfterMs = 0;
  for (const spec of specs) {
    const state = states.get(spec.key);
    if (state && state.attempts > spec.max)
      retryAfterMs = Math.max(retryAfterMs, state.windowEnd.getTime() - now.getTime());
  }
  if (retryAfterMs > 0) return { allowed: false, retryAfterMs };
  const addressState = states.get(addressKey);
  return {
    allowed: true,
    async succeeded() {
      // A success clears the failures of its login here and everywhere, and is not counted against
      // its address: many users behind one proxy address may log in.
      await clearCounters(db, known ? [pairKey] : [pairKey, accountKey]);
      if (addressState) await unhit(db, addressKey, addressState.windowEnd);
      await db
        .insertInto('login_addresses')
        .values({ login, address, last_success_at: now.toISOString() })
        .onConflict((oc) =>
          oc.columns(['login', 'address']).doUpdateSet({ last_success_at: now.toISOString() }),
        )
        .execute();
      await sweepCounters(db, now);
    },
  };
}

/** Clears every login counter of a login (`suivi-balf user unlock`); returns how many were set. */
export async function unlockLogin(db: Db, login: string): Promise<number> {
  const result = await db.deleteFrom('throttles').where('login', '=', login).executeTakeFirst();
  await db
    .updateTable('users')
    .set({ failed_attempts: 0, locked_until: null })
    .where('login', '=', login)
    .execute();
  return Number(result.numDeletedRows);
}

/** When a login is held back (account or any address past its limit), until when; else null. */
export async function loginBlockedUntil(db: Db, login: string, now: Date): Promise<string | null> {
  const row = await db
    .selectFrom('throttles')
    .select((eb) => eb.fn.max('window_end').as('until'))
    .where('login', '=', login)
    .where('window_end', '>', now.toISOString())
    .whereRef('attempts', '>=', 'max')
    .executeTakeFirst();
  return row?.until ?? null;
}
