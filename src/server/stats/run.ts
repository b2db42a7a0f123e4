/** Runs a stats query over the daily rollups and shapes the protocol answer (the "run → result" steps). */
import { sql, type RawBuilder } from 'kysely';
import { addDays, isoWeekStart, monthStart, todayIn, workingDaysAfter } from '../../core/calendar.ts';
import { activeOverlays } from '../calendar/overrides.ts';
import {
  PlaceCalendars,
  departmentPlaceSql,
  placeSql,
  splitDeclaredServices,
  type PlaceRow,
} from '../calendar/places.ts';
import type { Granularity, StatsAnswer } from '../../core/protocol.ts';
import type { Target } from '../../core/targets.ts';
import type { Db } from '../db/schema.ts';
import { UNANSWERED } from '../ingest/delays.ts';
import { MetricsAccumulator } from './metrics.ts';
import type { StatsParams } from './params.ts';
import { addSentVia } from './sent-via.ts';
import type { Subject } from './subject.ts';

export interface RunOptions {
  now: Date;
  whitMondayWorked: boolean;
}

export function periodOf(day: string, granularity: Granularity): string {
  return granularity === 'day' ? day : granularity === 'week' ? isoWeekStart(day) : monthStart(day);
}

/** Every period of [from, to], in order (the first may start before `from`). */
export function periodsOf(from: string, to: string, granularity: Granularity): string[] {
  const out: string[] = [];
  let day = from;
  while (day <= to) {
    const p = periodOf(day, granularity);
    if (out[out.length - 1] !== p) out.push(p);
    day = granularity === 'day' ? addDays(day, 1) : granularity === 'week' ? addDays(p, 7) : nextMonth(p);
  }
  return out;
}

function nextMonth(first: string): string {
  const [y, m] = first.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

/**
 * Where the rollup rows of a query come from. National queries read the department rollups;
 * the others read BALF rollups joined to the directory (inner joins when only directory BALFs count).
 */
export interface Source {
  flows: RawBuilder<unknown>;
  replies: RawBuilder<unknown>;
  child: RawBuilder<unknown>;
  /**
   * Calendar place of a reply row (src/server/calendar/places.ts placeKey): the declared days of that
   * place decide when unanswered mail is overdue. Department rollups know no service: national
   * queries split the declared services' share out with splitDeclaredServices.
   */
  place: RawBuilder<unknown>;
  where: RawBuilder<unknown>;
}

export function sourceOf(subject: Subject): Source {
  if (subject.rollup === 'department') {
    return {
      flows: sql`department_daily_flows f`,
      replies: sql`department_daily_replies f`,
      child: sql`f.department`,
      place: departmentPlaceSql,
      where: sql`1 = 1`,
    };
  }
  const join = subject.attachedOnly ? sql`join` : sql`left join`;
  return {
    flows: sql`daily_flows f ${join} balfs b on b.address = f.balf ${join} services s on s.code = b.service_code`,
    replies: sql`daily_replies f ${join} balfs b on b.address = f.balf ${join} services s on s.code = b.service_code
      ${join} departments d on d.code = s.department_code`,
    child: subject.childExpr,
    place: placeSql,
    where: subject.where,
  };
}

type Count = number | string;
type Declarations = Awaited<ReturnType<typeof activeOverlays>>;

/**
 * Five aggregate queries instead of one row per (child, day): the database sums, and only a few
 * thousand rows reach JavaScript even for a national year. Unanswered rows keep their place.
 */
async function fetchRows(db: Db, params: StatsParams, subject: Subject, overlays: Declarations) {
  const src = sourceOf(subject);
  const range = sql`f.day >= ${params.from} and f.day <= ${params.to} and ${src.where}`;
  const seriesFlows = sql<{ day: string; dir: string; cat: string; n: Count; refined: Count }>`
    select f.day as day, f.dir as dir, f.cat as cat, sum(f.count) as n, sum(f.refined) as refined
    from ${src.flows}
    where ${range} group by f.day, f.dir, f.cat`.execute(db);
  const seriesReplies = sql<{ place: string; day: string; delay: Count; n: Count }>`
    select case when f.delay = ${UNANSWERED} then ${src.place} else '' end as place, f.day as day,
      f.delay as delay, sum(f.count) as n from ${src.replies}
    where ${range} group by 1, f.day, f.delay`.execute(db);
  const childUnanswered =
    subject.childLevel === null
      ? null
      : sql<{ child: string; place: string; day: string; n: Count }>`
    select ${src.child} as child, ${src.place} as place, f.day as day, sum(f.count) as n from ${src.replies}
    where ${range} and f.delay = ${UNANSWERED} group by 1, 2, f.day`.execute(db);
  const childFlows =
    subject.childLevel === null
      ? null
      : sql<{ child: string; dir: string; cat: string; n: Count; refined: Count }>`
    select ${src.child} as child, f.dir as dir, f.cat as cat, sum(f.count) as n, sum(f.refined) as refined
    from ${src.flows}
    where ${range} group by 1, f.dir, f.cat`.execute(db);
  const childAnswered =
    subject.childLevel === null
      ? null
      : sql<{ child: string; delay: Count; n: Count }>`
    select ${src.child} as child, f.delay as delay, sum(f.count) as n from ${src.replies}
    where ${range} and f.delay >= 0 group by 1, f.delay`.execute(db);

  const replies: PlaceRow[] = (await seriesReplies).rows.map((r) => ({
    child: '',
    place: r.place,
    day: r.day,
    delay: Number(r.delay),
    n: Number(r.n),
  }));
  const unanswered: PlaceRow[] = ((await childUnanswered)?.rows ?? []).map((r) => ({
    child: r.child,
    place: r.place,
    day: r.day,
    delay: UNANSWERED,
    n: Number(r.n),
  }));
  const national = subject.rollup === 'department';
  const split = (rows: PlaceRow[], child: (department: string) => string) =>
    national
      ? splitDeclaredServices(
          db,
          rows,
          overlays,
          sql`f.day >= ${params.from} and f.day <= ${params.to} and f.delay = ${UNANSWERED}`,
          child,
        )
      : rows;
  return {
    seriesFlows: (await seriesFlows).rows,
    seriesReplies: await split(replies, () => ''),
    childFlows: (await childFlows)?.rows ?? [],
    childAnswered: (await childAnswered)?.rows ?? [],
    childUnanswered: childUnanswered === null ? [] : await split(unanswered, (department) => department),
  };
}

export async function runStats(
  db: Db,
  params: StatsParams,
  subject: Subject,
  target: Target,
  options: RunOptions,
): Promise<StatsAnswer> {
  const overlays = await activeOverlays(db);
  const rows = await fetchRows(db, params, subject, overlays);
  const totals = new MetricsAccumulator();
  const series = new Map<string, MetricsAccumulator>();
  for (const p of periodsOf(params.from, params.to, params.granularity))
    series.set(p, new MetricsAccumulator());
  const children = new Map<string, MetricsAccumulator>();
  const childOf = (id: string): MetricsAccumulator => {
    let acc = children.get(id);
    if (!acc) children.set(id, (acc = new MetricsAccumulator()));
    return acc;
  };

  // Unanswered mail: overdue once more working days than the target have passed since receipt, as
  // counted in the row's place (its declared days included).
  const places = new PlaceCalendars(overlays, options.whitMondayWorked);
  const elapsedCache = new Map<string, number>();
  const unansweredStatus = (place: string, day: string): 'pending' | 'overdue' => {
    const k = `${place}\u0000${day}`;
    let v = elapsedCache.get(k);
    if (v === undefined) {
      const { region, options: calendar } = places.of(place);
      const today = todayIn(region, options.now);
      v = today <= day ? 0 : workingDaysAfter(day, today, region, calendar);
      elapsedCache.set(k, v);
    }
    return v > target.workingDays ? 'overdue' : 'pending';
  };
  const answeredStatus = (delay: number) =>
    delay <= target.workingDays ? 'answered_in_time' : 'answered_late';

  for (const row of rows.seriesFlows) {
    const n = Number(row.n);
    const refined = Number(row.refined);
    totals.addFlow(row.dir, row.cat, n, refined);
    series.get(periodOf(row.day, params.granularity))?.addFlow(row.dir, row.cat, n, refined);
  }
  for (const row of rows.seriesReplies) {
    const { n, delay } = row;
    const status = delay === UNANSWERED ? unansweredStatus(row.place, row.day) : answeredStatus(delay);
    const d = delay === UNANSWERED ? null : delay;
    totals.addReplies(status, d, n);
    series.get(periodOf(row.day, params.granularity))?.addReplies(status, d, n);
  }
  for (const row of rows.childFlows)
    childOf(row.child).addFlow(row.dir, row.cat, Number(row.n), Number(row.refined));
  for (const row of rows.childAnswered) {
    const delay = Number(row.delay);
    childOf(row.child).addReplies(answeredStatus(delay), delay, Number(row.n));
  }
  for (const row of rows.childUnanswered) {
    childOf(row.child).addReplies(unansweredStatus(row.place, row.day), null, row.n);
  }

  const listed = subject.childrenFromData
    ? [...children.keys()].sort().map((id) => ({ level: subject.childLevel!, id, name: id }))
    : subject.children;
  return addSentVia(db, params, subject, {
    level: params.level,
    id: subject.id,
    from: params.from,
    to: params.to,
    granularity: params.granularity,
    target: { id: target.id, workingDays: target.workingDays },
    totals: totals.toMetrics(),
    series: [...series].map(([period, acc]) => ({ period, ...acc.toMetrics() })),
    children: listed.map((c) => ({ ...c, ...(children.get(c.id) ?? new MetricsAccumulator()).toMetrics() })),
  });
}
