/**
 * SQL of a backlog query: reply rollups of the messages that may have been waiting on a day, and
 * the few records that tell the rows the rollups cannot decide (the "build → run" steps).
 */
import { sql, type RawBuilder } from 'kysely';
import { addDays } from '../../core/calendar.ts';
import type { Db } from '../db/schema.ts';
import { UNANSWERED } from '../ingest/delays.ts';
import type { CalendarOverlay } from '../../core/calendar.ts';
import {
  declaredServices,
  placeKey,
  placeSql,
  splitDeclaredServices,
  type PlaceRow,
} from '../calendar/places.ts';
import { sourceOf } from '../stats/run.ts';
import { UNATTACHED_ID, type Subject } from '../stats/subject.ts';

type Count = number | string;
type Declaration = Pick<CalendarOverlay, 'scope' | 'day' | 'state'>;

/**
 * Rollup rows: messages received on `day` (local to the calendar place `place`, see
 * src/server/calendar/places.ts) with `delay` (-1: unanswered), under `child`.
 */
export type RollupRow = PlaceRow;

/**
 * A lower bound on the delay a row of these days must have to be of interest: answers with a
 * shorter delay were sent by the day asked about. `minDelay` is the smallest age on `asOf` of a
 * message received on `latestDay` over every place (age only grows as receipt goes back).
 */
export interface DelayBand {
  /** The band is the week ending on this day (the last band: every day up to it). */
  latestDay: string;
  minDelay: number;
}

function bandCondition(bands: readonly DelayBand[]): RawBuilder<unknown> {
  const parts = bands.map((b, i) => {
    const upper = sql`f.day <= ${b.latestDay}`;
    const lower = i === bands.length - 1 ? sql`1 = 1` : sql`f.day > ${addDays(b.latestDay, -7)}`;
    return sql`(${upper} and ${lower} and f.delay >= ${b.minDelay})`;
  });
  return sql.join(parts, sql` or `);
}

/**
 * Reply rollup rows received by `asOf`: the unanswered ones, and when `withAnswered` the answered
 * ones whose delay reaches the band's bound (answered after `asOf`, or on it). The scan covers the
 * subject's rollups up to `asOf` (by primary key per BALF, or by day for the national rollups).
 */
export async function fetchRollupRows(
  db: Db,
  subject: Subject,
  asOf: string,
  bands: readonly DelayBand[] | null,
  declarations: readonly Declaration[],
): Promise<RollupRow[]> {
  const src = sourceOf(subject);
  const delays =
    bands === null
      ? sql`f.delay = ${UNANSWERED}`
      : sql`(f.delay = ${UNANSWERED} or (${bandCondition(bands)}))`;
  const { rows } = await sql<{ child: string; place: string; day: string; delay: Count; n: Count }>`
    select ${src.child} as child, ${src.place} as place, f.day as day, f.delay as delay, sum(f.count) as n
    from ${src.replies}
    where f.day <= ${asOf} and ${src.where} and ${delays}
    group by 1, 2, f.day, f.delay`.execute(db);
  const out = rows.map((r) => ({ ...r, delay: Number(r.delay), n: Number(r.n) }));
  if (subject.rollup !== 'department') return out;
  return splitDeclaredServices(db, out, declarations, sql`f.day <= ${asOf} and ${delays}`, (d) => d);
}

/**
 * A BALF that sent mail on a day after `asOf` where rollups cannot tell, with where it belongs: its
 * child and the place its rollup rows carry.
 */
export interface SenderBalf {
  balf: string;
  child: string;
  place: string;
}

/**
 * BALFs of the subject that sent anything on one of `days`: only their answers can fall on those
 * days. National: from `balf_homes` (one row per BALF) probing `daily_flows` by primary key; a BALF
 * of a service with declarations of its own carries that service in its place, like its rows.
 */
export async function fetchSenders(
  db: Db,
  subject: Subject,
  days: readonly string[],
  declarations: readonly Declaration[],
): Promise<SenderBalf[]> {
  if (days.length === 0) return [];
  const dayList = sql.join(days.map((d) => sql`${d}`));
  if (subject.rollup === 'department') {
    const declared = new Set(declaredServices(declarations));
    const { rows } = await sql<{ balf: string; department: string; region: string; service: string | null }>`
      select h.balf as balf, h.department as department, h.region as region, b.service_code as service
      from balf_homes h left join balfs b on b.address = h.balf
      where exists (select 1 from daily_flows f
        where f.balf = h.balf and f.day in (${dayList}) and f.dir = 'out')`.execute(db);
    return rows.map((r) => ({
      balf: r.balf,
      child: r.department,
      place: placeKey(
        r.region,
        r.department,
        r.service !== null && declared.has(r.service) ? r.service : null,
      ),
    }));
  }
  const join = subject.attachedOnly ? sql`join` : sql`left join`;
  const { rows } = await sql<SenderBalf>`
    select f.balf as balf, ${subject.childExpr} as child, ${placeSql} as place
    from daily_flows f ${join} balfs b on b.address = f.balf ${join} services s on s.code = b.service_code
      ${join} departments d on d.code = s.department_code
    where f.day in (${dayList}) and f.dir = 'out' and ${subject.where}
    group by f.balf, 2, 3`.execute(db);
  return rows;
}

/** A received usager record of a sender BALF whose first answer came shortly after `asOf`. */
export interface LateAnswered {
  balf: string;
  day: string;
  answeredAt: string;
}

const BALFS_PER_QUERY = 500;

/**
 * Received usager records of `balfs` received in [fromDay, asOf] and first answered between the
 * two instants (bounds a day wider than any time zone: the caller checks the local day). Read
 * through the (balf, day) index.
 */
export async function fetchLateAnswered(
  db: Db,
  balfs: readonly string[],
  fromDay: string,
  asOf: string,
  answeredFrom: string,
  answeredBefore: string,
): Promise<LateAnswered[]> {
  const out: LateAnswered[] = [];
  for (let i = 0; i < balfs.length; i += BALFS_PER_QUERY) {
    const chunk = balfs.slice(i, i + BALFS_PER_QUERY);
    const rows = await db
      .selectFrom('records')
      .select(['balf', 'day', 'answered_at'])
      .where('balf', 'in', chunk)
      .where('day', '>=', fromDay)
      .where('day', '<=', asOf)
      .where('dir', '=', 'in')
      .where('cat', '=', 'usager')
      .where('answered_at', '>=', answeredFrom)
      .where('answered_at', '<', answeredBefore)
      .execute();
    for (const r of rows) out.push({ balf: r.balf, day: r.day, answeredAt: r.answered_at! });
  }
  return out;
}

/** Directory BALFs per department (the unattached ones under `unattached`), for the two-BALF rule. */
export async function balfCountsByDepartment(db: Db): Promise<Map<string, number>> {
  const { rows } = await sql<{ department: string; n: Count }>`
    select s.department_code as department, count(*) as n from balfs b join services s on s.code = b.service_code
    group by s.department_code
    union all
    select ${sql.lit(UNATTACHED_ID)} as department, count(*) as n from balf_homes h
    where not exists (select 1 from balfs x where x.address = h.balf)`.execute(db);
  return new Map(rows.map((r) => [r.department, Number(r.n)]));
}
