/**
 * The reads and writes of one ingest, behind one interface: through Kysely (PostgreSQL, and any
 * SQLite handle opened elsewhere) or through prepared better-sqlite3 statements (sqlite-store.ts,
 * the hot path of the embedded database). Both run inside the caller's transaction.
 */
import type { Selectable, Transaction } from 'kysely';
import type { BatchTable, Database, RecordRefTable, RecordTable } from '../db/schema.ts';
import { readRetentionHorizon } from '../retention/horizon.ts';
import { chunks } from './chunks.ts';
import { placeBalf, type BalfPlacement } from './directory.ts';
import { updateAnswers, type AnswerChange } from './pairing.ts';
import { refineRecords } from './refine.ts';
import {
  addFlowCounts,
  addReplyCounts,
  saveHome,
  storedHome,
  type FlowCounts,
  type Home,
  type ReplyCounts,
} from './rollups.ts';

/**
 * Rows written by an ingest: exactly the tables' columns (src/server/db/schema.ts), but `via`, which the
 * ingest step of sent-via.ts sets on the few records that carry it.
 */
export type NewRecord = Omit<Selectable<RecordTable>, 'via'>;
export type NewRef = Selectable<RecordRefTable>;
export type BatchRow = Selectable<BatchTable>;

/** What a record already stored holds that a new upload of its key may improve. */
export interface StoredRecord {
  key: string;
  dir: string;
  day: string;
  cat: string;
  hdr: number;
  answered_at: string | null;
}

/** A stored received record's new classification (src/core/classify.ts categoryWins). */
export interface Refinement {
  key: string;
  cat: string;
  hdr: number;
}

/** A reference to a received message, flagged when it comes from the request closure (`hre`). */
export interface StoredRef {
  sent_key: string;
  ref_key: string;
  heuristic: number;
}

export interface StoredReceived {
  key: string;
  at: string;
  day: string;
  cat: string;
  answered_at: string | null;
  answer_heuristic: number;
}

export interface StoredSent {
  key: string;
  at: string;
  cat: string;
  heuristic: number;
}

export interface IngestStore {
  place(balf: string): Promise<BalfPlacement>;
  replayed(
    batchId: string,
  ): Promise<{ balf: string; accepted: number; duplicates: number; updated: number } | undefined>;
  storedHome(balf: string): Promise<Home | null>;
  saveHome(balf: string, home: Home): Promise<void>;
  /** `insert … on conflict do nothing`: returns the keys that were new. */
  insertRecords(rows: readonly NewRecord[]): Promise<Set<string>>;
  /** The stored records of these keys, whatever their direction (keys not stored are left out). */
  storedByKeys(balf: string, keys: readonly string[]): Promise<StoredRecord[]>;
  refineRecords(balf: string, changes: readonly Refinement[]): Promise<void>;
  /**
   * Adds references (union): a new one is inserted, a request-closure one that now comes from `re` loses
   * its flag, nothing is removed. Returns the references that were added or changed.
   */
  insertRefs(refs: readonly NewRef[]): Promise<StoredRef[]>;
  addFlowCounts(balf: string, home: Home, counts: FlowCounts): Promise<void>;
  addReplyCounts(balf: string, home: Home, counts: ReplyCounts): Promise<void>;
  receivedByKeys(balf: string, keys: readonly string[]): Promise<StoredReceived[]>;
  refsTo(balf: string, keys: readonly string[]): Promise<StoredRef[]>;
  sentByKeys(balf: string, keys: readonly string[]): Promise<StoredSent[]>;
  updateAnswers(balf: string, changes: readonly AnswerChange[]): Promise<void>;
  insertBatch(row: BatchRow): Promise<void>;
  /** First day still held in records (`retention_horizon`), or null if nothing was ever purged. */
  retentionHorizon(): Promise<string | null>;
}

/** The store over a Kysely transaction (same SQL on both databases). */
export function kyselyStore(trx: Transaction<Database>): IngestStore {
  return {
    place: (balf) => placeBalf(trx, balf),
    async replayed(batchId) {
      const row = await trx
        .selectFrom('batches')
        .select(['balf', 'accepted', 'duplicates', 'updated'])
        .where('batch_id', '=', batchId)
        .executeTakeFirst();
      return (
        row && {
          balf: row.balf,
          accepted: Number(row.accepted),
          duplicates: Number(row.duplicates),
          updated: Number(row.updated),
        }
      );
    },
    storedHome: (balf) => storedHome(trx, balf),
    retentionHorizon: () => readRetentionHorizon(trx),
    saveHome: (balf, home) => saveHome(trx, balf, home),
    async insertRecords(rows) {
      const inserted = new Set<string>();
      for (const part of chunks(rows, 400)) {
        const out = await trx
          .insertInto('records')
          .values(part)
          .onConflict((oc) => oc.columns(['balf', 'key']).doNothing())
          .returning('key')
          .execute();
        for (const r of out) inserted.add(r.key);
      }
      return inserted;
    },
    async storedByKeys(balf, keys) {
      const out: StoredRecord[] = [];
      for (const part of chunks(keys, 500)) {
        out.push(
          ...(await trx
            .selectFrom('records')
            .select(['key', 'dir', 'day', 'cat', 'hdr', 'answered_at'])
            .where('balf', '=', balf)
            .where('key', 'in', part)
            .execute()),
        );
      }
      return out;
    },
    refineRecords: (balf, changes) => refineRecords(trx, balf, changes),
    async insertRefs(refs) {
      const out: StoredRef[] = [];
      for (const part of chunks(refs, 800)) {
        out.push(
          ...(await trx
            .insertInto('record_refs')
            .values(part)
            .onConflict((oc) =>
              oc
                .columns(['balf', 'ref_key', 'sent_key'])
                .doUpdateSet({ heuristic: 0, position: (eb) => eb.ref('excluded.position') })
                .where('record_refs.heuristic', '=', 1)
                .where('excluded.heuristic', '=', 0),
            )
            .returning(['sent_key', 'ref_key', 'heuristic'])
            .execute()),
        );
      }
      return out;
    },
    addFlowCounts: (balf, home, counts) => addFlowCounts(trx, balf, home, counts),
    addReplyCounts: (balf, home, counts) => addReplyCounts(trx, balf, home, counts),
    async receivedByKeys(balf, keys) {
      const out: StoredReceived[] = [];
      for (const part of chunks(keys, 500)) {
        out.push(
          ...(await trx
            .selectFrom('records')
            .select(['key', 'at', 'day', 'cat', 'answered_at', 'answer_heuristic'])
            .where('balf', '=', balf)
            .where('dir', '=', 'in')
            .where('key', 'in', part)
            .execute()),
        );
      }
      return out;
    },
    async refsTo(balf, keys) {
      const out: StoredRef[] = [];
      for (const part of chunks(keys, 500)) {
        out.push(
          ...(await trx
            .selectFrom('record_refs')
            .select(['sent_key', 'ref_key', 'heuristic'])
            .where('balf', '=', balf)
            .where('ref_key', 'in', part)
            .execute()),
        );
      }
      return out;
    },
    async sentByKeys(balf, keys) {
      const out: StoredSent[] = [];
      for (const part of chunks(keys, 500)) {
        out.push(
          ...(await trx
            .selectFrom('records')
            .select(['key', 'at', 'cat', 'heuristic'])
            .where('balf', '=', balf)
            .where('dir', '=', 'out')
            .where('key', 'in', part)
            .execute()),
        );
      }
      return out;
    },
    updateAnswers: (balf, changes) => updateAnswers(trx, balf, changes),
    async insertBatch(row) {
      await trx.insertInto('batches').values(row).execute();
    },
  };
}
