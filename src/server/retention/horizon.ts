/** Retention horizon: the first day still held in per-message records, and the setting that sets it. */
import { addDays, localDay } from '../../core/calendar.ts';
import type { Db } from '../db/schema.ts';

/** `settings.name` of the horizon written by each purge (ingest drops records dated before it). */
export const HORIZON_SETTING = 'retention_horizon';

/** Upper bound of the setting (100 years): beyond it the value is surely a typing mistake. */
export const MAX_RETENTION_DAYS = 36_500;

/**
 * Reads a number of days of retention. `origin` names where it came from for the French error,
 * e.g. « SUIVI_RETENTION_DAYS » or « --older-than ».
 */
export function parseRetentionDays(text: string, origin: string): number {
  const trimmed = text.trim();
  const days = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new RetentionSettingError(
      `${origin} invalide « ${text} » : un nombre entier de jours entre 1 et ${MAX_RETENTION_DAYS} est attendu (par exemple 730 pour deux ans).`,
    );
  }
  return days;
}

/** `SUIVI_RETENTION_DAYS` from the environment: null when unset or empty (no automatic purge). */
export function retentionDaysFromEnv(env: NodeJS.ProcessEnv): number | null {
  const raw = env['SUIVI_RETENTION_DAYS'];
  if (raw === undefined || raw.trim() === '') return null;
  return parseRetentionDays(raw, 'SUIVI_RETENTION_DAYS');
}

export class RetentionSettingError extends Error {
  override name = 'RetentionSettingError';
}

/**
 * First day kept when keeping `days` days: records of a day strictly before it are purged.
 * Days are counted on the metropolitan calendar; overseas services' days lag by a few hours at
 * most, which moves nothing that matters for a retention counted in months.
 */
export function horizonFor(now: Date, days: number): string {
  return addDays(localDay(now, 'metropole'), -days);
}

/** The horizon of the last purge, or null if nothing was ever purged. */
export async function readRetentionHorizon(db: Db): Promise<string | null> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', HORIZON_SETTING)
    .executeTakeFirst();
  return row?.value ?? null;
}
