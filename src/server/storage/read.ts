/**
 * Reads what a storage view needs (the "build → run" steps): the BALFs of the subject with their
 * service, department and region, their daily readings since a day, and the national or departmental
 * daily counts of BALFs at 80 / 95 % or more.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Region } from '../../core/calendar.ts';
import type { Level } from '../../core/protocol.ts';
import { CRITICAL_PERCENT, WARNING_PERCENT } from '../../core/storage.ts';
import type { Db } from '../db/schema.ts';
import { regionOf, UNATTACHED_REGION } from '../ingest/directory.ts';
import { UNATTACHED_ID } from '../stats/subject.ts';

export interface WatchedBalf {
  balf: string;
  /** Service and department codes; null for a BALF outside the directory. */
  service: string | null;
  department: string | null;
  region: Region;
}

export interface DayReading {
  balf: string;
  day: string;
  at: string;
  usedBytes: number | null;
  limitBytes: number | null;
}

const notInDirectory = sql`not exists (select 1 from balfs x where x.address = f.balf)`;

/** Condition on `storage_days f` (joined to b = balfs, s = services) selecting the subject's BALFs. */
function readingsOf(level: Level, id: string): RawBuilder<unknown> {
  switch (level) {
    case 'national':
      return sql`1 = 1`;
    case 'department':
      return id === UNATTACHED_ID ? notInDirectory : sql`s.department_code = ${id}`;
    case 'service':
      return sql`b.service_code = ${id}`;
    case 'balf':
      return sql`f.balf = ${id}`;
  }
}

/** Every BALF the view covers: the directory's under the subject, and readings of unattached ones. */
export async function watchedBalfs(db: Db, level: Level, id: string): Promise<WatchedBalf[]> {
  const unattachedOnly = level === 'department' && id === UNATTACHED_ID;
  let directory: WatchedBalf[] = [];
  if (!unattachedOnly) {
    let q = db
      .selectFrom('balfs as b')
      .innerJoin('services as s', 's.code', 'b.service_code')
      .innerJoin('departments as d', 'd.code', 's.department_code')
      .select(['b.address', 's.code', 's.department_code', 's.region as sr', 'd.region as dr']);
    if (level === 'department') q = q.where('s.department_code', '=', id);
    else if (level === 'service') q = q.where('b.service_code', '=', id);
    else if (level === 'balf') q = q.where('b.address', '=', id);
    directory = (await q.orderBy('b.address').execute()).map((r) => ({
      balf: r.address,
      service: r.code,
      department: r.department_code,
      region: regionOf(r.sr, r.dr),
    }));
  }
  if (level === 'national' || unattachedOnly || (level === 'balf' && directory.length === 0)) {
    const rows = await sql<{ balf: string }>`select distinct f.balf as balf from storage_days f
      where ${notInDirectory} ${level === 'balf' ? sql`and f.balf = ${id}` : sql``} order by f.balf`.execute(
      db,
    );
    const outside = rows.rows.map((r) => ({
      balf: r.balf,
      service: null,
      department: null,
      region: UNATTACHED_REGION,
    }));
    // A BALF the directory does not know and that never reported still has a page (with no figure).
    if (level === 'balf' && outside.length === 0 && directory.length === 0)
      outside.push({ balf: id, service: null, department: null, region: UNATTACHED_REGION });
    directory = [...directory, ...outside];
  }
  return directory;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** Daily readings of the subject's BALFs from `since` on, by BALF then day. */
export async function dayReadings(db: Db, level: Level, id: string, since: string): Promise<DayReading[]> {
  const rows = await sql<{
    balf: string;
    day: string;
    at: string;
    used_bytes: number | string | null;
    limit_bytes: number | string | null;
  }>`select f.balf, f.day, f.at, f.used_bytes, f.limit_bytes from storage_days f
    left join balfs b on b.address = f.balf left join services s on s.code = b.service_code
    where f.day >= ${since} and ${readingsOf(level, id)} order by f.balf, f.day`.execute(db);
  return rows.rows.map((r) => ({
    balf: r.balf,
    day: r.day,
    at: r.at,
    usedBytes: num(r.used_bytes),
    limitBytes: num(r.limit_bytes),
  }));
}

export interface DayCount {
  day: string;
  known: number;
  above80: number;
  above95: number;
}

/** Per day since `since`: BALFs read with a quota, and how many were at 80 % and 95 % or more. */
export async function dailyCounts(db: Db, level: Level, id: string, since: string): Promise<DayCount[]> {
  const rows = await sql<{
    day: string;
    known: number | string;
    above80: number | string;
    above95: number | string;
  }>`
    select f.day, count(*) as known,
      sum(case when f.used_bytes * 100 >= ${sql.lit(WARNING_PERCENT)} * f.limit_bytes then 1 else 0 end) as above80,
      sum(case when f.used_bytes * 100 >= ${sql.lit(CRITICAL_PERCENT)} * f.limit_bytes then 1 else 0 end) as above95
    from storage_days f
    left join balfs b on b.address = f.balf left join services s on s.code = b.service_code
    where f.day >= ${since} and f.limit_bytes is not null and ${readingsOf(level, id)}
    group by f.day order by f.day`.execute(db);
  return rows.rows.map((r) => ({
    day: r.day,
    known: Number(r.known),
    above80: Number(r.above80),
    above95: Number(r.above95),
  }));
}
