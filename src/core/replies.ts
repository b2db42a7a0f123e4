// Reply pairing: which sent message first answers each received message (by reference, then by heuristic),
// and which earlier messages of the same request a reply also closes.
import { MAX_HRE_KEYS } from './protocol.ts';

/** Tags that gateways put in front of subjects ("[EXT]", "[externe]"…); they carry no meaning. */
const TAG = /^\[(?:ext|externe?|external|exterieur|courriel externe)\]\s*/;
/**
 * Reply and forward prefixes, compared after accent stripping and lower-casing: "RE:", "RE :" (French
 * spacing), "Réf. :", "RE[2]:", "Re(3):", "TR:", "Fwd:", "AW:", "WG:", "SV:", "RV:", "Antw:", "Enc:"…
 */
const PREFIX = /^(re|ref|aw|sv|antw|fwd?|tr|wg|rv|enc)\.?\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*/;
const REPLY_WORDS = new Set(['re', 'ref', 'aw', 'sv', 'antw']);

const ENCODED_WORD = /=\?([^?\s]+)\?([bq])\?([^?\s]*)\?=/gi;

/**
 * Decodes RFC 2047 encoded words ("=?UTF-8?Q?R=C3=A9ponse?="), in case a raw header reaches us
 * undecoded; a word in an unknown charset or malformed is left as it is.
 */
export function decodeEncodedWords(text: string): string {
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
  const joined = text.replace(/(\?=)\s+(?==\?[^?\s]+\?[bq]\?)/gi, '$1');
  return joined.replace(ENCODED_WORD, (word, charset: string, encoding: string, data: string) => {
    try {
      let bytes: Uint8Array;
      if (encoding.toLowerCase() === 'b') {
        bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      } else {
        const binary = data
          .replace(/_/g, ' ')
          .replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
        bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
      }
      return new TextDecoder(charset.split('*')[0]!, { fatal: true }).decode(bytes);
    } catch {
      return word;
    }
  });
}

function fold(text: string): string {
  return decodeEncodedWords(text)
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[\s\u00a0\u202f]+/g, ' ')
    .trim();
}

/**
 * Subject without any chain of reply/forward prefixes or external-mail tags, without accents,
 * lower-case, spaces collapsed: "RE : TR: [EXT] Réf. : Demande  d'échéancier" → "demande d'echeancier".
 */
export function normalizeSubject(subject: string): string {
  let text = fold(subject);
  for (;;) {
    const next = text.replace(TAG, '').replace(PREFIX, '');
    if (next === text) return text;
    text = next;
  }
}

/** Kind of the first reply/forward prefix of a raw subject (tags skipped), or null when there is none. */
export function subjectPrefixKind(rawSubject: string): 'reply' | 'forward' | null {
  let text = fold(rawSubject);
  for (;;) {
    const next = text.replace(TAG, '');
    if (next === text) break;
    text = next;
  }
  const match = PREFIX.exec(text);
  if (!match) return null;
  return REPLY_WORDS.has(match[1]!) ? 'reply' : 'forward';
}

export interface ReceivedForMatch {
  key: string;
  at: string /* ISO */;
  category: 'usager' | 'interne' | 'auto' | 'junk';
  correspondent?: string;
  subject?: string;
  /** Keys of the messages this one references (its In-Reply-To and References), when known. */
  refs?: readonly string[];
}
export interface SentForMatch {
  key: string;
  at: string;
  category: 'reply' | 'forward' | 'new' | 'auto';
  re?: readonly string[];
  /**
   * Earlier received messages of the same request this reply also closes (protocol `hre`): paired by
   * reference like `re`, always flagged heuristic.
   */
  hre?: readonly string[];
  correspondents?: readonly string[];
  subject?: string;
  heuristic?: boolean;
}
export interface ReplyMatch {
  receivedKey: string;
  sentKey: string;
  answeredAt: string;
  heuristic: boolean;
}
export interface MatchOptions {
  /** How long after receipt a subject/correspondent match still counts (default 30 days). */
  heuristicWindowDays?: number;
  /**
   * Sent categories that answer (default: `reply` only, the rule for answers). The acknowledgement
   * measure (src/core/acknowledgement.ts) also counts automatic messages.
   */
  answering?: readonly SentForMatch['category'][];
}

const DAY_MS = 86_400_000;

function instant(at: string, key: string): number {
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new RangeError(`date invalide « ${at} » pour le message ${key}`);
  return ms;
}

function windowMs(options?: MatchOptions): number {
  const days = options?.heuristicWindowDays ?? 30;
  if (!Number.isFinite(days) || days < 0)
    throw new RangeError(`fenêtre heuristique invalide : ${days} jours`);
  return days * DAY_MS;
}

interface Candidate {
  ms: number;
  key: string;
  at: string;
  heuristic: boolean;
}

/** Total order on answers: earliest first, then lowest key, then reference-backed before heuristic. */
function better(a: Candidate, b: Candidate): boolean {
  if (a.ms !== b.ms) return a.ms < b.ms;
  if (a.key !== b.key) return a.key < b.key;
  return !a.heuristic && b.heuristic;
}

function heuristicKey(correspondent: string, normalizedSubject: string): string {
  return `${correspondent.trim().toLowerCase()}\u0000${normalizedSubject}`;
}

/** First index in `sorted` (ascending ms) whose ms ≥ target. */
function lowerBound(sorted: readonly Candidate[], target: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]!.ms < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * For each received message, its first answering sent message. Only `reply` messages answer (unless
 * `options.answering` says otherwise).
 * By reference first (`re` contains the received key; flagged heuristic when that `re` itself came
 * from the heuristic; a reply dated before the receipt still counts — the caller clamps the delay;
 * `hre`, the request closure, counts like a reference flagged heuristic);
 * otherwise, when subject and correspondent are known, the earliest reply to the same correspondent
 * with the same normalised subject, sent within the window after receipt (flagged heuristic).
 * Ties on time go to the lowest sent key. O((R + S) log S). Duplicate received keys: the earliest wins.
 */
export function matchReplies(
  received: readonly ReceivedForMatch[],
  sent: readonly SentForMatch[],
  options?: MatchOptions,
): Map<string, ReplyMatch> {
  const window = windowMs(options);
  const answering = new Set(options?.answering ?? ['reply']);
  const earliest = new Map<string, { record: ReceivedForMatch; ms: number }>();
  for (const record of received) {
    const ms = instant(record.at, record.key);
    const known = earliest.get(record.key);
    if (known === undefined || ms < known.ms) earliest.set(record.key, { record, ms });
  }

  const byReference = new Map<string, Candidate>();
  const bySubject = new Map<string, Candidate[]>();
  for (const s of sent) {
    if (!answering.has(s.category)) continue;
    const candidate: Candidate = {
      ms: instant(s.at, s.key),
      key: s.key,
      at: s.at,
      heuristic: s.heuristic === true,
    };
    const offer = (ref: string, c: Candidate): void => {
      if (!earliest.has(ref)) return;
      const best = byReference.get(ref);
      if (best === undefined || better(c, best)) byReference.set(ref, c);
    };
    const refs = new Set(s.re ?? []);
    for (const ref of refs) offer(ref, candidate);
    // A key in both lists is a header reference: the request closure adds nothing to it.
    for (const ref of new Set(s.hre ?? [])) if (!refs.has(ref)) offer(ref, { ...candidate, heuristic: true });
    const subject = s.subject === undefined ? '' : normalizeSubject(s.subject);
    if (subject === '') continue;
    const heuristicCandidate = { ...candidate, heuristic: true };
    for (const correspondent of new Set((s.correspondents ?? []).map((c) => c.trim().toLowerCase()))) {
      if (correspondent === '') continue;
      const index = heuristicKey(correspondent, subject);
      const list = bySubject.get(index);
      if (list) list.push(heuristicCandidate);
      else bySubject.set(index, [heuristicCandidate]);
    }
  }
  for (const list of bySubject.values()) list.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));

  const result = new Map<string, ReplyMatch>();
  for (const [receivedKey, { record, ms }] of earliest) {
    let answer = byReference.get(receivedKey);
    if (answer === undefined && record.correspondent !== undefined && record.subject !== undefined) {
      const subject = normalizeSubject(record.subject);
      const list = subject === '' ? undefined : bySubject.get(heuristicKey(record.correspondent, subject));
      // The list is sorted by time, so the first reply at or after receipt is the earliest candidate.
      const first = list?.[lowerBound(list, ms)];
      if (first !== undefined && first.ms - ms <= window) answer = first;
    }
    if (answer !== undefined) {
      result.set(receivedKey, {
        receivedKey,
        sentKey: answer.key,
        answeredAt: answer.at,
        heuristic: answer.heuristic,
      });
    }
  }
  return result;
}

/**
 * The received message a sent message without usable references most likely answers: same
 * correspondent, same normalised subject, received at or before the sending and within the window;
 * the most recent such message (ties: lowest key). Forwards and automatic messages answer nothing.
 */
export function findHeuristicMatch(
  sent: SentForMatch,
  received: readonly ReceivedForMatch[],
  options?: MatchOptions,
): ReceivedForMatch | null {
  if (sent.category === 'forward' || sent.category === 'auto' || sent.subject === undefined) return null;
  const window = windowMs(options);
  const subject = normalizeSubject(sent.subject);
  if (subject === '') return null;
  const correspondents = correspondentSet(sent.correspondents);
  const sentAt = instant(sent.at, sent.key);
  let best: { r: ReceivedForMatch; ms: number } | null = null;
  for (const r of received) {
    if (r.correspondent === undefined || r.subject === undefined) continue;
    if (!correspondents.has(r.correspondent.trim().toLowerCase())) continue;
    const ms = instant(r.at, r.key);
    if (ms > sentAt || sentAt - ms > window || normalizeSubject(r.subject) !== subject) continue;
    if (best === null || ms > best.ms || (ms === best.ms && r.key < best.r.key)) best = { r, ms };
  }
  return best === null ? null : best.r;
}

/** Lower-case, trimmed, empty ones left out: how correspondents are compared everywhere here. */
function correspondentSet(list: readonly string[] | undefined): Set<string> {
  const set = new Set((list ?? []).map((c) => c.trim().toLowerCase()));
  set.delete('');
  return set;
}

/**
 * Keys of the earlier received messages of the same request as `reply`, which it also answers (the
 * protocol's `hre`): a usager who gets no answer writes again, the agent answers the latest message, and
 * its In-Reply-To names only that one. A message belongs to the reply's request when it comes from one of
 * the reply's correspondents, was received at or before the reply and within the heuristic window, and
 * either is in the reply's reference chain (its `re` keys, followed through those messages' own `refs`;
 * the chain only runs through that correspondent's messages of the window, since a request is one
 * person's) or has the reply's normalised subject (not empty).
 *
 * Only `usager` messages are returned: they alone have a delay to meet, so closing an `interne` message
 * would change no figure; and colleagues' threads reuse subjects and cross-post ("Point dossier"), where
 * the same subject says much less about the same request. Keys in `re` are left out (they pair by
 * reference already). Forwards, automatic and new messages close nothing (the add-on turns a new
 * message the heuristic pairs into a reply first). At most MAX_HRE_KEYS keys: the latest messages win
 * (ties: lowest key); returned latest first. Independent of the order of `received`; a key given twice
 * counts when any of its records does.
 */
export function requestClosure(
  reply: SentForMatch,
  received: readonly ReceivedForMatch[],
  options?: MatchOptions,
): string[] {
  if (reply.category !== 'reply') return [];
  const window = windowMs(options);
  const replyMs = instant(reply.at, reply.key);
  const correspondents = correspondentSet(reply.correspondents);
  if (correspondents.size === 0) return [];
  const subject = reply.subject === undefined ? '' : normalizeSubject(reply.subject);
  // The correspondents' messages of the window, by key: what the request can hold.
  const inWindow = new Map<string, { ms: number; usager: boolean; sameSubject: boolean; refs: string[] }>();
  for (const r of received) {
    if (r.correspondent === undefined || !correspondents.has(r.correspondent.trim().toLowerCase())) continue;
    const ms = instant(r.at, r.key);
    if (ms > replyMs || replyMs - ms > window) continue;
    const sameSubject = subject !== '' && r.subject !== undefined && normalizeSubject(r.subject) === subject;
    const known = inWindow.get(r.key);
    if (known === undefined) {
      inWindow.set(r.key, { ms, usager: r.category === 'usager', sameSubject, refs: [...(r.refs ?? [])] });
    } else {
      known.ms = Math.min(known.ms, ms);
      known.usager ||= r.category === 'usager';
      known.sameSubject ||= sameSubject;
      known.refs.push(...(r.refs ?? []));
    }
  }
  const referenced = new Set(reply.re ?? []);
  const chain = new Set<string>();
  const queue = [...referenced].filter((key) => inWindow.has(key));
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    if (chain.has(key)) continue;
    chain.add(key);
    for (const ref of inWindow.get(key)!.refs) if (inWindow.has(ref) && !chain.has(ref)) queue.push(ref);
  }
  const closed: { key: string; ms: number }[] = [];
  for (const [key, m] of inWindow) {
    if (m.usager && !referenced.has(key) && (m.sameSubject || chain.has(key))) closed.push({ key, ms: m.ms });
  }
  closed.sort((a, b) => b.ms - a.ms || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return closed.slice(0, MAX_HRE_KEYS).map((c) => c.key);
}
