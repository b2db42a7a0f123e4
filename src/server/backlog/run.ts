/** Runs a backlog query and shapes the answer: buckets of the subject and of each child (the "result" step). */
import {
  BacklogTally,
  MIN_BALFS_ABOVE_SERVICE,
  backlogAge,
  idleDaysAfter,
  rollupStateOn,
  type BacklogAnswer,
} from '../../core/backlog.ts';
import { addDays, localDay, regions, todayIn, type Region } from '../../core/calendar.ts';
import type { Level } from '../../core/protocol.ts';
import type { Target } from '../../core/targets.ts';
import type { Db } from '../db/schema.ts';
import { regionOf } from '../ingest/directory.ts';
import type { Subject } from '../stats/subject.ts';
import {
  balfCountsByDepartment,
  fetchLateAnswered,
  fetchRollupRows,
  fetchSenders,
  type DelayBand,
  type RollupRow,
} from './query.ts';

export interface BacklogRunOptions {
  now: Date;
  whitMondayWorked: boolean;
}

/** Weekly delay bands before the open-ended last one: half a year of receipts read with a tight bound. */
const WEEKLY_BANDS = 26;

/** The latest "today" over every region: no day after it has happened anywhere yet. */
export function latestToday(now: Date): string {
  return regions.map((r) => todayIn(r, now)).reduce((a, b) => (a > b ? a : b));
}

function delayBands(asOf: string, age: (day: string, region: Region) => number): DelayBand[] {
  const bands: DelayBand[] = [];
  for (let i = 0; i <= WEEKLY_BANDS; i++) {
    const latestDay = addDays(asOf, -7 * i);
    const minDelay = Math.min(...regions.map((r) => age(latestDay, r)));
    bands.push({ latestDay, minDelay });
  }
  return bands;
}

const key = (child: string, region: Region, day: string) => `${child}\u0000${region}\u0000${day}`;

export async function runBacklog(
  db: Db,
  subject: Subject,
  asOf: string,
  target: Target,
  options: BacklogRunOptions,
): Promise<BacklogAnswer> {
  const calendar = { whitMondayWorked: options.whitMondayWorked };
  const ages = new Map<string, number>();
  const age = (day: string, region: Region): number => {
    const k = `${region}|${day}`;
    let v = ages.get(k);
    if (v === undefined) ages.set(k, (v = backlogAge(day, asOf, region, calendar) ?? 0));
    return v;
  };
  // An answer after asOf exists only when asOf is over somewhere; otherwise only unanswered rows wait.
  const past = asOf < latestToday(options.now);
  const rows = await fetchRollupRows(db, subject, asOf, past ? delayBands(asOf, age) : null);

  const total = new BacklogTally(target);
  const children = new Map<string, BacklogTally>();
  const add = (child: string, ageDays: number, n: number): void => {
    total.add(ageDays, n);
    let tally = children.get(child);
    if (!tally) children.set(child, (tally = new BacklogTally(target)));
    tally.add(ageDays, n);
  };
  const unknown = new Map<string, { row: RollupRow; left: number }>();
  for (const row of rows) {
    const region = regionOf(row.region, null);
    const a = age(row.day, region);
    const state = rollupStateOn(row.delay, a);
    if (state === 'waiting') add(row.child, a, row.n);
    else if (state === 'unknown' && idleDaysAfter(asOf, region, calendar).length > 0) {
      unknown.set(key(row.child, region, row.day), { row, left: row.n });
    }
  }
  if (unknown.size > 0) await addAnsweredOnIdleDays(db, subject, asOf, calendar, unknown, add, age);

  const counts = await balfCountsByDepartment(db);
  const withheld = (level: Level, id: string): boolean =>
    (level === 'department' || level === 'national') &&
    (level === 'national' ? [...counts.values()].reduce((a, b) => a + b, 0) : (counts.get(id) ?? 0)) <
      MIN_BALFS_ABOVE_SERVICE;
  const figure = (level: Level, id: string, tally: BacklogTally | undefined) =>
    withheld(level, id)
      ? { buckets: null, oldestAgeDays: null, withheld: true }
      : {
          buckets: { ...(tally ?? new BacklogTally(target)).buckets },
          oldestAgeDays: tally?.oldestAgeDays ?? null,
          withheld: false,
        };
  const listed = subject.childrenFromData
    ? [...children.keys()].sort().map((id) => ({ level: subject.childLevel!, id, name: id }))
    : subject.children;
  return {
    level: subject.level,
    id: subject.id,
    label: subject.name,
    asOf,
    target: { id: target.id, workingDays: target.workingDays },
    ...figure(subject.level, subject.id, total),
    children: listed.map((c) => ({
      level: c.level,
      id: c.id,
      label: c.name,
      ...figure(c.level, c.id, children.get(c.id)),
    })),
  };
}

/**
 * Rollup rows whose delay equals their age on `asOf` were answered on `asOf` or earlier — or on
 * an idle day right after it, when they were still waiting. The records of the BALFs that sent
 * mail on those idle days tell which; the count moved never exceeds the row's.
 */
async function addAnsweredOnIdleDays(
  db: Db,
  subject: Subject,
  asOf: string,
  calendar: { whitMondayWorked: boolean },
  unknown: Map<string, { row: RollupRow; left: number }>,
  add: (child: string, ageDays: number, n: number) => void,
  age: (day: string, region: Region) => number,
): Promise<void> {
  const idle = new Map<Region, Set<string>>();
  for (const { row } of unknown.values()) {
    const region = regionOf(row.region, null);
    if (!idle.has(region)) idle.set(region, new Set(idleDaysAfter(asOf, region, calendar)));
  }
  const allIdle = [...new Set([...idle.values()].flatMap((s) => [...s]))].sort();
  const senders = (await fetchSenders(db, subject, allIdle)).filter((s) =>
    idle.has(regionOf(s.region, null)),
  );
  if (senders.length === 0) return;
  const where = new Map(senders.map((s) => [s.balf, s]));
  const fromDay = [...unknown.values()].map((u) => u.row.day).reduce((a, b) => (a < b ? a : b));
  // Instants a day wider than the idle days on both sides: every time zone's local day falls inside.
  const late = await fetchLateAnswered(
    db,
    [...where.keys()],
    fromDay,
    asOf,
    `${asOf}T00:00:00.000Z`,
    `${addDays(allIdle[allIdle.length - 1]!, 2)}T00:00:00.000Z`,
  );
  for (const r of late) {
    const sender = where.get(r.balf)!;
    const region = regionOf(sender.region, null);
    if (!idle.get(region)!.has(localDay(r.answeredAt, region))) continue;
    const u = unknown.get(key(sender.child, region, r.day));
    if (!u || u.left === 0) continue;
    u.left--;
    add(sender.child, age(r.day, region), 1);
  }
}
