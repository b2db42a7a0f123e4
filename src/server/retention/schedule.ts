/** Periodic purge for `serve` (SUIVI_RETENTION_DAYS): once at start, then once a day, logged. */
import type { Logger } from 'pino';
import type { Db } from '../db/schema.ts';
import { startPeriodic, type Periodic } from '../periodic.ts';
import { purgeOlderThan, type PurgeReport } from './purge.ts';

export const PURGE_INTERVAL_MS = 24 * 60 * 60 * 1000;

export type RetentionSchedule = Periodic<PurgeReport | null>;

export function startRetentionSchedule(
  db: Db,
  days: number,
  logger: Pick<Logger, 'info' | 'error'>,
  options: { intervalMs?: number; clock?: () => Date } = {},
): RetentionSchedule {
  return startPeriodic(
    async () => {
      try {
        const report = await purgeOlderThan(db, { days, now: options.clock?.() ?? new Date() });
        logger.info({ retention: { days, ...report } }, 'purge de conservation effectuée');
        return report;
      } catch (e) {
        // A failed purge (database down) is retried at the next tick; the server keeps serving.
        logger.error({ err: e, retention: { days } }, 'échec de la purge de conservation');
        return null;
      }
    },
    null,
    options.intervalMs ?? PURGE_INTERVAL_MS,
  );
}
