// Period arithmetic of the dashboard: presets (this week … year), previous/next, ISO weeks from Monday.
import {
  addDays,
  addMonths,
  addQuarters,
  addWeeks,
  addYears,
  differenceInCalendarDays,
  endOfISOWeek,
  endOfMonth,
  endOfQuarter,
  endOfYear,
  format,
  getISOWeek,
  getISOWeekYear,
  setISOWeekYear,
  startOfISOWeek,
  startOfMonth,
  startOfQuarter,
  startOfYear,
  subMonths,
  subWeeks,
  subYears,
} from 'date-fns';
import { fr } from 'date-fns/locale';
import type { Granularity } from '../core/protocol.ts';

/** An inclusive range of calendar days, as `YYYY-MM-DD`. */
export interface Period {
  from: string;
  to: string;
}

export const presets = ['this-week', 'last-week', 'this-month', 'last-month', 'quarter', 'year'] as const;
export type Preset = (typeof presets)[number];

export const presetLabels: Record<Preset | 'custom', string> = {
  'this-week': 'Cette semaine',
  'last-week': 'Semaine dernière',
  'this-month': 'Ce mois-ci',
  'last-month': 'Mois dernier',
  quarter: 'Ce trimestre',
  year: 'Cette année',
  custom: 'Plage personnalisée',
};

const DAY = 'yyyy-MM-dd';

/** Parses `YYYY-MM-DD` as a local date; null when malformed. */
export function parseDay(day: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (match === null) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(y, m - 1, d);
  // Rejects 2026-02-30 and the like, which Date would roll over into March.
  return date.getFullYear() === y && date.getMonth() === m - 1 && date.getDate() === d ? date : null;
}

function toDay(date: Date): string {
  return format(date, DAY);
}

function range(from: Date, to: Date): Period {
  return { from: toDay(from), to: toDay(to) };
}

/** The period a preset designates on the given day (weeks start on Monday, ISO 8601). */
export function presetPeriod(preset: Preset, today: Date): Period {
  switch (preset) {
    case 'this-week':
      return range(startOfISOWeek(today), endOfISOWeek(today));
    case 'last-week': {
      const day = subWeeks(today, 1);
      return range(startOfISOWeek(day), endOfISOWeek(day));
    }
    case 'this-month':
      return range(startOfMonth(today), endOfMonth(today));
    case 'last-month': {
      const day = subMonths(today, 1);
      return range(startOfMonth(day), endOfMonth(day));
    }
    case 'quarter':
      return range(startOfQuarter(today), endOfQuarter(today));
    case 'year':
      return range(startOfYear(today), endOfYear(today));
  }
}

/** Up to this day of a month, the dashboard opens on the month just ended. */
const HOME_LAST_MONTH_UNTIL_DAY = 7;

/**
 * The period the dashboard opens on: this month, except in its first seven days, when it opens on
 * the month just ended — this one holds a few days at most then, and a month is reported on in the
 * first days of the next.
 */
export function homePeriod(today: Date): Period {
  return presetPeriod(today.getDate() <= HOME_LAST_MONTH_UNTIL_DAY ? 'last-month' : 'this-month', today);
}

/** The preset a period matches on that day, or 'custom'. */
export function presetOf(period: Period, today: Date): Preset | 'custom' {
  for (const preset of presets) {
    const p = presetPeriod(preset, today);
    if (p.from === period.from && p.to === period.to) return preset;
  }
  return 'custom';
}

export type Unit = 'week' | 'month' | 'quarter' | 'year' | 'days';

/** The calendar unit a period exactly covers (a whole ISO week, month, quarter or year), else 'days'. */
export function unitOf(period: Period): Unit {
  const from = parseDay(period.from);
  const to = parseDay(period.to);
  if (from === null || to === null) return 'days';
  const same = (a: Date, b: Date) => toDay(a) === toDay(b);
  if (same(from, startOfYear(from)) && same(to, endOfYear(from))) return 'year';
  if (same(from, startOfQuarter(from)) && same(to, endOfQuarter(from))) return 'quarter';
  if (same(from, startOfMonth(from)) && same(to, endOfMonth(from))) return 'month';
  if (same(from, startOfISOWeek(from)) && same(to, endOfISOWeek(from))) return 'week';
  return 'days';
}

/**
 * The period just before (step -1) or after (step 1): the previous/next calendar unit when the
 * period is a whole week, month, quarter or year (so "mois dernier" of March is all of February),
 * otherwise the same number of days shifted. `unit` forces the step (a custom range whose
 * neighbour happens to be a whole month keeps moving by its length).
 */
export function shiftPeriod(period: Period, step: 1 | -1, unit: Unit = unitOf(period)): Period {
  const from = parseDay(period.from);
  const to = parseDay(period.to);
  if (from === null || to === null) throw new Error(`période invalide ${period.from}..${period.to}`);
  switch (unit) {
    case 'year': {
      const start = addYears(from, step);
      return range(start, endOfYear(start));
    }
    case 'quarter': {
      const start = addQuarters(from, step);
      return range(start, endOfQuarter(start));
    }
    case 'month': {
      const start = addMonths(from, step);
      return range(start, endOfMonth(start));
    }
    case 'week': {
      const start = addWeeks(from, step);
      return range(start, endOfISOWeek(start));
    }
    case 'days': {
      const length = differenceInCalendarDays(to, from) + 1;
      return range(addDays(from, step * length), addDays(to, step * length));
    }
  }
}

/** Number of days in the period (inclusive). */
export function periodLength(period: Period): number {
  const from = parseDay(period.from);
  const to = parseDay(period.to);
  if (from === null || to === null) return 0;
  return differenceInCalendarDays(to, from) + 1;
}

/** A readable granularity for a period: days up to a month, weeks up to a quarter, then months. */
export function defaultGranularity(period: Period): Granularity {
  const days = periodLength(period);
  if (days <= 31) return 'day';
  if (days <= 92) return 'week';
  return 'month';
}

/** True when the period is well formed and not reversed. */
export function isValidPeriod(period: Period): boolean {
  const from = parseDay(period.from);
  const to = parseDay(period.to);
  return from !== null && to !== null && from.getTime() <= to.getTime();
}

/** French label of a period: « semaine 48 (du 23 au 29 novembre 2026) », « novembre 2026 », … */
export function periodLabel(period: Period): string {
  const from = parseDay(period.from);
  const to = parseDay(period.to);
  if (from === null || to === null) return `${period.from} – ${period.to}`;
  switch (unitOf(period)) {
    case 'year':
      return `année ${format(from, 'yyyy')}`;
    case 'quarter':
      return `${format(from, 'QQQQ yyyy', { locale: fr })}`;
    case 'month':
      return format(from, 'MMMM yyyy', { locale: fr });
    case 'week':
      return `semaine ${getISOWeek(from)} (${dayRange(from, to)})`;
    case 'days':
      return dayRange(from, to);
  }
}

function dayRange(from: Date, to: Date): string {
  if (toDay(from) === toDay(to)) return format(from, 'EEEE d MMMM yyyy', { locale: fr });
  return `du ${format(from, 'do MMMM yyyy', { locale: fr })} au ${format(to, 'do MMMM yyyy', { locale: fr })}`;
}

/**
 * What a period's figures are compared with: the period before, cut to the days the current one has
 * run when it ends after today — this month on the 10th is compared with the first ten days of last
 * month, not with all of it (which would show every count falling). Whole past periods, and
 * periods not begun, are compared with the whole period before.
 */
export function comparisonPeriod(period: Period, today: Date, unit?: Unit): Period {
  return cutLikeRunning(shiftPeriod(period, -1, unit), period, today);
}

/**
 * The same period one year earlier — the same month, quarter or ISO week (week 47 against week 47,
 * so the same weekdays), else the same dates — cut like `comparisonPeriod` while the period runs: a
 * seasonal peak (the income-tax campaign) is then compared with last year's, not read as a collapse.
 */
export function lastYearPeriod(period: Period, today: Date, unit: Unit = unitOf(period)): Period {
  const from = parseDay(period.from);
  const to = parseDay(period.to);
  if (from === null || to === null) throw new Error(`période invalide ${period.from}..${period.to}`);
  let before: Period;
  switch (unit) {
    case 'year':
      before = range(subYears(from, 1), endOfYear(subYears(from, 1)));
      break;
    case 'quarter':
      before = range(subYears(from, 1), endOfQuarter(subYears(from, 1)));
      break;
    case 'month':
      // Not subYears(to): the last day of February moves with leap years.
      before = range(subYears(from, 1), endOfMonth(subYears(from, 1)));
      break;
    case 'week': {
      const start = setISOWeekYear(from, getISOWeekYear(from) - 1);
      before = range(start, endOfISOWeek(start));
      break;
    }
    case 'days':
      before = range(subYears(from, 1), subYears(to, 1));
  }
  return cutLikeRunning(before, period, today);
}

/** `earlier` cut to as many days as `period` has run by today, when `period` is still running. */
function cutLikeRunning(earlier: Period, period: Period, today: Date): Period {
  const day = toDay(today);
  if (day < period.from || day >= period.to) return earlier;
  const from = parseDay(earlier.from) as Date;
  const elapsed = differenceInCalendarDays(today, parseDay(period.from) as Date);
  const cut = toDay(addDays(from, elapsed));
  return cut < earlier.to ? { from: earlier.from, to: cut } : earlier;
}

/** True while today falls inside the period (its last days are still to come). */
export function isRunning(period: Period, today: Date): boolean {
  const day = toDay(today);
  return period.from <= day && day <= period.to;
}

/** True when the period starts after today: nothing to show yet. */
export function isFuture(period: Period, today: Date): boolean {
  return period.from > toDay(today);
}

/** `YYYY-MM-DD` of a date (local day). */
export function dayOf(date: Date): string {
  return toDay(date);
}

/** « lundi 16 novembre 2026 », « vendredi 1er janvier 2027 » */
export function longDay(date: Date): string {
  return format(date, 'EEEE do MMMM yyyy', { locale: fr });
}

/** French label of a series period start: « 23/11/2026 », « sem. 48 2026 », « nov. 2026 ». */
export function bucketLabel(period: string, granularity: Granularity): string {
  const day = parseDay(period);
  if (day === null) return period;
  switch (granularity) {
    case 'day':
      return format(day, 'EEE d MMM yyyy', { locale: fr });
    case 'week':
      return `semaine ${getISOWeek(day)} (lun. ${format(day, 'd MMM yyyy', { locale: fr })})`;
    case 'month':
      return format(day, 'MMMM yyyy', { locale: fr });
  }
}

/** Short label of a series period for a chart axis: « 16 nov. », « sem. 47 », « nov. 2026 ». */
export function bucketShortLabel(period: string, granularity: Granularity): string {
  const day = parseDay(period);
  if (day === null) return period;
  switch (granularity) {
    case 'day':
      return format(day, 'd MMM', { locale: fr });
    case 'week':
      return `sem. ${getISOWeek(day)}`;
    case 'month':
      return format(day, 'MMM yyyy', { locale: fr });
  }
}

/** Last day (`YYYY-MM-DD`) of the series period starting on `period`. */
export function bucketEnd(period: string, granularity: Granularity): string {
  const day = parseDay(period);
  if (day === null) return period;
  switch (granularity) {
    case 'day':
      return period;
    case 'week':
      return toDay(endOfISOWeek(day));
    case 'month':
      return toDay(endOfMonth(day));
  }
}

/** « 3 mars 2026 » from `YYYY-MM-DD` (the text itself when malformed). */
export function longDate(iso: string): string {
  const day = parseDay(iso);
  return day === null ? iso : format(day, 'd MMMM yyyy', { locale: fr });
}
