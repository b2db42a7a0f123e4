/**
 * Keeps the stored reply delays in step with the working-day calendar: the delay buckets of
 * `daily_replies` are counted in working days, so a change of the Whit Monday setting (or of the
 * holiday rules or time zones of src/core after an upgrade) recomputes every BALF's history, as a
 * directory move recomputes one BALF's.
 */
import { createHash } from 'node:crypto';
import { publicHolidays } from '../../core/calendar.ts';
import { regions, TIME_ZONES } from '../../core/regions.ts';
import type { Db } from '../db/schema.ts';
import { recomputeBalf } from './recompute.ts';

/** Settings row: the calendar the stored delays were computed with. */
export const CALENDAR_SETTING = 'working_days_calendar';

export interface CalendarSettings {
  whitMondayWorked: boolean;
}

let rulesDigest: string | undefined;

/** Digest of what decides working days besides the setting: holidays and time zones of every region. */
function calendarRules(): string {
  if (rulesDigest === undefined) {
    const hash = createHash('sha256');
    for (const region of regions) {
      hash.update(`${region}:${TIME_ZONES[region]}\n`);
      for (let year = 2000; year <= 2100; year++) {
        for (const h of publicHolidays(year, region)) hash.update(`${h.date}\n`);
      }
    }
    rulesDigest = hash.digest('hex').slice(0, 16);
  }
  return rulesDigest;
}

export function calendarFingerprint(settings: CalendarSettings): string {
  return JSON.stringify({ whitMondayWorked: settings.whitMondayWorked, rules: calendarRules() });
}

/**
 * Call at start (before serving): when the calendar differs from the one recorded — or none is
 * recorded and history exists, computed with an unknown setting — recomputes every BALF with the
 * current calendar, then records it. Returns how many BALFs were recomputed (0 when unchanged).
 */
export async function recomputeOnCalendarChange(db: Db, settings: CalendarSettings): Promise<number> {
  const wanted = calendarFingerprint(settings);
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', CALENDAR_SETTING)
    .executeTakeFirst();
  if (row?.value === wanted) return 0;
  const balfs = await db.selectFrom('balf_homes').select('balf').orderBy('balf').execute();
  for (const { balf } of balfs)
    await recomputeBalf(db, balf, { whitMondayWorked: settings.whitMondayWorked });
  // Recorded last: a crash midway recomputes everything again at the next start.
  await db
    .insertInto('settings')
    .values({ name: CALENDAR_SETTING, value: wanted })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value: wanted }))
    .execute();
  return balfs.length;
}
