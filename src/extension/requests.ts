// Sent replies and the requests they close: the heuristic answer of a reply without references and the
// earlier messages of the same request every reply also answers (core requestClosure), computed once the
// window is in the ledger and extended when older mail of a request arrives late.
import { findHeuristicMatch, requestClosure, type ReceivedForMatch } from '../core/replies.ts';
import { Up, type Ledger, type LedgerRow } from './ledger.ts';
import { toReceived, toReply } from './matching.ts';

/** How far back the subject/correspondent heuristic and the request closure look. */
export const HEURISTIC_WINDOW_DAYS = 30;
const WINDOW_MS = HEURISTIC_WINDOW_DAYS * 86_400_000;
const OPTIONS = { heuristicWindowDays: HEURISTIC_WINDOW_DAYS };

/**
 * Whether a new sent row waits (held) for its answer and closure before it is queued: replies, and new
 * messages the heuristic may turn into replies.
 */
export function mayAnswer(row: LedgerRow): boolean {
  return row.dir === 'out' && (row.cat === 'reply' || (row.cat === 'new' && !row.re?.length));
}

/**
 * Received rows of one BALF grouped by correspondent: the heuristic and the request closure only ever
 * look at mail from one of a reply's recipients, so each reply looks at a handful of rows, not all.
 */
export class RequestIndex {
  private readonly byCorrespondent = new Map<string, ReceivedForMatch[]>();
  constructor(rows: readonly LedgerRow[]) {
    for (const r of rows) {
      if (r.dir !== 'in' || r.correspondent === undefined) continue;
      const list = this.byCorrespondent.get(r.correspondent);
      if (list) list.push(toReceived(r));
      else this.byCorrespondent.set(r.correspondent, [toReceived(r)]);
    }
  }

  /** The received rows a reply between `fromMs` and `toMs` may answer. */
  static async around(ledger: Ledger, balf: string, fromMs: number, toMs: number): Promise<RequestIndex> {
    return new RequestIndex(await ledger.rowsBetween(balf, fromMs - WINDOW_MS, toMs + 1));
  }

  private candidates(row: LedgerRow): ReceivedForMatch[] {
    return (row.correspondents ?? []).flatMap((c) => this.byCorrespondent.get(c) ?? []);
  }

  /** The sent row with its heuristic answer when it has no reference (a `new` one becomes a flagged reply). */
  answer(row: LedgerRow): LedgerRow {
    if (row.re?.length || (row.cat !== 'reply' && row.cat !== 'new')) return row;
    const match = findHeuristicMatch(toReply(row), this.candidates(row), OPTIONS);
    return match ? { ...row, cat: 'reply', re: [match.key], heuristic: true } : row;
  }

  /** Keys of the earlier messages of the same request the reply also closes. */
  closure(row: LedgerRow): string[] {
    return requestClosure(toReply(row), this.candidates(row), OPTIONS);
  }

  /** A held row released: its answer, its closure, queued for upload. */
  release(row: LedgerRow): LedgerRow {
    const answered = this.answer(row);
    const { hre: _old, ...rest } = answered;
    const hre = this.closure(answered);
    return { ...rest, up: row.up === Up.hold ? Up.pending : row.up, ...(hre.length > 0 ? { hre } : {}) };
  }
}

/** Live path: held sent rows just written get their answer and closure at once (one ledger read). */
export async function releaseNow(ledger: Ledger, balf: string, rows: readonly LedgerRow[]): Promise<void> {
  if (rows.length === 0) return;
  const index = await RequestIndex.around(ledger, balf, minAt(rows), maxAt(rows));
  await ledger.putClosures(
    balf,
    rows.map((row) => index.release(row)),
  );
}

const minAt = (rows: readonly LedgerRow[]): number => rows.reduce((m, r) => Math.min(m, r.atMs), Infinity);
const maxAt = (rows: readonly LedgerRow[]): number => rows.reduce((m, r) => Math.max(m, r.atMs), -Infinity);

/** Meta key of the span of received mail a scan added, whose replies' closures are looked at when it ends. */
const spanKey = (balf: string): string => `closureSpan\u0000${balf}`;
interface Span {
  fromMs: number;
  toMs: number;
}

/**
 * Received rows just written that may belong to the request of a reply already in the ledger (mail synced
 * late, a folder walked after Sent). Live: the replies' closures are extended at once. Scan: the span is
 * kept (in the ledger, so a restart keeps it) and the end of the scan does it once (`releaseHeld`).
 */
export async function extendClosures(
  ledger: Ledger,
  balf: string,
  rows: readonly LedgerRow[],
  deferred: boolean,
): Promise<void> {
  const usager = rows.filter((r) => r.dir === 'in' && r.cat === 'usager' && r.correspondent !== undefined);
  if (usager.length === 0) return;
  const span = { fromMs: minAt(usager), toMs: maxAt(usager) };
  if (deferred) {
    const known = await ledger.getMeta<Span>(spanKey(balf));
    await ledger.setMeta(
      spanKey(balf),
      known ? { fromMs: Math.min(known.fromMs, span.fromMs), toMs: Math.max(known.toMs, span.toMs) } : span,
    );
    return;
  }
  // Replies can only close mail received before them: a message arriving now has none in the ledger,
  // so the common case reads the few rows dated after it and stops there.
  const later = await ledger.rowsBetween(balf, span.fromMs, span.toMs + WINDOW_MS + 1);
  const who = new Set(usager.map((r) => r.correspondent));
  const replies = later.filter(
    (r) =>
      r.dir === 'out' && r.cat === 'reply' && r.up !== Up.hold && r.correspondents?.some((c) => who.has(c)),
  );
  if (replies.length === 0) return;
  await extend(
    ledger,
    balf,
    replies,
    await RequestIndex.around(ledger, balf, minAt(replies), maxAt(replies)),
  );
}

/** Replies whose closure gained keys get them (and are queued again: the server keeps the union). */
async function extend(ledger: Ledger, balf: string, replies: readonly LedgerRow[], index: RequestIndex) {
  const grown: LedgerRow[] = [];
  for (const reply of replies) {
    const had = new Set(reply.hre ?? []);
    const hre = index.closure(reply);
    if (hre.some((k) => !had.has(k))) grown.push({ ...reply, hre });
  }
  return ledger.putClosures(balf, grown);
}

/**
 * End of a scan: held sent rows get their answer and closure and join the upload queue, and replies
 * already released extend their closure with the received mail the scan added. A reply without references
 * waits while Thunderbird still syncs its BALF (the message it answers may not be there yet, and the
 * heuristic chooses once); one with references goes now, since a late message only extends its closure.
 * Returns how many rows were queued.
 */
export async function releaseHeld(
  ledger: Ledger,
  stillSyncing: ReadonlySet<string> = new Set(),
): Promise<number> {
  const held = (await ledger.rowsWithState(Up.hold)).filter(
    (row) => !stillSyncing.has(row.balf) || (row.re?.length ?? 0) > 0,
  );
  const byBalf = new Map<string, LedgerRow[]>();
  for (const row of held) {
    const list = byBalf.get(row.balf);
    if (list) list.push(row);
    else byBalf.set(row.balf, [row]);
  }
  for (const balf of await ledger.balfs()) {
    if (!byBalf.has(balf) && (await ledger.getMeta<Span>(spanKey(balf))) !== undefined) byBalf.set(balf, []);
  }
  let queued = 0;
  for (const [balf, rows] of byBalf) {
    const span = await ledger.getMeta<Span>(spanKey(balf));
    // One read of the BALF's rows over the span of its held replies and of the replies the scan's
    // received mail may concern.
    const from = Math.min(minAt(rows), span?.fromMs ?? Infinity);
    const to = Math.max(maxAt(rows), span ? span.toMs + WINDOW_MS : -Infinity);
    const read = await ledger.rowsBetween(balf, from - WINDOW_MS, to + 1);
    const index = new RequestIndex(read);
    queued += (
      await ledger.putClosures(
        balf,
        rows.map((row) => index.release(row)),
      )
    ).length;
    if (span) {
      const released = new Set(rows.map((r) => r.key));
      const concerned = read.filter(
        (r) =>
          r.dir === 'out' &&
          r.cat === 'reply' &&
          r.up !== Up.hold &&
          !released.has(r.key) &&
          r.atMs >= span.fromMs &&
          r.atMs <= span.toMs + WINDOW_MS,
      );
      queued += (await extend(ledger, balf, concerned, index)).length;
      await ledger.setMeta(spanKey(balf), undefined);
    }
  }
  return queued;
}
