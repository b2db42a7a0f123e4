/**
 * Quarantine of uploads a department token sent for an address outside its scope (not in the
 * directory, or another department's): kept as received — nothing a workstation sent is lost — but
 * counted in no total, national included, until the directory places the address within the
 * sending token's scope (`release.ts`). This module puts uploads there.
 */
import type { Kysely } from 'kysely';
import type { SpotCheckSummary, TallyBatch } from '../../core/protocol.ts';
import { formatScope, type Principal } from '../auth/scope.ts';
import type { Database } from '../db/schema.ts';
import { HttpError } from '../http-error.ts';

type Handle = Kysely<Database>;

/** The answer to an upload put in quarantine: stored (2xx), counted nowhere yet. */
export interface HeldAnswer {
  accepted: 0;
  duplicates: 0;
  updated: 0;
  rejected: 0;
  rejects: Record<string, never>;
  /** Records kept in quarantine. */
  quarantined: number;
  replay: boolean;
}

function held(records: number, replay: boolean): HeldAnswer {
  return { accepted: 0, duplicates: 0, updated: 0, rejected: 0, rejects: {}, quarantined: records, replay };
}

/** A reused id answers 409 without naming the address it was first used for (maybe another department's). */
export function reusedId(kind: 'batch' | 'spot_check', id: string): HttpError {
  return kind === 'batch'
    ? new HttpError(
        409,
        'batch_conflict',
        `Le lot ${id} a déjà été reçu pour une autre BALF : un batchId ne sert qu'à un seul lot.`,
      )
    : new HttpError(409, 'conflict', `Le sondage ${id} a déjà été reçu pour une autre BALF.`);
}

/** Puts a tally batch in quarantine (idempotent on its batchId, like a stored batch). */
export async function holdTallies(
  db: Handle,
  batch: TallyBatch,
  principal: Principal,
  now: Date,
): Promise<HeldAnswer> {
  const stored = await db
    .selectFrom('batches')
    .select('balf')
    .where('batch_id', '=', batch.batchId)
    .executeTakeFirst();
  if (stored) throw reusedId('batch', batch.batchId);
  const existing = await db
    .selectFrom('quarantine')
    .select(['balf', 'records'])
    .where('kind', '=', 'tallies')
    .where('id', '=', batch.batchId)
    .executeTakeFirst();
  if (existing) {
    if (existing.balf !== batch.balf) throw reusedId('batch', batch.batchId);
    return held(Number(existing.records), true);
  }
  await db
    .insertInto('quarantine')
    .values({
      kind: 'tallies',
      id: batch.batchId,
      balf: batch.balf,
      token_id: principal.id,
      token_scope: formatScope(principal.scope),
      records: batch.records.length,
      payload: JSON.stringify(batch),
      received_at: now.toISOString(),
    })
    .execute();
  return held(batch.records.length, false);
}

/** Puts a spot-check summary in quarantine; true when it was already there (a replay). */
export async function holdSpotCheck(
  db: Handle,
  summary: SpotCheckSummary,
  principal: Principal,
  now: Date,
): Promise<boolean> {
  const stored = await db
    .selectFrom('spot_checks')
    .select('balf')
    .where('id', '=', summary.id)
    .executeTakeFirst();
  if (stored) throw reusedId('spot_check', summary.id);
  const existing = await db
    .selectFrom('quarantine')
    .select('balf')
    .where('kind', '=', 'spot_check')
    .where('id', '=', summary.id)
    .executeTakeFirst();
  if (existing) {
    if (existing.balf !== summary.balf) throw reusedId('spot_check', summary.id);
    return true;
  }
  await db
    .insertInto('quarantine')
    .values({
      kind: 'spot_check',
      id: summary.id,
      balf: summary.balf,
      token_id: principal.id,
      token_scope: formatScope(principal.scope),
      records: 1,
      payload: JSON.stringify(summary),
      received_at: now.toISOString(),
    })
    .onConflict((oc) => oc.columns(['kind', 'id']).doNothing())
    .execute();
  return false;
}
