/**
 * Storage watch of a BALF: use of its IMAP quota, growth per working day and projected day of
 * saturation, from its daily readings. One definition for the server, the dashboard and the add-on.
 */
import {
  addWorkingDays,
  dayNumber,
  workingDaysAfter,
  type Region,
  type WorkingDayOptions,
} from './calendar.ts';

/** Readings the trend is measured on: the last 30 calendar days. */
export const TREND_WINDOW_DAYS = 30;
/** The dashboard's line: 90 days. */
export const HISTORY_DAYS = 90;
/**
 * A fall of at least this share of the quota between two successive daily readings is a clean-up
 * (archiving, an emptied Trash), not part of the trend: daily deletions by the agents stay well under
 * it and are absorbed by the median, while a clean-up would otherwise read as weeks of shrinkage.
 */
export const CLEANUP_SHARE = 0.01;
/** Working days the readings must cover (clean-ups excluded) before a trend is given. */
export const MIN_TREND_WORKING_DAYS = 5;
/**
 * No day of saturation beyond this many working days (two years): thirty days of readings say
 * nothing that far ahead.
 */
export const MAX_PROJECTION_WORKING_DAYS = 500;

/** Thresholds of the watch, in percent: « 80 % ou plus », « 95 % ou plus ». */
export const WARNING_PERCENT = 80;
export const CRITICAL_PERCENT = 95;

/** The last reading of one day with a storage quota. */
export interface StoragePoint {
  /** `YYYY-MM-DD` in the BALF's region. */
  day: string;
  usedBytes: number;
  limitBytes: number;
}

export type StorageBand = 'full' | 'critical' | 'warning' | 'ok';

/**
 * The band of a use: `full` at 100 % or more, `critical` from 95 %, `warning` from 80 %, `ok` below.
 * Compared on integers (used × 100 ≥ 80 × limit), so a use exactly at a threshold is in it.
 */
export function storageBand(usedBytes: number, limitBytes: number): StorageBand {
  if (usedBytes >= limitBytes) return 'full';
  if (usedBytes * 100 >= CRITICAL_PERCENT * limitBytes) return 'critical';
  if (usedBytes * 100 >= WARNING_PERCENT * limitBytes) return 'warning';
  return 'ok';
}

/** Use in percent, one decimal (a display figure: thresholds are judged by `storageBand`). */
export function storagePercent(usedBytes: number, limitBytes: number): number {
  return Math.round((usedBytes / limitBytes) * 1000) / 10;
}

/** Groups of successive points between clean-ups, each in day order. */
export function cleanupSegments(points: readonly StoragePoint[]): StoragePoint[][] {
  const sorted = [...points].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const segments: StoragePoint[][] = [];
  let current: StoragePoint[] = [];
  for (const p of sorted) {
    const previous = current[current.length - 1];
    if (previous !== undefined && previous.usedBytes - p.usedBytes >= CLEANUP_SHARE * p.limitBytes) {
      segments.push(current);
      current = [];
    }
    current.push(p);
  }
  if (current.length > 0) segments.push(current);
  return segments;
}

function median(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * Growth in bytes per working day: the Theil–Sen slope (median of the slopes between every two
 * readings) pooled over the stretches between clean-ups, as the seasonal Kendall slope pools its
 * seasons. Pairs across a clean-up are left out, so a clean-up neither reads as a fall nor hides the
 * inflow before and after it; the median ignores a few odd readings. x is the count of working days
 * since the first reading: readings of a weekend share Friday's x, and the mail of a weekend counts
 * in the next working day's growth. Null when the stretches cover fewer than MIN_TREND_WORKING_DAYS.
 */
export function growthPerWorkingDay(
  points: readonly StoragePoint[],
  region: Region,
  options?: WorkingDayOptions,
): number | null {
  const segments = cleanupSegments(points);
  const first = segments[0]?.[0];
  if (first === undefined) return null;
  const x = (day: string): number => workingDaysAfter(first.day, day, region, options);
  const slopes: number[] = [];
  let covered = 0;
  for (const segment of segments) {
    const xs = segment.map((p) => x(p.day));
    covered += xs[xs.length - 1]! - xs[0]!;
    for (let i = 0; i < segment.length; i++) {
      for (let j = i + 1; j < segment.length; j++) {
        const dx = xs[j]! - xs[i]!;
        if (dx > 0) slopes.push((segment[j]!.usedBytes - segment[i]!.usedBytes) / dx);
      }
    }
  }
  if (covered < MIN_TREND_WORKING_DAYS || slopes.length === 0) return null;
  return median(slopes);
}

/**
 * The working day the quota is projected to be reached, counting from the latest reading at
 * `growth` bytes per working day: that day itself when already full; null without growth, or
 * beyond MAX_PROJECTION_WORKING_DAYS.
 */
export function saturationDay(
  latest: StoragePoint,
  growth: number | null,
  region: Region,
  options?: WorkingDayOptions,
): string | null {
  if (latest.usedBytes >= latest.limitBytes) return latest.day;
  if (growth === null || growth <= 0) return null;
  const days = Math.ceil((latest.limitBytes - latest.usedBytes) / growth);
  if (days > MAX_PROJECTION_WORKING_DAYS) return null;
  return addWorkingDays(latest.day, days, region, options);
}

export interface StorageFigures {
  usedBytes: number;
  limitBytes: number;
  percent: number;
  band: StorageBand;
  /** Bytes per working day, rounded; null without a trend yet. */
  growthBytesPerDay: number | null;
  fullOn: string | null;
}

/**
 * The figures of a BALF from its daily readings (the trend window's) and its latest reading: use
 * against the latest limit, growth over the window, projected day of saturation.
 */
export function storageFigures(
  points: readonly StoragePoint[],
  latest: StoragePoint,
  region: Region,
  options?: WorkingDayOptions,
): StorageFigures {
  const growth = growthPerWorkingDay(points, region, options);
  return {
    usedBytes: latest.usedBytes,
    limitBytes: latest.limitBytes,
    percent: storagePercent(latest.usedBytes, latest.limitBytes),
    band: storageBand(latest.usedBytes, latest.limitBytes),
    growthBytesPerDay: growth === null ? null : Math.round(growth),
    fullOn: saturationDay(latest, growth, region, options),
  };
}

/** What `closerToSaturation` compares: a known use, a projected day or none. */
export interface SaturationRank {
  usedBytes: number | null;
  limitBytes: number | null;
  fullOn: string | null;
}

/**
 * Order « closest to saturation first »: the earliest projected day, then the highest use, then
 * BALFs without a known quota last. A full BALF's day is its reading's, so it comes first.
 */
export function closerToSaturation(a: SaturationRank, b: SaturationRank): number {
  const known = (r: SaturationRank) => r.usedBytes !== null && r.limitBytes !== null && r.limitBytes > 0;
  if (known(a) !== known(b)) return known(a) ? -1 : 1;
  if (!known(a)) return 0;
  if (a.fullOn !== b.fullOn) {
    if (a.fullOn === null) return 1;
    if (b.fullOn === null) return -1;
    return dayNumber(a.fullOn) - dayNumber(b.fullOn);
  }
  return b.usedBytes! / b.limitBytes! - a.usedBytes! / a.limitBytes!;
}
