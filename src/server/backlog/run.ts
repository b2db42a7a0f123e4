/** Runs a backlog query and shapes the answer: buckets of the subject and of each child (the "result" step). */
import {
  BacklogTally,
  MIN_BALFS_ABOVE_SERVICE,
  backlogAge,
  idleDaysAfter,
  rollupStateOn,
  type BacklogAnswer,
} from '../../core/backlog.ts';
import {
  addDays,
  localDay,
  regions,
  todayIn,
  type CalendarOverlay,
  type Region,
} from '../../core/calendar.ts';
import type { Level } from '../../core/protocol.ts';
import type { Target } from '../../core/targets.ts';
import type { Db } from '../db/schema.ts';
import { activeOverlays } from '../calendar/overrides.ts';
import { PlaceCalendars, closedDaysBetween } from '../calendar/places.ts';
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

/**
 * Delay bands by week of receipt: the law's smallest age over every region, less the declared
 * closed days in between (each lowers an age by one at most, in any place).
 */
function delayBands(
  asOf: string,
  lawAge: (day: string, region: Region) => number,
  declarations: readonly Pick<CalendarOverlay, 'scope' | 'day' | 'state'>[],
): DelayBand[] {
  const bands: DelayBand[] = [];
  for (let i = 0; i <= WEEKLY_BANDS; i++) {
    const latestDay = addDays(asOf, -7 * i);
    const law = Math.min(...regions.map((r) => lawAge(latestDay, r)));
    bands.push({ latestDay, minDelay: Math.max(0, law - closedDaysBetween(declarations, latestDay, asOf)) });
  }
  return bands;
}

const key = (child: string, place: string, day: string) => `${child}\u0000${place}\u0000${day}`;

export async function runBacklog(
  db: Db,
  subject: Subject,
  asOf: string,
  target: Target,
  options: BacklogRunOptions,
): Promise<BacklogAnswer> {
  // Ages are working days of each row's place: the law of its region and the days declared for it
  // (src/server/calendar/places.ts), as the stored reply delays are.
  const declarations = await activeOverlays(db);
  const places = new PlaceCalendars(declarations, options.whitMondayWorked);
  const ages = new Map<string, number>();
  const age = (day: string, place: string): number => {
    const k = `${place}\u0000${day}`;
    let v = ages.get(k);
    if (v === undefined) {
      const { region, options: calendar } = places.of(place);
      ages.set(k, (v = backlogAge(day, asOf, region, calendar) ?? 0));
    }
    return v;
  };
  const lawAge = (day: string, region: Region) =>
    backlogAge(day, asOf, region, { whitMondayWorked: options.whitMondayWorked }) ?? 0;
  // An answer after asOf exists only when asOf is over somewhere; otherwise only unanswered rows wait.
  const past = asOf < latestToday(options.now);
  const bands = past ? delayBands(asOf, lawAge, declarations) : null;
  const rows = await fetchRollupRows(db, subject, asOf, bands, declarations);

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
    const a = age(row.day, row.place);
    const state = rollupStateOn(row.delay, a);
    if (state === 'waiting') add(row.child, a, row.n);
    else if (state === 'unknown' && idleDaysOf(places, asOf, row.place).length > 0) {
      unknown.set(key(row.child, row.place, row.day), { row, left: row.n });
    }
  }
  if (unknown.size > 0) {
    await addAnsweredOnIdleDays(db, subject, asOf, { places, declarations }, unknown, add, age);
  }

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

function idleDaysOf(places: PlaceCalendars, asOf: string, place: string): string[] {
  const { region, options } = places.of(place);
  return idleDaysAfter(asOf, region, options);
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
  calendar: { places: PlaceCalendars; declarations: Parameters<typeof fetchSenders>[3] },
  unknown: Map<string, { row: RollupRow; left: number }>,
  add: (child: string, ageDays: number, n: number) => void,
  age: (day: string, place: string) => number,
): Promise<void> {
  const idle = new Map<string, Set<string>>();
  for (const { row } of unknown.values()) {
    if (!idle.has(row.place)) idle.set(row.place, new Set(idleDaysOf(calendar.places, asOf, row.place)));
  }
  const allIdle = [...new Set([...idle.values()].flatMap((s) => [...s]))].sort();
  const senders = (await fetchSenders(db, subject, allIdle, calendar.declarations)).filter((s) =>
    idle.has(s.place),
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
    const { region } = calendar.places.of(sender.place);
    if (!idle.get(sender.place)!.has(localDay(r.answeredAt, region))) continue;
    const u = unknown.get(key(sender.child, sender.place, r.day));
    if (!u || u.left === 0) continue;
    u.left--;
    add(sender.child, age(r.day, sender.place), 1);
  }
}
