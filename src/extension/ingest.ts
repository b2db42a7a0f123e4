// The one counting path: message headers → key → (skip if known) → classify → ledger row. Used by the live
// listeners and the reconcile scan alike, so every source counts the same way; received mail is classified with
// its own headers, read before the row is written (new mail) or right after it (walks: refine.ts).
import { classify, type Classification } from '../core/classify.ts';
import { fallbackKey, messageKey, referencedMessageIds } from '../core/keys.ts';
import { FUTURE_TOLERANCE_MS, MAX_RE_KEYS } from '../core/protocol.ts';
import type { Config } from './config.ts';
import { Refine, Up, type Ledger, type LedgerRow } from './ledger.ts';
import { decodeEncodedWords } from './mime-words.ts';
import type { Clock, MessageHeader, MessagePart } from './platform.ts';
import { extendClosures, mayAnswer, releaseNow } from './requests.ts';

export { HEURISTIC_WINDOW_DAYS, releaseHeld } from './requests.ts';

export interface IngestDeps {
  ledger: Ledger;
  getFull: (id: number) => Promise<MessagePart>;
  clock: Clock;
  /** getFull calls in flight at once. */
  concurrency?: number;
}

export interface BalfContext {
  balf: string;
  config: Config;
}

export interface IngestOptions {
  /**
   * Scan: hold sent replies (their heuristic answer and request closure) until the whole window is in
   * the ledger, and leave closures that received mail extends to the end of the scan (`releaseHeld`).
   */
  deferHeuristic: boolean;
  /**
   * Scan: the BALF's keys read from the ledger before the walk, kept up to date with what this walk
   * writes; known keys are looked up here instead of in the ledger.
   */
  known?: Set<string>;
  /**
   * Scan: called once every header this list needs has been read (before the ledger write). The walk
   * asks Thunderbird for its next page then: the page's answer, serialized on Thunderbird's main thread,
   * would hold up the reads.
   */
  readsDone?: () => void;
  /**
   * Walk of the window: received messages are counted from the message list alone (`Refine.waiting`), so
   * the first figures come at the walk's speed, and handed to `refine` with the page's messages whose rows
   * still wait (`waiting`), whose headers are then read alongside the walk (refine.ts). Otherwise (new mail)
   * each received message's headers are read before it is counted: one read, one upload.
   */
  listFirst?: { refine: (tasks: RefineTask[]) => void; waiting: ReadonlySet<string> };
}

/** A received message whose category is to be decided with its headers: its key and this sighting of it. */
export interface RefineTask {
  key: string;
  header: MessageHeader;
}

/**
 * What refining a received message needs of its list entry (its id, and what classification reads besides the
 * headers): a back-fill's walk can hand tens of thousands over faster than they are read.
 */
function forRefinement(h: MessageHeader): MessageHeader {
  return {
    id: h.id,
    author: h.author,
    recipients: [],
    ccList: [],
    bccList: [],
    date: h.date,
    headerMessageId: h.headerMessageId,
    subject: h.subject,
    size: h.size,
    junk: h.junk,
    ...(h.folder
      ? {
          folder: {
            path: h.folder.path,
            ...(h.folder.specialUse ? { specialUse: h.folder.specialUse } : {}),
          },
        }
      : {}),
  };
}

export interface IngestStats {
  seen: number;
  added: number;
  known: number;
  ignored: number;
  headersRead: number;
  /**
   * Messages whose headers Thunderbird could not give (e.g. "Error while streaming message …: Timeout"
   * on a loaded IMAP server): not written, so the next scan tries them again; the rest of the page counts.
   */
  failed: number;
  /** The first reason a message's headers could not be read (the message is read again next scan). */
  readError?: string;
  /** Walks: received rows whose category was decided again with their headers (refine.ts)… */
  refined: number;
  /** …of which the category changed… */
  reclassified: number;
  /** …and messages whose headers could not be read for that (the row waits, or is given up). */
  refineFailed: number;
  /** Walks whose header reads stopped because Thunderbird streamed nothing (refine.ts). */
  refineStopped: number;
  /** Where the time went, in ms (what a back-fill benchmark reads in the scan log line). */
  phaseMs: PhaseMs;
}

export interface PhaseMs {
  /** Message keys (HMAC), synthetic ids resolved. */
  key: number;
  /** Which keys the ledger already holds. */
  lookup: number;
  /** Classification and the full headers read for it. */
  rows: number;
  /** Ledger writes. */
  write: number;
  /** Waiting for Thunderbird's next page (scans only). */
  pageWait: number;
}

/** A failure of Thunderbird to give one message's headers (not of our code). */
class HeaderReadError extends Error {}

/** Stats of nothing seen yet: the start of every sum. */
export const noStats = (seen = 0): IngestStats => ({
  seen,
  added: 0,
  known: 0,
  ignored: 0,
  headersRead: 0,
  failed: 0,
  refined: 0,
  reclassified: 0,
  refineFailed: 0,
  refineStopped: 0,
  phaseMs: { key: 0, lookup: 0, rows: 0, write: 0, pageWait: 0 },
});

export function addStats(a: IngestStats, b: IngestStats): IngestStats {
  const readError = a.readError ?? b.readError;
  return {
    seen: a.seen + b.seen,
    added: a.added + b.added,
    known: a.known + b.known,
    ignored: a.ignored + b.ignored,
    headersRead: a.headersRead + b.headersRead,
    failed: a.failed + b.failed,
    refined: a.refined + b.refined,
    reclassified: a.reclassified + b.reclassified,
    refineFailed: a.refineFailed + b.refineFailed,
    refineStopped: a.refineStopped + b.refineStopped,
    phaseMs: {
      key: a.phaseMs.key + b.phaseMs.key,
      lookup: a.phaseMs.lookup + b.phaseMs.lookup,
      rows: a.phaseMs.rows + b.phaseMs.rows,
      write: a.phaseMs.write + b.phaseMs.write,
      pageWait: a.phaseMs.pageWait + b.phaseMs.pageWait,
    },
    ...(readError !== undefined ? { readError } : {}),
  };
}

const since = (t0: number): number => Math.round((performance.now() - t0) * 10) / 10;

/**
 * Earlier dates are clocks reset to an epoch (1970 Unix, 1980 DOS/GPS), never the date of mail this
 * add-on counts: its back-fill reaches 10 years back at most.
 */
const EARLIEST_MS = Date.UTC(2000, 0, 1);

/** Not a reset clock's date and not more than `toleranceMs` ahead of the reference clock `refMs`. */
function plausible(date: Date | null, refMs: number, toleranceMs = FUTURE_TOLERANCE_MS): date is Date {
  return date !== null && date.getTime() >= EARLIEST_MS && date.getTime() <= refMs + toleranceMs;
}

/**
 * The instant a questioned message is counted at, or null for "no usable date" (first sight, then).
 * The top Received header was stamped by the receiving mail server, whose clock is kept right; the
 * workstation's may be days off. So the Date is judged against Received when there is one, and
 * Received replaces a Date it shows wrong; sent mail has no Received and is judged against the
 * workstation's clock. Within the tolerance the Date stands, so the day depends on the headers alone
 * (and is the one Thunderbird shows), whatever the workstation's clock and whenever it is read.
 */
function judgedDate(date: Date | null, received: Date | null, nowMs: number): Date | null {
  if (received !== null && received.getTime() >= EARLIEST_MS) {
    return plausible(date, received.getTime()) ? date : received;
  }
  return plausible(date, nowMs) ? date : null;
}

/** Time of receipt from the topmost Received header (`…; <date>`), or null. */
function receivedDate(headers: Headers | undefined): Date | null {
  for (const value of headers?.['received'] ?? []) {
    const i = value.lastIndexOf(';');
    if (i < 0) continue;
    const date = toDate(value.slice(i + 1).trim());
    if (date) return date;
  }
  return null;
}

/** The message date, or null when Thunderbird has none that parses. */
function toDate(d: MessageHeader['date']): Date | null {
  const date = d instanceof Date ? d : new Date(d);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** Message-IDs inside a header value, brackets removed, in order of appearance. */
export function messageIdsIn(value: string | undefined): string[] {
  if (!value) return [];
  const ids = [...value.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1] as string);
  if (ids.length > 0) return ids;
  return value.split(/\s+/).filter((s) => s.includes('@'));
}

export type Headers = Record<string, string[]>;

export function lowerHeaders(part: MessagePart | undefined): Headers | undefined {
  if (!part?.headers) return undefined;
  const out: Headers = {};
  for (const [name, values] of Object.entries(part.headers)) {
    const lower = name.toLowerCase();
    // getHeaders (Thunderbird 147+) may hand the subject over still encoded (RFC 2047).
    out[lower] = lower === 'subject' ? values.map(decodeEncodedWords) : values;
  }
  return out;
}

export const first = (h: Headers | undefined, name: string): string | undefined => h?.[name]?.[0];
const all = (h: Headers | undefined, name: string): string | undefined => h?.[name]?.join(' ');

/**
 * Thunderbird's own id for a message whose header it holds no Message-ID in: `md5:` and a hash of
 * the header it downloaded. Every client gets the same one for a message that really has none, but a
 * header cut short (IMAP connection dropped while Thunderbird fetched it) hashes differently, so such
 * an id is checked against the message's full header before it becomes a key.
 */
export const SYNTHETIC_MESSAGE_ID = /^md5:/i;

async function keyOf(secret: string, h: MessageHeader): Promise<{ key: string; headerMessageId: string }> {
  const headerMessageId = h.headerMessageId.trim().replace(/^<|>$/g, '');
  if (headerMessageId) return { key: await messageKey(secret, headerMessageId), headerMessageId };
  const key = await fallbackKey(secret, { date: toDate(h.date), author: h.author, size: h.size });
  return { key, headerMessageId: '' };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

export function classifyHeader(ctx: BalfContext, h: MessageHeader, headers?: Headers): Classification {
  return classify({
    author: h.author,
    recipients: [...(h.recipients ?? []), ...(h.ccList ?? []), ...(h.bccList ?? [])],
    ...(h.folder?.specialUse ? { folderSpecialUse: h.folder.specialUse } : {}),
    junk: h.junk,
    subject: first(headers, 'subject') ?? h.subject,
    ...(headers ? { headers } : {}),
    balfAddresses: [ctx.balf],
    internalDomains: ctx.config.internalDomains,
  });
}

/**
 * Whether counting this message may read its full header: sent mail (In-Reply-To/References), received mail
 * unless counted list-first, synthetic ids.
 */
export function mayReadHeaders(ctx: BalfContext, h: MessageHeader, listFirst: boolean): boolean {
  if (h.external) return false;
  if (SYNTHETIC_MESSAGE_ID.test(h.headerMessageId.trim())) return true;
  const c = classifyHeader(ctx, h);
  return c.direction === 'out' || (c.direction === 'in' && !listFirst);
}

/** Keys of the messages a message references: In-Reply-To first, then References nearest first, no repeats. */
export async function referencedKeys(secret: string, headers: Headers | undefined): Promise<string[]> {
  const ids = [
    ...messageIdsIn(all(headers, 'in-reply-to')),
    ...messageIdsIn(all(headers, 'references')).reverse(),
  ];
  return Promise.all([...new Set(ids)].slice(0, MAX_RE_KEYS).map((id) => messageKey(secret, id)));
}

/** Counts a list of messages of one BALF account. Idempotent: known keys are skipped first. */
export async function ingestHeaders(
  deps: IngestDeps,
  ctx: BalfContext,
  headers: readonly MessageHeader[],
  options: IngestOptions,
): Promise<IngestStats> {
  const stats = noStats(headers.length);
  const secret = ctx.config.secret;
  if (!secret || headers.length === 0) return stats;
  let t0 = performance.now();
  const failed = Symbol('failed');
  /**
   * Reading one message's headers can fail in many ways ("Error while streaming message …: Timeout" on a
   * loaded IMAP server, a message gone, a dropped connection): that message is not counted now and is read
   * again at the next scan; the rest of the page counts. The first reason is kept for the log.
   */
  const readPart = async (id: number): Promise<MessagePart> => {
    stats.headersRead += 1;
    try {
      return await deps.getFull(id);
    } catch (error) {
      // Thunderbird's ExtensionError may come from another realm: read its message, not its class.
      const message = String((error as { message?: unknown } | null)?.message ?? error);
      stats.readError ??= message;
      throw new HeaderReadError(message);
    }
  };
  const keyedOrFailed = await mapLimit(
    headers.filter((h) => !h.external),
    deps.concurrency ?? 8,
    async (h) => {
      if (!SYNTHETIC_MESSAGE_ID.test(h.headerMessageId.trim())) return { h, ...(await keyOf(secret, h)) };
      // A synthetic id: the full header says whether the message really has no Message-ID.
      let hdrs: Headers | undefined;
      try {
        hdrs = lowerHeaders(await readPart(h.id));
      } catch (error) {
        if (error instanceof HeaderReadError) return failed;
        throw error;
      }
      const real = referencedMessageIds(first(hdrs, 'message-id'))[0] ?? '';
      return { h, hdrs, ...(await keyOf(secret, real ? { ...h, headerMessageId: real } : h)) };
    },
  );
  const keyed = keyedOrFailed.filter((k): k is Exclude<typeof k, typeof failed> => k !== failed);
  const unkeyed = keyedOrFailed.length - keyed.length;
  stats.phaseMs.key = since(t0);
  t0 = performance.now();
  const known =
    options.known ??
    (await deps.ledger.existingKeys(
      ctx.balf,
      keyed.map((k) => k.key),
    ));
  // The same message twice in one list (two folders): count the first.
  const fresh = new Map<string, (typeof keyed)[number]>();
  for (const k of keyed) if (!known.has(k.key) && !fresh.has(k.key)) fresh.set(k.key, k);
  stats.known = keyed.length - fresh.size;
  stats.phaseMs.lookup = since(t0);
  t0 = performance.now();

  const now = deps.clock().toISOString();
  const nowMs = Date.parse(now);
  const hmacSecret: string = secret;
  const read = async (h: MessageHeader): Promise<Headers | undefined> => lowerHeaders(await readPart(h.id));
  const listFirst = options.listFirst;
  const rows = await mapLimit(
    [...fresh.values()],
    deps.concurrency ?? 8,
    async (k): Promise<LedgerRow | null | typeof failed> => {
      try {
        return await toRow(k.h, k.key, k.headerMessageId, 'hdrs' in k ? k.hdrs : undefined);
      } catch (error) {
        if (error instanceof HeaderReadError) return failed;
        throw error;
      }
    },
  );
  async function toRow(
    h: MessageHeader,
    key: string,
    headerMessageId: string,
    readBefore: Headers | undefined,
  ): Promise<LedgerRow | null> {
    {
      let hdrs = readBefore;
      let c = classifyHeader(ctx, h, hdrs);
      if (c.direction === 'ignored') return null;
      // A received message whose headers cannot be read now is still counted, from the list, and waits for a
      // walk to read them (refine.ts); a sent one is not counted before its references are known.
      let unreadable = false;
      if (hdrs === undefined && (c.direction === 'out' || listFirst === undefined)) {
        try {
          hdrs = await read(h);
        } catch (error) {
          if (c.direction === 'out' || !(error instanceof HeaderReadError)) throw error;
          unreadable = true;
        }
      }
      let at = toDate(h.date);
      // Thunderbird dates IMAP mail by its Date header even with mailnews.use_received_date. A Date not
      // after the workstation's clock is taken as is, on every path, whether the full headers are read or
      // not; one ahead of it (a sender's clock ahead, or this one behind), unreadable or a reset clock's is
      // judged against the top Received header (judgedDate), failing that counted at first sight.
      if (!plausible(at, nowMs, 0)) {
        if (unreadable) throw new HeaderReadError(stats.readError ?? 'unreadable');
        hdrs ??= await read(h);
        at = judgedDate(at, receivedDate(hdrs), nowMs) ?? new Date(now);
      }
      if (hdrs !== undefined) c = classifyHeader(ctx, h, hdrs);
      if (c.direction === 'ignored') return null;
      const base = {
        balf: ctx.balf,
        key,
        at: at.toISOString(),
        atMs: at.getTime(),
        up: Up.pending,
        headerMessageId,
        firstSeen: now,
        ...(h.folder?.path ? { folder: h.folder.path } : {}),
        subject: first(hdrs, 'subject') ?? h.subject,
      };
      if (c.direction === 'in') {
        const row = {
          ...base,
          dir: 'in',
          cat: c.category,
          correspondent: c.correspondent,
        } satisfies LedgerRow;
        if (hdrs === undefined) {
          return { ...row, refine: Refine.waiting, ...(unreadable ? { refineFailures: 1 } : {}) };
        }
        const refs = await referencedKeys(hmacSecret, hdrs);
        return { ...row, hdr: true, ...(refs.length > 0 ? { refs } : {}) };
      }
      const re = await referencedKeys(hmacSecret, hdrs);
      const sent: LedgerRow = { ...base, dir: 'out', cat: c.category, correspondents: c.correspondents };
      const row = re.length > 0 ? { ...sent, re } : sent;
      // Held (never uploaded) until its answer and closure are known: at the end of the scan, or just
      // after the write on the live path.
      return mayAnswer(row) ? { ...row, up: Up.hold } : row;
    }
  }
  stats.phaseMs.rows = since(t0);
  options.readsDone?.();
  t0 = performance.now();
  const toWrite = rows.filter((r): r is LedgerRow => r !== null && r !== failed);
  const rowsFailed = rows.filter((r) => r === failed).length;
  stats.failed = rowsFailed + unkeyed;
  stats.ignored = rows.length - toWrite.length - rowsFailed;
  stats.added = await deps.ledger.addIfAbsent(toWrite);
  for (const r of toWrite) options.known?.add(r.key);
  if (listFirst) {
    // This page's messages whose rows wait for their headers: just written, or left by an earlier walk.
    const waiting = new Set(toWrite.filter((r) => r.refine === Refine.waiting).map((r) => r.key));
    const tasks: RefineTask[] = [];
    for (const k of keyed) {
      if (waiting.has(k.key) || (known.has(k.key) && listFirst.waiting.has(k.key))) {
        tasks.push({ key: k.key, header: forRefinement(k.h) });
        waiting.delete(k.key);
      }
    }
    if (tasks.length > 0) listFirst.refine(tasks);
  }
  if (!options.deferHeuristic)
    await releaseNow(
      deps.ledger,
      ctx.balf,
      toWrite.filter((r) => r.up === Up.hold),
    );
  await extendClosures(deps.ledger, ctx.balf, toWrite, options.deferHeuristic);
  stats.phaseMs.write = since(t0);
  return stats;
}
