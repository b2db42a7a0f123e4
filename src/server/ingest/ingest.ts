/**
 * Ingest of one tally batch as named steps — authorize, replay, dedupe, store, refine, refs, pairing,
 * rollups, remember — in ONE transaction; the answer exists only once the transaction committed.
 */
import { PostgresAdapter, SqliteAdapter, sql, type Transaction } from 'kysely';
import type { TallyBatch } from '../../core/protocol.ts';
import { whitMondayWorkedFromEnv } from '../config.ts';
import type { Database, Db } from '../db/schema.ts';
import { HttpError } from '../http-error.ts';
import { canSee, type Principal } from '../auth/scope.ts';
import { sqliteHandleOf } from '../db/connect.ts';
import { holdTallies, reusedId, type HeldAnswer } from '../quarantine/hold.ts';
import { overridesFor } from '../calendar/overrides.ts';
import { placeBalf, type BalfPlacement } from './directory.ts';
import { dedupe, type RecordRejectReason } from './dedupe.ts';
import { inGroupCommit } from './group-commit.ts';
import { pairTouched, type PairingContext, type ReplyDeltas } from './pairing.ts';
import { pgStore } from './pg-store.ts';
import { rebuildBalf } from './recompute.ts';
import { refineStored } from './refine.ts';
import { recordSentVia } from './sent-via.ts';
import { bumpFlow, homeOf, sameHome, type FlowDelta } from './rollups.ts';
import { sqliteStore } from './sqlite-store.ts';
import { kyselyStore, type IngestStore, type NewRef, type StoredRef } from './store.ts';

export { recordRejectReasons, type RecordRejectReason } from './dedupe.ts';

type Trx = Transaction<Database>;

export interface IngestContext {
  principal: Principal;
  now: Date;
  whitMondayWorked?: boolean;
}

export interface IngestAnswer {
  accepted: number;
  duplicates: number;
  /**
   * Records among the duplicates that improved the stored one: a classification that wins
   * (categoryWins), or references it did not have yet.
   */
  updated: number;
  /** Records refused one by one (see RecordRejectReason); the rest of the batch is stored. */
  rejected: number;
  rejects: Partial<Record<RecordRejectReason, number>>;
  /** True when this batchId had already been stored: the stored answer is returned. */
  replay: boolean;
}

/** Closed set of reasons an ingest is refused, the label of the rejects metric. */
export const rejectReasons = [
  'unauthorized',
  'forbidden',
  'too_large',
  'unsupported_media_type',
  'invalid',
  'batch_conflict',
  'rate_limited',
] as const;
export type RejectReason = (typeof rejectReasons)[number];

export async function ingestBatch(
  db: Db,
  batch: TallyBatch,
  ctx: IngestContext,
): Promise<IngestAnswer | HeldAnswer> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    // One writer connection: concurrent batches share one transaction and one durable COMMIT.
    const handle = sqliteHandleOf(db);
    return inGroupCommit(db, async (trx) => {
      const store = handle ? sqliteStore(handle) : kyselyStore(trx);
      const placement = await store.place(batch.balf);
      if (authorize(ctx.principal, placement) === 'quarantine')
        return holdTallies(trx, batch, ctx.principal, ctx.now);
      return storeBatch(trx, store, batch, placement, ctx);
    });
  }
  const placement = await placeBalf(db, batch.balf);
  if (authorize(ctx.principal, placement) === 'quarantine')
    return holdTallies(db, batch, ctx.principal, ctx.now);
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute((trx) => storeBatch(trx, pgStore(trx), batch, placement, ctx));
    } catch (error) {
      // Two instances racing on one batchId (the loser's insert into `batches` fails: it replays), or a
      // PostgreSQL deadlock/serialization failure between batches of one department: run it again.
      if (attempt < 4 && (isUniqueViolation(error) || isRetryable(error))) continue;
      throw error;
    }
  }
}

/**
 * Step 1: a token writes only BALFs of its scope. A national token also writes addresses missing
 * from the directory (« non rattachées », counted nationally); a department token's batch for an
 * address outside its department — unknown, or another department's — goes to quarantine, counted
 * nowhere until the directory places the address in that department (quarantine/release.ts).
 */
function authorize(principal: Principal, placement: BalfPlacement): 'store' | 'quarantine' {
  if (!principal.canWrite) {
    throw new HttpError(
      403,
      'forbidden_read_only',
      'Ce jeton est en lecture seule : il ne peut pas envoyer de relevés.',
    );
  }
  return canSee(principal.scope, placement) ? 'store' : 'quarantine';
}

async function storeBatch(
  trx: Trx,
  store: IngestStore,
  batch: TallyBatch,
  placement: BalfPlacement,
  ctx: IngestContext,
): Promise<IngestAnswer> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    // One writer per BALF at a time: pairing must see the rows of a concurrent batch.
    await sql`select pg_advisory_xact_lock(hashtext(${batch.balf}))`.execute(trx);
  }
  const previous = await replayed(store, batch);
  if (previous) return previous;

  // The directory moved this BALF since its counts were credited: rebuild them first.
  const home = homeOf(placement);
  const previousHome = await store.storedHome(batch.balf);
  if (previousHome === null) await store.saveHome(batch.balf, home);
  else if (!sameHome(previousHome, home))
    await rebuildBalf(trx, placement, {
      whitMondayWorked: ctx.whitMondayWorked ?? whitMondayWorkedFromEnv(),
    });

  const createdAt = ctx.now.toISOString();
  // Days before the retention horizon live on only in the rollups, which already count them:
  // storing such a record again (a reinstalled workstation's back-fill) would count it twice.
  const horizon = await store.retentionHorizon();
  const { rows, refs, inBatchDuplicates, rejects } = dedupe(batch, placement, createdAt, ctx.now, horizon);
  const pairing: PairingContext = {
    balf: batch.balf,
    region: placement.region,
    home,
    whitMondayWorked: ctx.whitMondayWorked ?? whitMondayWorkedFromEnv(),
    overrides: await overridesFor(trx, placement),
  };
  // Steps store, refine (keys already stored), refs, pairing, rollups.
  const inserted = await store.insertRecords(rows);
  const fresh = rows.filter((r) => inserted.has(r.key));
  const again = rows.filter((r) => !inserted.has(r.key));
  const flows = new Map<string, FlowDelta>();
  for (const r of fresh) bumpFlow(flows, `${r.day}|${r.dir}|${r.cat}`, 1, r.dir === 'in' ? r.hdr : 0);
  const buckets: ReplyDeltas = new Map();
  const { refined, sentAgain } = await refineStored(store, pairing, again, refs, flows, buckets);
  const added = await addReferences(store, refs, (key) => inserted.has(key) || sentAgain.has(key));
  const touched = new Set<string>();
  for (const r of fresh) if (r.dir === 'in') touched.add(r.key);
  for (const r of added) touched.add(r.ref_key);
  await pairTouched(store, pairing, touched, new Map(fresh.map((r) => [r.key, r])), buckets);
  await store.addFlowCounts(batch.balf, home, flows);
  await store.addReplyCounts(batch.balf, home, buckets);
  await recordSentVia(trx, batch, fresh);
  const updated = new Set(refined);
  for (const r of added) if (!inserted.has(r.sent_key)) updated.add(r.sent_key);

  const rejected = Object.values(rejects).reduce((a, b) => a + b, 0);
  const answer = {
    accepted: fresh.length,
    duplicates: rows.length - fresh.length + inBatchDuplicates,
    updated: updated.size,
    rejected,
    rejects,
  };
  await store.insertBatch({
    batch_id: batch.batchId,
    token_id: ctx.principal.id,
    balf: batch.balf,
    client_id: batch.client.id,
    seq: batch.seq ?? null,
    records: batch.records.length,
    accepted: answer.accepted,
    duplicates: answer.duplicates,
    updated: answer.updated,
    created_at: createdAt,
  });
  return { ...answer, replay: false };
}

/**
 * Step "refs": every reference of a new sent record, and those a stored sent record did not have yet
 * (the union: nothing is ever removed). Returns the references added or changed.
 */
async function addReferences(
  store: IngestStore,
  refs: ReadonlyMap<string, readonly NewRef[]>,
  sentStored: (key: string) => boolean,
): Promise<StoredRef[]> {
  const offered: NewRef[] = [];
  for (const [key, list] of refs) if (sentStored(key)) offered.push(...list);
  return store.insertRefs(offered);
}

/** Step 2: a known batchId answers what it answered the first time; for another BALF it is a conflict. */
async function replayed(store: IngestStore, batch: TallyBatch): Promise<IngestAnswer | null> {
  const row = await store.replayed(batch.batchId);
  if (!row) return null;
  if (row.balf !== batch.balf) throw reusedId('batch', batch.batchId);
  const accepted = Number(row.accepted);
  const duplicates = Number(row.duplicates);
  return {
    accepted,
    duplicates,
    updated: Number(row.updated),
    rejected: batch.records.length - accepted - duplicates,
    rejects: {},
    replay: true,
  };
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
