/** Periodic purge for `serve` (SUIVI_RETENTION_DAYS): once at start, then once a day, logged. */
import type { Logger } from 'pino';
import type { Db } from '../db/schema.ts';
import { purgeOlderThan, type PurgeReport } from './purge.ts';

export const PURGE_INTERVAL_MS = 24 * 60 * 60 * 1000;

export interface RetentionSchedule {
  /** Resolves when the purge now running (if any) has finished; no purge starts afterwards. */
  stop(): Promise<void>;
  /** The purge started at start-up or by the last tick (for tests). */
  readonly last: Promise<PurgeReport | null>;
}

export function startRetentionSchedule(
  db: Db,
  days: number,
  logger: Pick<Logger, 'info' | 'error'>,
  options: { intervalMs?: number; clock?: () => Date } = {},
): RetentionSchedule {
  let stopped = false;
  let running: Promise<PurgeReport | null> = Promise.resolve(null);
  const run = (): void => {
    if (stopped) return;
    // One purge at a time: a tick during a long purge waits for it rather than overlapping.
    running = running.then(async () => {
      if (stopped) return null;
      try {
        const report = await purgeOlderThan(db, { days, now: options.clock?.() ?? new Date() });
        logger.info({ retention: { days, ...report } }, 'purge de conservation effectuée');
        return report;
      } catch (e) {
        // A failed purge (database down) is retried at the next tick; the server keeps serving.
        logger.error({ err: e, retention: { days } }, 'échec de la purge de conservation');
        return null;
      }
    });
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? PURGE_INTERVAL_MS);
  timer.unref();
  return {
    get last() {
      return running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
