/**
 * Ingest step "dedupe": a batch's records as rows to store — one per key, instants normalised to UTC,
 * local day computed, references listed — and the records refused one by one.
 */
import { canonicalUtcMs, localDay, parseInstant } from '../../core/calendar.ts';
import { categoryWins } from '../../core/classify.ts';
import { FUTURE_TOLERANCE_MS, type TallyBatch } from '../../core/protocol.ts';
import type { BalfPlacement } from './directory.ts';
import type { NewRecord, NewRef } from './store.ts';

/** Closed set of reasons one record of an otherwise valid batch is refused. */
export const recordRejectReasons = ['out_of_calendar', 'future', 'purged_period'] as const;
export type RecordRejectReason = (typeof recordRejectReasons)[number];

export interface DedupedBatch {
  rows: NewRecord[];
  /** References of each sent row, by sent key: `re` (heuristic 0) then the request closure `hre` (1). */
  refs: Map<string, NewRef[]>;
  inBatchDuplicates: number;
  rejects: Partial<Record<RecordRejectReason, number>>;
}

/**
 * One row per key. A key listed twice in one batch is stored as the server would store the two uploads
 * one after the other, whatever their order: the winning classification (categoryWins), the union of the
 * references.
 */
export function dedupe(
  batch: TallyBatch,
  placement: BalfPlacement,
  createdAt: string,
  now: Date,
  horizon: string | null,
): DedupedBatch {
  const rejects: Partial<Record<RecordRejectReason, number>> = {};
  const reject = (reason: RecordRejectReason): void => {
    rejects[reason] = (rejects[reason] ?? 0) + 1;
  };
  const latest = now.getTime() + FUTURE_TOLERANCE_MS;
  const seen = new Set<string>();
  const kept = new Map<string, NewRecord>();
  const rows: NewRecord[] = [];
  const refs = new Map<string, NewRef[]>();
  let inBatchDuplicates = 0;
  for (const r of batch.records) {
    if (seen.has(r.k)) {
      inBatchDuplicates++;
      const first = kept.get(r.k);
      if (first?.dir === 'in' && r.dir === 'in') {
        if (categoryWins({ cat: r.cat, hdr: r.hdr === true }, { cat: first.cat, hdr: first.hdr === 1 })) {
          first.cat = r.cat;
          first.hdr = r.hdr === true ? 1 : 0;
        }
      } else if (first?.dir === 'out' && r.dir === 'out') {
        const merged = unionRefs(refs.get(r.k) ?? [], batch.balf, r.k, r.re, r.hre);
        if (merged.length > 0) refs.set(r.k, merged);
      }
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
    const row: NewRecord = {
      balf: batch.balf,
      key: r.k,
      dir: r.dir,
      at,
      day,
      cat: r.cat,
      heuristic: r.heuristic === true ? 1 : 0,
      hdr: r.hdr === true ? 1 : 0,
      answered_at: null,
      answer_heuristic: 0,
      batch_id: batch.batchId,
      created_at: createdAt,
    };
    rows.push(row);
    kept.set(r.k, row);
    if (r.dir === 'out') {
      const list = unionRefs([], batch.balf, r.k, r.re, r.hre);
      if (list.length > 0) refs.set(r.k, list);
    }
  }
  return { rows, refs, inBatchDuplicates, rejects };
}

/**
 * `known` plus the keys of `re` (header references, rank kept) and of `hre` (request closure, flagged):
 * a key in both is a header reference; a key known as closure and now in `re` becomes one.
 */
export function unionRefs(
  known: readonly NewRef[],
  balf: string,
  sentKey: string,
  re: readonly string[] | undefined,
  hre: readonly string[] | undefined,
): NewRef[] {
  const byKey = new Map(known.map((r) => [r.ref_key, r]));
  [...new Set(re ?? [])].forEach((ref, position) => {
    const previous = byKey.get(ref);
    if (previous === undefined || previous.heuristic === 1)
      byKey.set(ref, { balf, sent_key: sentKey, ref_key: ref, position, heuristic: 0 });
  });
  [...new Set(hre ?? [])].forEach((ref, position) => {
    if (!byKey.has(ref)) byKey.set(ref, { balf, sent_key: sentKey, ref_key: ref, position, heuristic: 1 });
  });
  return [...byKey.values()];
}
