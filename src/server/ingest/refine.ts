/**
 * Ingest step "refine": a received record whose key is already stored replaces the stored
 * classification when src/core `categoryWins` says so (one made with the message's headers beats one
 * made from the message list; then a fixed precedence), and the BALF's daily flows and reply-delay
 * buckets move with it in the batch's transaction.
 */
import type { Transaction } from 'kysely';
import { categoryWins } from '../../core/classify.ts';
import { receivedCategories } from '../../core/protocol.ts';
import type { Database } from '../db/schema.ts';
import { replyDelay } from './delays.ts';
import { bumpReply, updateRecords, type PairingContext, type ReplyDeltas } from './pairing.ts';
import { bumpFlow, type FlowDelta } from './rollups.ts';
import type { IngestStore, NewRecord, Refinement } from './store.ts';

const STORED_STATES = receivedCategories.flatMap((cat) => [false, true].map((hdr) => ({ cat, hdr })));
const replacesSome = new Map<string, boolean>();

/**
 * Whether a received classification can replace any stored one at all. When it cannot (a list-only
 * `usager`, what old clients send most), its stored row need not even be read.
 */
export function mayRefine(cat: string, hdr: boolean): boolean {
  const k = `${cat}|${hdr}`;
  let v = replacesSome.get(k);
  if (v === undefined) {
    v = STORED_STATES.some((stored) => categoryWins({ cat, hdr }, stored));
    replacesSome.set(k, v);
  }
  return v;
}

/**
 * Reads back the stored rows of `again` (records of the batch whose key was already stored) that the
 * batch may improve: received records whose classification could win, sent records that bring
 * references (`refs`). Applies the winning classifications and adds their moves to `flows` (−1 from
 * the old category, +1 to the new; `refined` follows `hdr`) and to `buckets` (only `usager` mail has a
 * delay bucket: it leaves or enters with its current answer). Returns the refined keys, and the keys
 * stored as sent mail (whose references may grow). A key stored in the other direction is left alone.
 */
export async function refineStored(
  store: IngestStore,
  ctx: PairingContext,
  again: readonly NewRecord[],
  refs: ReadonlyMap<string, unknown>,
  flows: Map<string, FlowDelta>,
  buckets: ReplyDeltas,
): Promise<{ refined: Set<string>; sentAgain: Set<string> }> {
  const candidates = again.filter((r) => (r.dir === 'in' ? mayRefine(r.cat, r.hdr === 1) : refs.has(r.key)));
  if (candidates.length === 0) return { refined: new Set(), sentAgain: new Set() };
  const stored = await store.storedByKeys(
    ctx.balf,
    candidates.map((r) => r.key),
  );
  const byKey = new Map(stored.map((s) => [s.key, s]));
  const changes: Refinement[] = [];
  for (const r of candidates) {
    const s = byKey.get(r.key);
    if (r.dir !== 'in' || s?.dir !== 'in') continue;
    const storedHdr = Number(s.hdr);
    if (!categoryWins({ cat: r.cat, hdr: r.hdr === 1 }, { cat: s.cat, hdr: storedHdr === 1 })) continue;
    changes.push({ key: r.key, cat: r.cat, hdr: r.hdr });
    // The stored day stays the record's day: the first upload decided it.
    bumpFlow(flows, `${s.day}|in|${s.cat}`, -1, -storedHdr);
    bumpFlow(flows, `${s.day}|in|${r.cat}`, 1, r.hdr);
    if ((s.cat === 'usager') !== (r.cat === 'usager')) {
      const delay = replyDelay(s.day, s.answered_at, ctx.region, ctx.whitMondayWorked, ctx.overrides);
      bumpReply(buckets, s.day, delay, r.cat === 'usager' ? 1 : -1);
    }
  }
  await store.refineRecords(ctx.balf, changes);
  return {
    refined: new Set(changes.map((c) => c.key)),
    sentAgain: new Set(stored.filter((s) => s.dir === 'out').map((s) => s.key)),
  };
}

/** The refined categories, in the caller's transaction (see `updateRecords`). */
export async function refineRecords(
  trx: Transaction<Database>,
  balf: string,
  changes: readonly Refinement[],
): Promise<void> {
  await updateRecords(
    trx,
    balf,
    ['cat', 'hdr'],
    changes.map((c) => [c.key, c.cat, c.hdr]),
  );
}
