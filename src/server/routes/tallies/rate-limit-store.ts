/**
 * A store for @fastify/rate-limit that counts in the database (`auth/counters.ts`): on PostgreSQL
 * several server instances share one count per token. SQLite keeps the plugin's memory store, since
 * one process alone owns a SQLite file.
 */
import { hit } from '../../auth/counters.ts';
import type { Db } from '../../db/schema.ts';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

/** The store class the plugin instantiates, bound to a database and a clock. */
export function databaseRateLimitStore(db: Db, clock: () => Date) {
  return class DatabaseRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number, max: number): void {
      const now = clock();
      hit(db, [{ key: `rate:${key}`, max, windowMs: timeWindow }], now).then(
        (states) => {
          const state = states.get(`rate:${key}`)!;
          callback(null, {
            current: state.attempts,
            ttl: Math.max(0, state.windowEnd.getTime() - now.getTime()),
          });
        },
        (error: unknown) => callback(error as Error),
      );
    }

    child(): DatabaseRateLimitStore {
      return this;
    }
  };
}
