/**
 * Runs a storage query and shapes its answer (`GET /api/v1/storage`): each BALF's figures from its
 * daily readings (src/core/storage.ts), counted per level, the level below and the closest to saturation.
 */
import { addDays, todayIn, workingDaysAfter, type WorkingDayOptions } from '../../core/calendar.ts';
import {
  closerToSaturation,
  HISTORY_DAYS,
  storageBand,
  storageFigures,
  storagePercent,
  TREND_WINDOW_DAYS,
  type StoragePoint,
} from '../../core/storage.ts';
import type { StorageBalf, StorageChild, StorageView } from '../../core/storage-protocol.ts';
import type { Db } from '../db/schema.ts';
import { UNATTACHED_ID, type Subject } from '../stats/subject.ts';
import { dailyCounts, dayReadings, watchedBalfs, type DayReading, type WatchedBalf } from './read.ts';

/** The closest to saturation listed above the service level. */
export const CLOSEST_COUNT = 10;

export interface StorageRunOptions {
  now: Date;
  whitMondayWorked: boolean;
}

/** A BALF's figures with where it sits (for grouping and CSV). */
export interface PlacedBalf extends StorageBalf {
  service: string | null;
  department: string | null;
}

/** Figures of one BALF from its readings of the window (by day). */
export function balfFigures(
  watched: WatchedBalf,
  readings: readonly DayReading[],
  today: string,
  options: WorkingDayOptions,
  withHistory: boolean,
): PlacedBalf {
  const windowStart = addDays(today, -TREND_WINDOW_DAYS);
  const points: StoragePoint[] = [];
  let history: { day: string; percent: number }[] = [];
  let reported = false;
  for (const r of readings) {
    if (r.day >= windowStart) reported = true;
    if (r.usedBytes === null || r.limitBytes === null || r.limitBytes <= 0) continue;
    const point = { day: r.day, usedBytes: r.usedBytes, limitBytes: r.limitBytes };
    if (r.day >= windowStart) points.push(point);
    if (withHistory) history.push({ day: r.day, percent: storagePercent(r.usedBytes, r.limitBytes) });
  }
  if (!withHistory) history = [];
  const base = {
    balf: watched.balf,
    service: watched.service,
    department: watched.department,
    ...(withHistory ? { history } : {}),
  };
  const latest = points[points.length - 1];
  if (latest === undefined) {
    return {
      ...base,
      usedBytes: null,
      limitBytes: null,
      percent: null,
      growthBytesPerDay: null,
      fullOn: null,
      daysLeft: null,
      sampledAt: null,
      unknown: reported ? 'not_given' : 'no_report',
    };
  }
  const figures = storageFigures(points, latest, watched.region, options);
  const sampledAt = readings.find((r) => r.day === latest.day)!.at;
  return {
    ...base,
    usedBytes: figures.usedBytes,
    limitBytes: figures.limitBytes,
    percent: figures.percent,
    growthBytesPerDay: figures.growthBytesPerDay,
    fullOn: figures.fullOn,
    daysLeft:
      figures.fullOn === null
        ? null
        : figures.fullOn <= today
          ? 0
          : workingDaysAfter(today, figures.fullOn, watched.region, options),
    sampledAt,
    unknown: null,
  };
}

interface Counts {
  above80: number;
  above95: number;
  unknown: number;
  total: number;
}

export function countsOf(balfs: readonly StorageBalf[]): Counts {
  const counts = { above80: 0, above95: 0, unknown: 0, total: balfs.length };
  for (const b of balfs) {
    if (b.usedBytes === null || b.limitBytes === null) {
      counts.unknown++;
      continue;
    }
    const band = storageBand(b.usedBytes, b.limitBytes);
    if (band !== 'ok') counts.above80++;
    if (band === 'critical' || band === 'full') counts.above95++;
  }
  return counts;
}

const publicBalf = ({ service: _s, department: _d, ...rest }: PlacedBalf): StorageBalf => rest;

export interface StorageResult {
  view: StorageView;
  /** Every BALF of the subject, closest to saturation first (the CSV lists them all). */
  balfs: PlacedBalf[];
}

export async function runStorage(
  db: Db,
  subject: Subject,
  options: StorageRunOptions,
): Promise<StorageResult> {
  const today = todayIn('metropole', options.now);
  const calendar = { whitMondayWorked: options.whitMondayWorked };
  // Unattached BALFs are listed one by one, as a service's are.
  const upper =
    subject.level === 'national' || (subject.level === 'department' && subject.id !== UNATTACHED_ID);
  // Above the service level the line is the daily count, computed by the database.
  const since = addDays(today, -(upper ? TREND_WINDOW_DAYS : HISTORY_DAYS));
  const [watched, readings, series] = await Promise.all([
    watchedBalfs(db, subject.level, subject.id),
    dayReadings(db, subject.level, subject.id, since),
    upper ? dailyCounts(db, subject.level, subject.id, addDays(today, -HISTORY_DAYS)) : Promise.resolve(null),
  ]);
  const byBalf = new Map<string, DayReading[]>();
  for (const r of readings) {
    const list = byBalf.get(r.balf);
    if (list) list.push(r);
    else byBalf.set(r.balf, [r]);
  }
  const balfs = watched
    .map((w) => balfFigures(w, byBalf.get(w.balf) ?? [], today, calendar, !upper))
    .sort(closerToSaturation);
  const head = { level: subject.level, id: subject.id, label: subject.name, today, ...countsOf(balfs) };
  if (!upper) return { view: { ...head, balfs: balfs.map(publicBalf) }, balfs };

  const childKey = (b: PlacedBalf): string | null =>
    subject.childLevel === 'department' ? (b.department ?? UNATTACHED_ID) : b.service;
  const groups = new Map<string, PlacedBalf[]>();
  for (const b of balfs) {
    const key = childKey(b);
    if (key === null) continue;
    const list = groups.get(key);
    if (list) list.push(b);
    else groups.set(key, [b]);
  }
  const listed = subject.children.filter((c) => c.id !== UNATTACHED_ID || groups.has(c.id));
  const children: StorageChild[] = listed.map((c) => {
    const list = groups.get(c.id) ?? [];
    const worst = list[0];
    return {
      level: c.level,
      id: c.id,
      label: c.name,
      ...countsOf(list),
      worst: worst === undefined || worst.unknown !== null ? null : publicBalf(worst),
    };
  });
  return {
    view: {
      ...head,
      children,
      closest: balfs
        .filter((b) => b.unknown === null)
        .slice(0, CLOSEST_COUNT)
        .map(publicBalf),
      series: series ?? [],
    },
    balfs,
  };
}
