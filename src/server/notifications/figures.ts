/**
 * The figures of a digest or an alert, read through the same runs as `GET /api/v1/stats` and
 * `GET /api/v1/backlog` (never computed another way), with the backlog's rule on aggregates of
 * fewer than two BALF applied to the rates as well.
 */
import type { BacklogAnswer } from '../../core/backlog.ts';
import { addDays, isoWeekStart, localDay, type Region } from '../../core/calendar.ts';
import type { Metrics } from '../../core/protocol.ts';
import type { Target } from '../../core/targets.ts';
import { rateGap } from '../../core/verdict.ts';
import { subjectRegion } from '../backlog/region.ts';
import { runBacklog } from '../backlog/run.ts';
import type { Db } from '../db/schema.ts';
import { runStats } from '../stats/run.ts';
import type { Subject } from '../stats/subject.ts';
import type { AlertModel, DigestChild, DigestModel } from './templates.ts';

export interface FigureOptions {
  now: Date;
  whitMondayWorked: boolean;
  target: Target;
}

export interface DigestFigures {
  model: DigestModel;
  region: Region;
  /** Monday of the current week, the digest's period key. */
  week: string;
}

async function weekRate(db: Db, subject: Subject, from: string, o: FigureOptions) {
  return runStats(
    db,
    {
      level: subject.level,
      id: subject.id,
      from,
      to: addDays(from, 6),
      granularity: 'week',
      target: o.target.id,
      format: 'json',
      comparisons: [],
    },
    subject,
    o.target,
    { now: o.now, whitMondayWorked: o.whitMondayWorked },
  );
}

export async function backlogNow(db: Db, subject: Subject, o: FigureOptions): Promise<BacklogAnswer> {
  const asOf = localDay(o.now, await subjectRegion(db, subject));
  return runBacklog(db, subject, asOf, o.target, { now: o.now, whitMondayWorked: o.whitMondayWorked });
}

/**
 * The five children furthest below the target, as the dashboard ranks them (core rateGap: a rate resting
 * on fewer than MIN_DECIDED decided messages is not ranked); more « en retard » first among equals.
 */
function furthest(
  children: { label: string; metrics: Metrics; overdue: number; withheld: boolean }[],
): DigestChild[] {
  return children
    .map((c) => ({ ...c, gap: c.withheld ? null : rateGap(c.metrics) }))
    .filter((c): c is typeof c & { gap: number } => c.gap !== null)
    .sort((a, b) => a.gap - b.gap || b.overdue - a.overdue || a.label.localeCompare(b.label, 'fr'))
    .slice(0, 5)
    .map(({ label, metrics, overdue }) => ({ label, rate: metrics.complianceRate, overdue }));
}

export async function digestFigures(
  db: Db,
  subject: Subject,
  targetLabel: string,
  o: FigureOptions,
): Promise<DigestFigures> {
  const region = await subjectRegion(db, subject);
  const week = isoWeekStart(localDay(o.now, region));
  const lastWeek = addDays(week, -7);
  const [last, before, lastYear, backlog] = await Promise.all([
    weekRate(db, subject, lastWeek, o),
    weekRate(db, subject, addDays(lastWeek, -7), o),
    // 52 weeks back: the same ISO week of last year, Monday to Sunday.
    weekRate(db, subject, addDays(lastWeek, -364), o),
    backlogNow(db, subject, o),
  ]);
  const withheldChild = new Map(backlog.children.map((c) => [c.id, c]));
  const model: DigestModel = {
    level: subject.level,
    label: subject.name,
    target: { label: targetLabel, workingDays: o.target.workingDays },
    week: { from: lastWeek, to: addDays(lastWeek, 6) },
    rates: {
      lastWeek: last.totals.complianceRate,
      weekBefore: before.totals.complianceRate,
      lastYear: lastYear.totals.complianceRate,
    },
    withheld: backlog.withheld,
    backlog: { asOf: backlog.asOf, buckets: backlog.buckets, oldestAgeDays: backlog.oldestAgeDays },
    furthest: furthest(
      last.children.map((c) => {
        const b = withheldChild.get(c.id);
        return {
          label: c.name,
          metrics: c,
          overdue: b?.buckets?.overdue ?? 0,
          withheld: b?.withheld ?? false,
        };
      }),
    ),
    childLevel: subject.childLevel,
  };
  if (model.withheld) model.rates = { lastWeek: null, weekBefore: null, lastYear: null };
  return { model, region, week };
}

/** The alert of a backlog, or null when its figures are withheld. */
export function alertModel(
  subject: Subject,
  backlog: BacklogAnswer,
  threshold: number,
  target: { label: string; workingDays: number },
): AlertModel | null {
  if (backlog.withheld || backlog.buckets === null) return null;
  return {
    level: subject.level,
    label: subject.name,
    target,
    asOf: backlog.asOf,
    threshold,
    buckets: backlog.buckets,
    oldestAgeDays: backlog.oldestAgeDays,
  };
}
