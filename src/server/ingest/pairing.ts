/**
 * Reply pairing for the received messages a batch touched, with src/core `matchReplies`, and the
 * upkeep of `daily_replies` (received usager mail by day and delay bucket).
 */
import { sql, type Transaction } from 'kysely';
import type { DayOverrides, Region } from '../../core/calendar.ts';
import { matchReplies, type ReceivedForMatch, type SentForMatch } from '../../core/replies.ts';
import type { Database, RecordTable } from '../db/schema.ts';
import { chunks } from './chunks.ts';
import type { Home } from './rollups.ts';
import type { IngestStore, StoredReceived, StoredRef } from './store.ts';
import { replyDelay } from './delays.ts';

type Trx = Transaction<Database>;

export interface PairingContext {
  balf: string;
  region: Region;
  home: Home;
  whitMondayWorked: boolean;
  /** Declared days of the BALF's place; undefined: the law alone. */
  overrides?: DayOverrides | undefined;
}

/** A row this batch has just inserted: pairing knows it without reading it back. */
export type FreshRecord = Pick<RecordTable, 'key' | 'dir' | 'at' | 'day' | 'cat' | 'heuristic'>;

/** Key `day|delay` of `daily_replies` → change; see `bumpReply`. */
export type ReplyDeltas = Map<string, number>;

export function bumpReply(deltas: ReplyDeltas, day: string, delay: number, delta: number): void {
  const k = `${day}|${delay}`;
  deltas.set(k, (deltas.get(k) ?? 0) + delta);
}

/** A sent message's references grouped for src/core `matchReplies`: `re`, and the request closure `hre`. */
export function referencesBySent(refs: readonly StoredRef[]): Map<string, { re: string[]; hre: string[] }> {
  const out = new Map<string, { re: string[]; hre: string[] }>();
  for (const r of refs) {
    let lists = out.get(r.sent_key);
    if (!lists) out.set(r.sent_key, (lists = { re: [], hre: [] }));
    (Number(r.heuristic) === 1 ? lists.hre : lists.re).push(r.ref_key);
  }
  return out;
}

/**
 * Re-pairs the received rows whose keys are in `touched` against every stored reply that
 * references them, stores the answers that changed and adds the delay-bucket moves to `buckets`.
 * `fresh` are the rows inserted by this batch (no delay bucket counted yet, no answer stored yet):
 * only the other rows are read from the database, with the category they hold now.
 */
export async function pairTouched(
  store: IngestStore,
  ctx: PairingContext,
  touched: ReadonlySet<string>,
  fresh: ReadonlyMap<string, FreshRecord>,
  buckets: ReplyDeltas,
): Promise<void> {
  if (touched.size === 0) return;
  const received: StoredReceived[] = [];
  const stored: string[] = [];
  for (const key of touched) {
    const r = fresh.get(key);
    if (r === undefined) stored.push(key);
    else if (r.dir === 'in') {
      received.push({ key, at: r.at, day: r.day, cat: r.cat, answered_at: null, answer_heuristic: 0 });
    }
  }
  if (stored.length > 0) received.push(...(await store.receivedByKeys(ctx.balf, stored)));
  if (received.length === 0) return;

  const refs = await store.refsTo(
    ctx.balf,
    received.map((r) => r.key),
  );
  const bySent = referencesBySent(refs);
  const sent: SentForMatch[] = [];
  const storedSent: string[] = [];
  const addSent = (row: { key: string; at: string; cat: string; heuristic: number }): void => {
    const lists = bySent.get(row.key);
    sent.push({
      key: row.key,
      at: row.at,
      category: row.cat as SentForMatch['category'],
      re: lists?.re ?? [],
      hre: lists?.hre ?? [],
      heuristic: Number(row.heuristic) === 1,
    });
  };
  for (const key of bySent.keys()) {
    const r = fresh.get(key);
    if (r === undefined) storedSent.push(key);
    else if (r.dir === 'out') addSent(r);
  }
  if (storedSent.length > 0) for (const row of await store.sentByKeys(ctx.balf, storedSent)) addSent(row);

  // Only a received message some stored reply refers to can be answered (the server has no subjects
  // for the heuristic): the others — most of a batch's fresh mail — stay unanswered without matching.
  const referred = new Set<string>();
  for (const r of refs) referred.add(r.ref_key);
  const forMatch: ReceivedForMatch[] = [];
  for (const r of received) {
    if (referred.has(r.key))
      forMatch.push({ key: r.key, at: r.at, category: r.cat as ReceivedForMatch['category'] });
  }
  const matches = matchReplies(forMatch, sent);

  const changes: AnswerChange[] = [];
  for (const r of received) {
    const m = matches.get(r.key);
    const answeredAt = m?.answeredAt ?? null;
    const heuristic = m?.heuristic === true ? 1 : 0;
    const isFresh = fresh.has(r.key);
    if (answeredAt !== r.answered_at || heuristic !== Number(r.answer_heuristic)) {
      changes.push({ key: r.key, answeredAt, heuristic });
    }
    if (r.cat !== 'usager') continue;
    const newDelay = replyDelay(r.day, answeredAt, ctx.region, ctx.whitMondayWorked, ctx.overrides);
    if (isFresh) {
      bumpReply(buckets, r.day, newDelay, 1);
    } else {
      const oldDelay = replyDelay(r.day, r.answered_at, ctx.region, ctx.whitMondayWorked, ctx.overrides);
      if (oldDelay !== newDelay) {
        bumpReply(buckets, r.day, oldDelay, -1);
        bumpReply(buckets, r.day, newDelay, 1);
      }
    }
  }
  await store.updateAnswers(ctx.balf, changes);
}

export interface AnswerChange {
  key: string;
  answeredAt: string | null;
  heuristic: number;
}

/** Two columns of `records` set per key: `[key, first, second]` rows (see `updateRecords`). */
export async function updateAnswers(trx: Trx, balf: string, changes: readonly AnswerChange[]): Promise<void> {
  await updateRecords(
    trx,
    balf,
    ['answered_at', 'answer_heuristic'],
    changes.map((c) => [c.key, c.answeredAt, c.heuristic]),
  );
}

/**
 * One UPDATE of `records` per few hundred keys (a CTE of values joined on the key; same SQL on both
 * databases): sets a text column and an integer column from `[key, text, integer]` rows.
 */
export async function updateRecords(
  trx: Trx,
  balf: string,
  [text, integer]: readonly [string, string],
  rows: readonly (readonly [string, string | null, number])[],
): Promise<void> {
  const [t, i] = [sql.ref(text), sql.ref(integer)];
  for (const part of chunks(rows, 300)) {
    const values = sql.join(
      part.map(([key, a, b]) => sql`(${key}, cast(${a} as text), cast(${b} as integer))`),
    );
    await sql`with v (key, a, b) as (values ${values})
      update records set ${t} = v.a, ${i} = v.b
      from v where records.balf = ${balf} and records.key = v.key`.execute(trx);
  }
}
