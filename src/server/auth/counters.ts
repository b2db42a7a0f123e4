/**
 * Fixed-window counters kept in the database, so that every server instance sees the same count:
 * each hit is counted by ONE statement (an upsert returning the new value), never read then written.
 */
import { sql } from 'kysely';
import type { Db } from '../db/schema.ts';

export interface CounterSpec {
  key: string;
  /** Hits allowed within a window. */
  max: number;
  windowMs: number;
  login?: string | null;
  address?: string | null;
}

export interface CounterState {
  /** Hits within the current window, this one included. */
  attempts: number;
  windowEnd: Date;
}

/**
 * Counts one hit on each counter, all in one statement, and returns their new states. A counter
 * whose window has ended starts again at 1 with a new window. Concurrent hits each get their own
 * value (the database serialises the updates of one row), so no two callers read the same count.
 */
export async function hit(
  db: Db,
  specs: readonly CounterSpec[],
  now: Date,
): Promise<Map<string, CounterState>> {
  if (specs.length === 0) return new Map();
  const nowIso = now.toISOString();
  const rows = await db
    .insertInto('throttles')
    .values(
      specs.map((s) => ({
        key: s.key,
        login: s.login ?? null,
        address: s.address ?? null,
        attempts: 1,
        max: s.max,
        window_end: new Date(now.getTime() + s.windowMs).toISOString(),
      })),
    )
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        attempts: sql<number>`case when throttles.window_end <= ${nowIso} then 1 else throttles.attempts + 1 end`,
        window_end: sql<string>`case when throttles.window_end <= ${nowIso} then excluded.window_end else throttles.window_end end`,
        max: sql<number>`excluded.max`,
      }),
    )
    .returning(['key', 'attempts', 'window_end'])
    .execute();
  return new Map(
    rows.map((r) => [r.key, { attempts: Number(r.attempts), windowEnd: new Date(r.window_end) }]),
  );
}

/** Takes back one hit of the current window (a request that turned out not to count). */
export async function unhit(db: Db, key: string, windowEnd: Date): Promise<void> {
  await db
    .updateTable('throttles')
    .set({ attempts: sql<number>`attempts - 1` })
    .where('key', '=', key)
    .where('window_end', '=', windowEnd.toISOString())
    .where('attempts', '>', 0)
    .execute();
}

export async function clearCounters(db: Db, keys: readonly string[]): Promise<void> {
  if (keys.length > 0) await db.deleteFrom('throttles').where('key', 'in', keys).execute();
}

/** Removes counters whose window has ended (they would restart at 1 anyway). */
export async function sweepCounters(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('throttles').where('window_end', '<=', now.toISOString()).execute();
}
