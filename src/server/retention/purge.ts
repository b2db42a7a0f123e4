/**
 * Purge of per-message data older than the retention horizon. Rollups (daily counts, not personal
 * data) are kept, so the dashboard still answers for purged periods. Each BALF is purged in its own
 * transaction: a BALF's old days go all at once, never half a day, and transactions stay bounded.
 */
import { PostgresAdapter, sql } from 'kysely';
import type { Db } from '../db/schema.ts';
import { HORIZON_SETTING, horizonFor, readRetentionHorizon } from './horizon.ts';

export interface PurgeOptions {
  /** Days kept: records whose day is before today − days are removed. */
  days: number;
  now?: Date;
  /** Count what would be removed, change nothing. */
  dryRun?: boolean;
}

export interface PurgeReport {
  /** First day kept (`YYYY-MM-DD`). */
  horizon: string;
  dryRun: boolean;
  /** BALFs that had records before the horizon. */
  balfs: number;
  records: number;
  refs: number;
  batches: number;
  spotChecks: number;
  sessions: number;
  /** Quota readings (hourly and daily rows of the storage watch). */
  storageReadings: number;
  /** Oldest and newest day of the removed records, null when none. */
  firstDay: string | null;
  lastDay: string | null;
}

export async function purgeOlderThan(db: Db, options: PurgeOptions): Promise<PurgeReport> {
  const now = options.now ?? new Date();
  const horizon = horizonFor(now, options.days);
  const dryRun = options.dryRun === true;
  const batchCutoff = `${horizon}T00:00:00.000Z`;
  const report: PurgeReport = {
    horizon,
    dryRun,
    balfs: 0,
    records: 0,
    refs: 0,
    batches: 0,
    spotChecks: 0,
    sessions: 0,
    storageReadings: 0,
    firstDay: null,
    lastDay: null,
  };

  // The horizon is written first: ingest refuses records dated before it from then on, so a
  // record cannot slip in behind the purge and be counted a second time in the kept rollups.
  if (!dryRun) await raiseHorizon(db, horizon);

  const balfs = await db
    .selectFrom('records')
    .select('balf')
    .distinct()
    .where('day', '<', horizon)
    .orderBy('balf')
    .execute();
  for (const { balf } of balfs) {
    const one = dryRun ? await countBalf(db, balf, horizon) : await purgeBalf(db, balf, horizon);
    if (one.records === 0) continue;
    report.balfs++;
    report.records += one.records;
    report.refs += one.refs;
    if (one.firstDay && (report.firstDay === null || one.firstDay < report.firstDay))
      report.firstDay = one.firstDay;
    if (one.lastDay && (report.lastDay === null || one.lastDay > report.lastDay))
      report.lastDay = one.lastDay;
  }

  if (dryRun) {
    report.batches = await count(db, 'batches', 'created_at', '<', batchCutoff);
    report.spotChecks = await count(db, 'spot_checks', 'to_day', '<', horizon);
    report.sessions = await count(db, 'sessions', 'expires_at', '<=', now.toISOString());
    // An hour `YYYY-MM-DDTHH` sorts after its day: the horizon's own hours are kept.
    report.storageReadings =
      (await count(db, 'storage_samples', 'hour', '<', horizon)) +
      (await count(db, 'storage_days', 'day', '<', horizon));
  } else {
    report.batches = deleted(await db.deleteFrom('batches').where('created_at', '<', batchCutoff).execute());
    report.spotChecks = deleted(await db.deleteFrom('spot_checks').where('to_day', '<', horizon).execute());
    report.sessions = deleted(
      await db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute(),
    );
    report.storageReadings =
      deleted(await db.deleteFrom('storage_samples').where('hour', '<', horizon).execute()) +
      deleted(await db.deleteFrom('storage_days').where('day', '<', horizon).execute());
  }
  return report;
}

interface BalfPurge {
  records: number;
  refs: number;
  firstDay: string | null;
  lastDay: string | null;
}

async function purgeBalf(db: Db, balf: string, horizon: string): Promise<BalfPurge> {
  return db.transaction().execute(async (trx) => {
    // Same lock as ingest and recompute: no batch of this BALF pairs against rows being removed.
    if (trx.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`select pg_advisory_xact_lock(hashtext(${balf}))`.execute(trx);
    }
    const range = await dayRange(trx, balf, horizon);
    const refs = await trx
      .deleteFrom('record_refs')
      .where('balf', '=', balf)
      .where('sent_key', 'in', (eb) =>
        eb
          .selectFrom('records')
          .select('key')
          .where('balf', '=', balf)
          .where('dir', '=', 'out')
          .where('day', '<', horizon),
      )
      .execute();
    const records = await trx
      .deleteFrom('records')
      .where('balf', '=', balf)
      .where('day', '<', horizon)
      .execute();
    return { records: deleted(records), refs: deleted(refs), ...range };
  });
}

async function countBalf(db: Db, balf: string, horizon: string): Promise<BalfPurge> {
  const range = await dayRange(db, balf, horizon);
  const records = await db
    .selectFrom('records')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('balf', '=', balf)
    .where('day', '<', horizon)
    .executeTakeFirstOrThrow();
  const refs = await db
    .selectFrom('record_refs as f')
    .innerJoin('records as r', (j) => j.onRef('r.balf', '=', 'f.balf').onRef('r.key', '=', 'f.sent_key'))
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('f.balf', '=', balf)
    .where('r.day', '<', horizon)
    .executeTakeFirstOrThrow();
  return { records: Number(records.n), refs: Number(refs.n), ...range };
}

async function dayRange(
  db: Db,
  balf: string,
  horizon: string,
): Promise<{ firstDay: string | null; lastDay: string | null }> {
  const row = await db
    .selectFrom('records')
    .select((eb) => [eb.fn.min<string | null>('day').as('first'), eb.fn.max<string | null>('day').as('last')])
    .where('balf', '=', balf)
    .where('day', '<', horizon)
    .executeTakeFirst();
  return { firstDay: row?.first ?? null, lastDay: row?.last ?? null };
}

async function count(
  db: Db,
  table: 'batches' | 'spot_checks' | 'sessions' | 'storage_samples' | 'storage_days',
  column: string,
  op: '<' | '<=',
  value: string,
): Promise<number> {
  const row = await sql<{
    n: number | string;
  }>`select count(*) as n from ${sql.table(table)} where ${sql.ref(column)} ${sql.raw(op)} ${value}`.execute(
    db,
  );
  return Number(row.rows[0]?.n ?? 0);
}

/** The horizon only moves forward: a purge with a longer retention never lets old records back in. */
async function raiseHorizon(db: Db, horizon: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const current = await readRetentionHorizon(trx);
    if (current !== null && current >= horizon) return;
    await trx
      .insertInto('settings')
      .values({ name: HORIZON_SETTING, value: horizon })
      .onConflict((oc) => oc.column('name').doUpdateSet({ value: horizon }))
      .execute();
  });
}

function deleted(results: readonly { numDeletedRows: bigint }[]): number {
  return results.reduce((n, r) => n + Number(r.numDeletedRows), 0);
}
