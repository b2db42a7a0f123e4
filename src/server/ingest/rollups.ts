/**
 * Upkeep of the daily rollups at two grains — per BALF and per department (its "home") — which
 * always change together, in the caller's transaction.
 */
import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema.ts';
import { chunks } from './chunks.ts';
import type { BalfPlacement } from './directory.ts';

type Trx = Transaction<Database>;

/** Department code used for BALFs outside the directory. */
export const UNATTACHED_DEPARTMENT = 'unattached';

export interface Home {
  department: string;
  region: string;
}

export function homeOf(placement: BalfPlacement): Home {
  return { department: placement.department ?? UNATTACHED_DEPARTMENT, region: placement.region };
}

/** Change of one flow row: records, and received records among them classified with headers. */
export interface FlowDelta {
  count: number;
  refined: number;
}
/** Key `day|dir|cat` → change (negative to subtract). */
export type FlowCounts = ReadonlyMap<string, FlowDelta>;

/** Adds `delta` to the flow row `day|dir|cat` of `counts`. */
export function bumpFlow(counts: Map<string, FlowDelta>, key: string, count: number, refined: number): void {
  const d = counts.get(key);
  if (d) {
    d.count += count;
    d.refined += refined;
  } else counts.set(key, { count, refined });
}

/** Flow changes that change something, sorted by key (see addFlowCounts). */
export function sortedFlowChanges(counts: FlowCounts): [string, FlowDelta][] {
  return [...counts]
    .filter(([, d]) => d.count !== 0 || d.refined !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
/** Key `day|delay` → count (negative to subtract). */
export type ReplyCounts = ReadonlyMap<string, number>;

export async function addFlowCounts(
  trx: Trx,
  balf: string,
  home: Home,
  counts: FlowCounts,
  options: { balfLevel?: boolean } = {},
): Promise<void> {
  // Sorted: concurrent transactions then lock shared department rows in the same order (no deadlock).
  const rows = sortedFlowChanges(counts).map(([k, { count, refined }]) => {
    const [day, dir, cat] = k.split('|') as [string, 'in' | 'out', string];
    return { day, dir, cat, count, refined };
  });
  if (rows.length === 0) return;
  for (const part of chunks(rows, 500)) {
    if (options.balfLevel !== false) {
      await trx
        .insertInto('daily_flows')
        .values(part.map((r) => ({ balf, ...r })))
        .onConflict((oc) =>
          oc.columns(['balf', 'day', 'dir', 'cat']).doUpdateSet({
            count: sql`daily_flows.count + excluded.count`,
            refined: sql`daily_flows.refined + excluded.refined`,
          }),
        )
        .execute();
    }
    await trx
      .insertInto('department_daily_flows')
      .values(part.map((r) => ({ department: home.department, ...r })))
      .onConflict((oc) =>
        oc.columns(['day', 'department', 'dir', 'cat']).doUpdateSet({
          count: sql`department_daily_flows.count + excluded.count`,
          refined: sql`department_daily_flows.refined + excluded.refined`,
        }),
      )
      .execute();
  }
  await dropEmptyRows(trx, ['daily_flows', 'department_daily_flows'], balf, home, rows, options);
}

/**
 * Deletes the rows a change emptied. They are looked for on the days it lowered only, through the
 * primary keys (a refinement lowers rows at nearly every upload; the department rollups are keyed by
 * day first, and a search by department alone read them all).
 */
async function dropEmptyRows(
  trx: Trx,
  [balfTable, departmentTable]: readonly [string, string],
  balf: string,
  home: Home,
  rows: readonly { day: string; count: number }[],
  options: { balfLevel?: boolean },
): Promise<void> {
  const lowered = [...new Set(rows.filter((r) => r.count < 0).map((r) => r.day))];
  for (const part of chunks(lowered, 500)) {
    const days = sql.join(part);
    if (options.balfLevel !== false)
      await sql`delete from ${sql.table(balfTable)}
        where balf = ${balf} and day in (${days}) and count <= 0`.execute(trx);
    await sql`delete from ${sql.table(departmentTable)}
      where day in (${days}) and department = ${home.department} and count <= 0`.execute(trx);
  }
}

export async function addReplyCounts(
  trx: Trx,
  balf: string,
  home: Home,
  counts: ReplyCounts,
  options: { balfLevel?: boolean } = {},
): Promise<void> {
  const rows = [...counts]
    .filter(([, n]) => n !== 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, count]) => {
      const [day, delay] = k.split('|') as [string, string];
      return { day, delay: Number(delay), count };
    });
  if (rows.length === 0) return;
  for (const part of chunks(rows, 500)) {
    if (options.balfLevel !== false) {
      await trx
        .insertInto('daily_replies')
        .values(part.map((r) => ({ balf, ...r })))
        .onConflict((oc) =>
          oc
            .columns(['balf', 'day', 'delay'])
            .doUpdateSet({ count: sql`daily_replies.count + excluded.count` }),
        )
        .execute();
    }
    await trx
      .insertInto('department_daily_replies')
      .values(part.map((r) => ({ department: home.department, region: home.region, ...r })))
      .onConflict((oc) =>
        oc
          .columns(['day', 'department', 'region', 'delay'])
          .doUpdateSet({ count: sql`department_daily_replies.count + excluded.count` }),
      )
      .execute();
  }
  await dropEmptyRows(trx, ['daily_replies', 'department_daily_replies'], balf, home, rows, options);
}

/** The home the BALF's counts are credited to now, or null for a BALF never seen. */
export async function storedHome(trx: Trx, balf: string): Promise<Home | null> {
  const row = await trx
    .selectFrom('balf_homes')
    .select(['department', 'region'])
    .where('balf', '=', balf)
    .executeTakeFirst();
  return row ?? null;
}

export async function saveHome(trx: Trx, balf: string, home: Home): Promise<void> {
  await trx
    .insertInto('balf_homes')
    .values({ balf, ...home })
    .onConflict((oc) => oc.column('balf').doUpdateSet({ department: home.department, region: home.region }))
    .execute();
}

export function sameHome(a: Home | null, b: Home): boolean {
  return a !== null && a.department === b.department && a.region === b.region;
}
