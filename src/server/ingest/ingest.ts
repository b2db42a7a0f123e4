/**
 * Ingest of one tally batch as named steps — authorize, replay, dedupe, store, refs, rollups,
 * pairing, remember — in ONE transaction; the answer exists only once the transaction committed.
 */
import { PostgresAdapter, SqliteAdapter, sql, type Transaction } from 'kysely';
import { canonicalUtcMs, localDay, parseInstant } from '../../core/calendar.ts';
import { FUTURE_TOLERANCE_MS, type TallyBatch } from '../../core/protocol.ts';
import { whitMondayWorkedFromEnv } from '../config.ts';
import type { Database, Db } from '../db/schema.ts';
import { HttpError } from '../http-error.ts';
import { canSee, formatScope, type Principal } from '../auth/scope.ts';
import { sqliteHandleOf } from '../db/connect.ts';
import { placeBalf, type BalfPlacement } from './directory.ts';
import { inGroupCommit } from './group-commit.ts';
import { pairTouched } from './pairing.ts';
import { pgStore } from './pg-store.ts';
import { rebuildBalf } from './recompute.ts';
import { homeOf, type Home, sameHome } from './rollups.ts';
import { sqliteStore } from './sqlite-store.ts';
import { kyselyStore, type IngestStore, type NewRecord } from './store.ts';

type Trx = Transaction<Database>;

export interface IngestContext {
  principal: Principal;
  now: Date;
  whitMondayWorked?: boolean;
}

export interface IngestAnswer {
  accepted: number;
  duplicates: number;
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

/** Closed set of reasons one record of an otherwise valid batch is refused. */
export const recordRejectReasons = ['out_of_calendar', 'future', 'purged_period'] as const;
export type RecordRejectReason = (typeof recordRejectReasons)[number];

export async function ingestBatch(db: Db, batch: TallyBatch, ctx: IngestContext): Promise<IngestAnswer> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    // One writer connection: concurrent batches share one transaction and one durable COMMIT.
    const handle = sqliteHandleOf(db);
    return inGroupCommit(db, async (trx) => {
      const store = handle ? sqliteStore(handle) : kyselyStore(trx);
      const placement = await store.place(batch.balf);
      authorize(ctx.principal, placement);
      return storeBatch(trx, store, batch, placement, ctx);
    });
  }
  const placement = await placeBalf(db, batch.balf);
  authorize(ctx.principal, placement);
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

/** Step 1: a department token writes only its department's BALFs; unknown BALFs are kept. */
function authorize(principal: Principal, placement: BalfPlacement): void {
  if (!principal.canWrite) {
    throw new HttpError(
      403,
      'forbidden_read_only',
      'Ce jeton est en lecture seule : il ne peut pas envoyer de relevés.',
    );
  }
  if (placement.department === null && principal.scope.level !== 'service') return;
  if (!canSee(principal.scope, placement)) {
    const where = placement.department === null ? 'non rattachée' : `du département ${placement.department}`;
    throw new HttpError(
      403,
      'forbidden_scope',
      `La BALF ${placement.balf} (${where}) est hors du périmètre de ce jeton (${formatScope(principal.scope)}).`,
    );
  }
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
  const inserted = await store.insertRecords(rows);
  const fresh = rows.filter((r) => inserted.has(r.key));
  await store.insertRefs(refs.filter((r) => inserted.has(r.sent_key)));
  await addFlows(store, batch.balf, home, fresh);

  const touched = new Set<string>();
  for (const r of fresh) if (r.dir === 'in') touched.add(r.key);
  for (const r of refs) if (inserted.has(r.sent_key)) touched.add(r.ref_key);
  await pairTouched(
    store,
    {
      balf: batch.balf,
      region: placement.region,
      home,
      whitMondayWorked: ctx.whitMondayWorked ?? whitMondayWorkedFromEnv(),
    },
    touched,
    new Map(fresh.map((r) => [r.key, r])),
  );

  const rejected = Object.values(rejects).reduce((a, b) => a + b, 0);
  const answer = {
    accepted: fresh.length,
    duplicates: rows.length - fresh.length + inBatchDuplicates,
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
    created_at: createdAt,
  });
  return { ...answer, replay: false };
}

/** Step 2: a known batchId answers what it answered the first time; for another BALF it is a conflict. */
async function replayed(store: IngestStore, batch: TallyBatch): Promise<IngestAnswer | null> {
  const row = await store.replayed(batch.batchId);
  if (!row) return null;
  if (row.balf !== batch.balf) {
    throw new HttpError(
      409,
      'batch_conflict',
      `Le lot ${batch.batchId} a déjà été reçu pour une autre BALF (${row.balf}) : un batchId ne sert qu'à un seul lot.`,
    );
  }
  const accepted = Number(row.accepted);
  const duplicates = Number(row.duplicates);
  return {
    accepted,
    duplicates,
    rejected: batch.records.length - accepted - duplicates,
    rejects: {},
    replay: true,
  };
}

/** Step 3: one row per key (first occurrence wins), instants normalised to UTC, local day computed. */
function dedupe(
  batch: TallyBatch,
  placement: BalfPlacement,
  createdAt: string,
  now: Date,
  horizon: string | null,
) {
  const rejects: Partial<Record<RecordRejectReason, number>> = {};
  const reject = (reason: RecordRejectReason): void => {
    rejects[reason] = (rejects[reason] ?? 0) + 1;
  };
  const latest = now.getTime() + FUTURE_TOLERANCE_MS;
  const seen = new Set<string>();
  const rows: NewRecord[] = [];
  const refs: { balf: string; sent_key: string; ref_key: string; position: number }[] = [];
  let inBatchDuplicates = 0;
  for (const r of batch.records) {
    if (seen.has(r.k)) {
      inBatchDuplicates++;
      continue;
    }
    seen.add(r.k);
    let at: string;
    let day: string;
    try {
      // Nearly every instant is already written as `toISOString` writes it: stored as is, read once.
      const canonical = canonicalUtcMs(r.at);
      const ms = canonical ?? parseInstant(r.at);
      const date = new Date(ms);
      at = canonical === null ? date.toISOString() : r.at;
      // The Date, not the string: the instant is not parsed a second time.
      day = localDay(date, placement.region);
      if (ms > latest) {
        reject('future');
        continue;
      }
      if (horizon !== null && day < horizon) {
        reject('purged_period');
        continue;
      }
    } catch {
      reject('out_of_calendar');
      continue;
    }
    rows.push({
      balf: batch.balf,
      key: r.k,
      dir: r.dir,
      at,
      day,
      cat: r.cat,
      heuristic: r.heuristic === true ? 1 : 0,
      answered_at: null,
      answer_heuristic: 0,
      batch_id: batch.batchId,
      created_at: createdAt,
    });
    if (r.dir === 'out') {
      [...new Set(r.re ?? [])].forEach((ref, position) =>
        refs.push({ balf: batch.balf, sent_key: r.k, ref_key: ref, position }),
      );
    }
  }
  return { rows, refs, inBatchDuplicates, rejects };
}

/** Step 5: daily counts per (day, direction, category), per BALF and per department. */
async function addFlows(
  store: IngestStore,
  balf: string,
  home: Home,
  fresh: readonly NewRecord[],
): Promise<void> {
  const counts = new Map<string, number>();
  for (const r of fresh) {
    const k = `${r.day}|${r.dir}|${r.cat}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  await store.addFlowCounts(balf, home, counts);
}

function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
