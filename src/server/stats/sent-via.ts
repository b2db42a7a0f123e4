/**
 * The `sentVia` metric of a stats answer: replies sent from another identity than the BALF's, per period
 * and per child, read from `daily_sent_via` with the same subject (where, child) as the other rollups.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Metrics, StatsAnswer } from '../../core/protocol.ts';
import type { Db } from '../db/schema.ts';
import type { StatsParams } from './params.ts';
import type { Subject } from './subject.ts';

type Count = number | string;

function sourceOf(subject: Subject): {
  from: RawBuilder<unknown>;
  child: RawBuilder<unknown>;
  where: RawBuilder<unknown>;
} {
  if (subject.rollup === 'department') {
    // National: by the department each BALF's counts are credited to ('unattached' included).
    return {
      from: sql`daily_sent_via f join balf_homes h on h.balf = f.balf`,
      child: sql`h.department`,
      where: sql`1 = 1`,
    };
  }
  const join = subject.attachedOnly ? sql`join` : sql`left join`;
  return {
    from: sql`daily_sent_via f ${join} balfs b on b.address = f.balf ${join} services s on s.code = b.service_code`,
    child: subject.childExpr,
    where: subject.where,
  };
}

/** The series entry whose period holds `day`: the last one starting on or before it (periods are in order). */
function periodHolding<T extends { period: string }>(series: readonly T[], day: string): T | undefined {
  let lo = 0;
  let hi = series.length - 1;
  let found: T | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const entry = series[mid]!;
    if (entry.period <= day) {
      found = entry;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function add(metrics: Metrics, via: string, n: number): void {
  if (via === 'personal') metrics.sentVia.personal += n;
  else if (via === 'other-balf') metrics.sentVia.otherBalf += n;
}

/** Fills `sentVia` of the totals, series and children of `answer` (built by runStats for `subject`). */
export async function addSentVia(
  db: Db,
  params: StatsParams,
  subject: Subject,
  answer: StatsAnswer,
): Promise<StatsAnswer> {
  const src = sourceOf(subject);
  const range = sql`f.day >= ${params.from} and f.day <= ${params.to} and ${src.where}`;
  const byDay = await sql<{ day: string; via: string; n: Count }>`
    select f.day as day, f.via as via, sum(f.count) as n from ${src.from}
    where ${range} group by f.day, f.via`.execute(db);
  for (const row of byDay.rows) {
    add(answer.totals, row.via, Number(row.n));
    const period = periodHolding(answer.series, row.day);
    if (period) add(period, row.via, Number(row.n));
  }
  if (subject.childLevel !== null && answer.children.length > 0) {
    const byChild = await sql<{ child: string; via: string; n: Count }>`
      select ${src.child} as child, f.via as via, sum(f.count) as n from ${src.from}
      where ${range} group by 1, f.via`.execute(db);
    const children = new Map(answer.children.map((c) => [c.id, c]));
    for (const row of byChild.rows) {
      const child = children.get(row.child);
      if (child) add(child, row.via, Number(row.n));
    }
  }
  return answer;
}
