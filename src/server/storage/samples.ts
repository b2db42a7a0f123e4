/**
 * Stores quota readings (`POST /api/v1/quota-samples`): one per BALF per UTC hour and the last of each
 * day, in one transaction; each reading is checked on its own (scope, date) and refused with a reason,
 * and a request of readings all outside the token's scope is refused whole (403), as tallies are.
 */
import { sql } from 'kysely';
import { localDay, parseInstant } from '../../core/calendar.ts';
import { FUTURE_TOLERANCE_MS } from '../../core/protocol.ts';
import {
  storageOfQuota,
  type StorageAnswer,
  type StorageRejectReason,
  type StorageReport,
} from '../../core/storage-protocol.ts';
import { canSee, type Principal } from '../auth/scope.ts';
import type { Db } from '../db/schema.ts';
import { placeBalf, type BalfPlacement } from '../ingest/directory.ts';
import { readRetentionHorizon } from '../retention/horizon.ts';

export interface SampleContext {
  principal: Principal;
  now: Date;
}

export interface StorageRow {
  balf: string;
  at: string;
  day: string;
  hour: string;
  used_bytes: number | null;
  limit_bytes: number | null;
}

/**
 * Which reading an hour (or a day) keeps: one with a quota beats one without — right after start-up
 * Thunderbird has not asked the server yet and gives none — and among equals the later one wins.
 */
const wins = (table: 'storage_samples' | 'storage_days') =>
  sql<boolean>`(excluded.limit_bytes is not null and ${sql.ref(`${table}.limit_bytes`)} is null)
    or ((excluded.limit_bytes is null) = (${sql.ref(`${table}.limit_bytes`)} is null)
        and excluded.at >= ${sql.ref(`${table}.at`)})`;

export async function storeSamples(
  db: Db,
  report: StorageReport,
  ctx: SampleContext,
): Promise<StorageAnswer> {
  const rejects: Partial<Record<StorageRejectReason, number>> = {};
  const reject = (reason: StorageRejectReason): void => {
    rejects[reason] = (rejects[reason] ?? 0) + 1;
  };
  const horizon = await readRetentionHorizon(db);
  const places = new Map<string, BalfPlacement>();
  const latest = ctx.now.getTime() + FUTURE_TOLERANCE_MS;
  const rows: StorageRow[] = [];
  for (const sample of report.samples) {
    let place = places.get(sample.balf);
    if (place === undefined) places.set(sample.balf, (place = await placeBalf(db, sample.balf)));
    // A department token writes its department's BALFs only: a reading is a passing fact (the next comes
    // within the hour), so one for an address the directory places elsewhere, or nowhere, is refused alone
    // rather than held like tallies; the 2xx tells the add-on not to send it again.
    if (!canSee(ctx.principal.scope, place)) {
      reject('forbidden_scope');
      continue;
    }
    let at: Date;
    let day: string;
    try {
      at = new Date(parseInstant(sample.at));
      day = localDay(at, place.region);
    } catch {
      reject('out_of_calendar');
      continue;
    }
    if (at.getTime() > latest) {
      reject('future');
      continue;
    }
    if (horizon !== null && day < horizon) {
      reject('purged_period');
      continue;
    }
    const storage = storageOfQuota(sample.quota);
    const iso = at.toISOString();
    rows.push({
      balf: sample.balf,
      at: iso,
      day,
      hour: iso.slice(0, 13),
      used_bytes: storage?.used ?? null,
      limit_bytes: storage?.limit ?? null,
    });
  }
  if (rows.length > 0) await upsertRows(db, rows, report.client.id, ctx.now.toISOString());
  const rejected = Object.values(rejects).reduce((a, b) => a + b, 0);
  return { stored: rows.length, rejected, rejects };
}

/** Writes readings into both tables under the keep rule (`wins`), whatever order they arrive in. */
export async function upsertRows(db: Db, rows: readonly StorageRow[], clientId: string, createdAt: string) {
  await db.transaction().execute(async (trx) => {
    for (const r of rows) {
      await trx
        .insertInto('storage_samples')
        .values({
          balf: r.balf,
          hour: r.hour,
          at: r.at,
          used_bytes: r.used_bytes,
          limit_bytes: r.limit_bytes,
          client_id: clientId,
          created_at: createdAt,
        })
        .onConflict((oc) =>
          oc
            .columns(['balf', 'hour'])
            .doUpdateSet((eb) => ({
              at: eb.ref('excluded.at'),
              used_bytes: eb.ref('excluded.used_bytes'),
              limit_bytes: eb.ref('excluded.limit_bytes'),
              client_id: eb.ref('excluded.client_id'),
              created_at: eb.ref('excluded.created_at'),
            }))
            .where(wins('storage_samples')),
        )
        .execute();
      await trx
        .insertInto('storage_days')
        .values({ balf: r.balf, day: r.day, at: r.at, used_bytes: r.used_bytes, limit_bytes: r.limit_bytes })
        .onConflict((oc) =>
          oc
            .columns(['balf', 'day'])
            .doUpdateSet((eb) => ({
              at: eb.ref('excluded.at'),
              used_bytes: eb.ref('excluded.used_bytes'),
              limit_bytes: eb.ref('excluded.limit_bytes'),
            }))
            .where(wins('storage_days')),
        )
        .execute();
    }
  });
}
