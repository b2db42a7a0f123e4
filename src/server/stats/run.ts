/** Runs a stats query over the daily rollups and shapes the protocol answer (the "run → result" steps). */
import { sql } from 'kysely';
import {
  addDays,
  isoWeekStart,
  monthStart,
  todayIn,
  workingDaysAfter,
  type Region,
} from '../../core/calendar.ts';
import type { Granularity, StatsAnswer } from '../../core/protocol.ts';
import type { Target } from '../../core/targets.ts';
import type { Db } from '../db/schema.ts';
import { regionOf } from '../ingest/directory.ts';
import { UNANSWERED } from '../ingest/delays.ts';
import { MetricsAccumulator } from './metrics.ts';
import type { StatsParams } from './params.ts';
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

interface FlowRow {
  child: string;
  day: string;
  dir: string;
  cat: string;
  n: number | string;
}
interface ReplyRow {
  child: string;
  service_region: string | null;
  department_region: string | null;
  day: string;
  delay: number | string;
  n: number | string;
}

async function balfRows(
  db: Db,
  params: StatsParams,
  subject: Subject,
): Promise<{ flows: FlowRow[]; replies: ReplyRow[] }> {
  const join = subject.attachedOnly ? sql`join` : sql`left join`;
  const flows = await sql<FlowRow>`
    select ${subject.childExpr} as child, f.day as day, f.dir as dir, f.cat as cat, sum(f.count) as n
    from daily_flows f
    ${join} balfs b on b.address = f.balf
    ${join} services s on s.code = b.service_code
    where f.day >= ${params.from} and f.day <= ${params.to} and ${subject.where}
    group by 1, f.day, f.dir, f.cat`.execute(db);
  const replies = await sql<ReplyRow>`
    select ${subject.childExpr} as child, s.region as service_region, d.region as department_region,
      f.day as day, f.delay as delay, sum(f.count) as n
    from daily_replies f
    ${join} balfs b on b.address = f.balf
    ${join} services s on s.code = b.service_code
    ${join} departments d on d.code = s.department_code
    where f.day >= ${params.from} and f.day <= ${params.to} and ${subject.where}
    group by 1, s.region, d.region, f.day, f.delay`.execute(db);
  return { flows: flows.rows, replies: replies.rows };
}

async function departmentRows(
  db: Db,
  params: StatsParams,
): Promise<{ flows: FlowRow[]; replies: ReplyRow[] }> {
  const flows = await sql<FlowRow>`
    select f.department as child, f.day as day, f.dir as dir, f.cat as cat, f.count as n
    from department_daily_flows f
    where f.day >= ${params.from} and f.day <= ${params.to}`.execute(db);
  const replies = await sql<ReplyRow>`
    select f.department as child, f.region as service_region, null as department_region,
      f.day as day, f.delay as delay, f.count as n
    from department_daily_replies f
    where f.day >= ${params.from} and f.day <= ${params.to}`.execute(db);
  return { flows: flows.rows, replies: replies.rows };
}

export async function runStats(
  db: Db,
  params: StatsParams,
  subject: Subject,
  target: Target,
  options: RunOptions,
): Promise<StatsAnswer> {
  const { flows, replies } =
    subject.rollup === 'department' ? await departmentRows(db, params) : await balfRows(db, params, subject);
  const totals = new MetricsAccumulator();
  const series = new Map<string, MetricsAccumulator>();
  for (const p of periodsOf(params.from, params.to, params.granularity))
    series.set(p, new MetricsAccumulator());
  const children = new Map<string, MetricsAccumulator>();
  const childOf = (id: string): MetricsAccumulator | null => {
    if (subject.childLevel === null) return null;
    let acc = children.get(id);
    if (!acc) children.set(id, (acc = new MetricsAccumulator()));
    return acc;
  };

  for (const row of flows) {
    const n = Number(row.n);
    totals.addFlow(row.dir, row.cat, n);
    series.get(periodOf(row.day, params.granularity))?.addFlow(row.dir, row.cat, n);
    childOf(row.child)?.addFlow(row.dir, row.cat, n);
  }

  // Unanswered mail: overdue once more working days than the target have passed since receipt.
  const elapsedCache = new Map<string, number>();
  const elapsed = (region: Region, day: string): number => {
    const k = `${region}|${day}`;
    let v = elapsedCache.get(k);
    if (v === undefined) {
      const today = todayIn(region, options.now);
      v =
        today <= day
          ? 0
          : workingDaysAfter(day, today, region, { whitMondayWorked: options.whitMondayWorked });
      elapsedCache.set(k, v);
    }
    return v;
  };
  for (const row of replies) {
    const n = Number(row.n);
    const delay = Number(row.delay);
    let status: 'answered_in_time' | 'answered_late' | 'pending' | 'overdue';
    if (delay === UNANSWERED) {
      const region = regionOf(row.service_region, row.department_region);
      status = elapsed(region, row.day) > target.workingDays ? 'overdue' : 'pending';
    } else {
      status = delay <= target.workingDays ? 'answered_in_time' : 'answered_late';
    }
    const d = delay === UNANSWERED ? null : delay;
    totals.addReplies(status, d, n);
    series.get(periodOf(row.day, params.granularity))?.addReplies(status, d, n);
    childOf(row.child)?.addReplies(status, d, n);
  }

  const listed = subject.childrenFromData
    ? [...children.keys()].sort().map((id) => ({ level: subject.childLevel!, id, name: id }))
    : subject.children;
  return {
    level: params.level,
    id: subject.id,
    from: params.from,
    to: params.to,
    granularity: params.granularity,
    target: { id: target.id, workingDays: target.workingDays },
    totals: totals.toMetrics(),
    series: [...series].map(([period, acc]) => ({ period, ...acc.toMetrics() })),
    children: listed.map((c) => ({ ...c, ...(children.get(c.id) ?? new MetricsAccumulator()).toMetrics() })),
  };
}
