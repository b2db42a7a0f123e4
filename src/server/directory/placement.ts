/** Where a level/id sits in the directory: its placement (for scope checks) and its breadcrumbs. */
import { sql } from 'kysely';
import type { Placement } from '../auth/scope.ts';
import type { Db } from '../db/schema.ts';

export type DirectoryLevel = 'national' | 'department' | 'service' | 'balf';
export const directoryLevels: readonly DirectoryLevel[] = ['national', 'department', 'service', 'balf'];

export interface Crumb {
  level: DirectoryLevel;
  id: string;
  name: string;
}

export const NATIONAL_CRUMB: Crumb = { level: 'national', id: 'national', name: 'National' };
/** Pseudo-department of the stats API grouping BALFs missing from the directory. */
export const UNATTACHED_ID = 'unattached';
export const UNATTACHED_CRUMB: Crumb = { level: 'department', id: UNATTACHED_ID, name: 'Non rattachées' };

/**
 * Placement and breadcrumbs (national first) of a directory entry; null when unknown. A BALF
 * missing from the directory but known from its records is "non rattachée": national only.
 */
export async function placementOf(
  db: Db,
  level: DirectoryLevel,
  id: string,
): Promise<{ placement: Placement; breadcrumbs: Crumb[] } | null> {
  if (level === 'national')
    return { placement: { department: null, service: null }, breadcrumbs: [NATIONAL_CRUMB] };
  if (level === 'department' && id === UNATTACHED_ID) {
    return {
      placement: { department: null, service: null },
      breadcrumbs: [NATIONAL_CRUMB, UNATTACHED_CRUMB],
    };
  }
  if (level === 'department') {
    const d = await db
      .selectFrom('departments')
      .select(['code', 'name'])
      .where('code', '=', id)
      .executeTakeFirst();
    if (!d) return null;
    return {
      placement: { department: d.code, service: null },
      breadcrumbs: [NATIONAL_CRUMB, { level: 'department', id: d.code, name: d.name }],
    };
  }
  if (level === 'service') {
    const s = await db
      .selectFrom('services as s')
      .innerJoin('departments as d', 'd.code', 's.department_code')
      .select(['s.code', 's.name', 'd.code as departmentCode', 'd.name as departmentName'])
      .where('s.code', '=', id)
      .executeTakeFirst();
    if (!s) return null;
    return {
      placement: { department: s.departmentCode, service: s.code },
      breadcrumbs: [
        NATIONAL_CRUMB,
        { level: 'department', id: s.departmentCode, name: s.departmentName },
        { level: 'service', id: s.code, name: s.name },
      ],
    };
  }
  const address = id.toLowerCase();
  const b = await db
    .selectFrom('balfs as b')
    .innerJoin('services as s', 's.code', 'b.service_code')
    .innerJoin('departments as d', 'd.code', 's.department_code')
    .select(['b.address', 's.code', 's.name', 'd.code as departmentCode', 'd.name as departmentName'])
    .where('b.address', '=', address)
    .executeTakeFirst();
  if (b) {
    return {
      placement: { department: b.departmentCode, service: b.code },
      breadcrumbs: [
        NATIONAL_CRUMB,
        { level: 'department', id: b.departmentCode, name: b.departmentName },
        { level: 'service', id: b.code, name: b.name },
        { level: 'balf', id: b.address, name: b.address },
      ],
    };
  }
  const seen = await db
    .selectFrom('daily_flows')
    .select('balf')
    .where('balf', '=', address)
    .limit(1)
    .executeTakeFirst();
  if (!seen) return null;
  return {
    placement: { department: null, service: null },
    breadcrumbs: [NATIONAL_CRUMB, UNATTACHED_CRUMB, { level: 'balf', id: address, name: address }],
  };
}

export interface UnattachedBalf {
  balf: string;
  firstDay: string;
  lastDay: string;
  records: number;
}

/**
 * Addresses of the BALFs with rollups that are missing from the directory, as a subquery. Found
 * through `balf_homes` (one row per BALF with rollups: the ingest writes it before a BALF's first
 * rollup, a rebuild after, migration 0003 for older data), so that their rollups are then read by
 * primary key: no scan of every BALF's rollups, which nationally are tens of millions of rows (the
 * rollups have no day index, migration 0004).
 */
export const unattachedAddresses = sql<string>`select h.balf from balf_homes h
  where not exists (select 1 from balfs x where x.address = h.balf)`;

/**
 * One page (in address order) of the BALFs that sent records but are missing from the directory,
 * with how many there are in all: the page's addresses are chosen first, so that only their rollups
 * are summed, however many such addresses a careless or hostile national token created.
 */
export async function unattachedBalfs(
  db: Db,
  page: { limit: number; offset: number },
): Promise<{ total: number; balfs: UnattachedBalf[] }> {
  const total = await sql<{
    n: number | string;
  }>`select count(*) as n from (${unattachedAddresses}) u`.execute(db);
  const chosen = sql<string>`select u.balf from (${unattachedAddresses}) u order by u.balf limit ${page.limit} offset ${page.offset}`;
  const rows = await db
    .selectFrom('daily_flows as f')
    .where(sql<boolean>`f.balf in (${chosen})`)
    .select((eb) => [
      'f.balf',
      eb.fn.min('f.day').as('firstDay'),
      eb.fn.max('f.day').as('lastDay'),
      eb.fn.sum<number | string>('f.count').as('records'),
    ])
    .groupBy('f.balf')
    .orderBy('f.balf')
    .execute();
  return {
    total: Number(total.rows[0]?.n ?? 0),
    balfs: rows.map((r) => ({
      balf: r.balf,
      firstDay: String(r.firstDay),
      lastDay: String(r.lastDay),
      records: Number(r.records),
    })),
  };
}
