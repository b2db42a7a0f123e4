// Ledger rows as the core's reply-pairing input: the one conversion used by ingest, the popup and the
// sampling draw, so every local figure pairs replies as the server does.
import type { ReceivedForMatch, SentForMatch } from '../core/replies.ts';
import type { LedgerRow } from './ledger.ts';

/** A received row as pairing input (correspondent, subject and references are local-only details). */
export function toReceived(r: LedgerRow): ReceivedForMatch {
  return {
    key: r.key,
    at: r.at,
    category: r.cat as ReceivedForMatch['category'],
    ...(r.correspondent !== undefined ? { correspondent: r.correspondent } : {}),
    ...(r.subject !== undefined ? { subject: r.subject } : {}),
    ...(r.refs !== undefined ? { refs: r.refs } : {}),
  };
}

/**
 * A sent row as the server pairs it: its references (`re`, flagged `heuristic` when they came from the
 * heuristic) and its request closure (`hre`). No subject nor correspondent, so `matchReplies` adds no
 * heuristic of its own: local figures (popup, sampling panel) are the server's.
 */
export function toSent(r: LedgerRow): SentForMatch {
  return {
    key: r.key,
    at: r.at,
    category: r.cat as SentForMatch['category'],
    ...(r.re ? { re: r.re } : {}),
    ...(r.hre ? { hre: r.hre } : {}),
    ...(r.heuristic ? { heuristic: true } : {}),
  };
}

/** A sent row with its correspondents and subject: what the heuristic and the request closure look at. */
export function toReply(r: LedgerRow): SentForMatch {
  return {
    ...toSent(r),
    ...(r.correspondents ? { correspondents: r.correspondents } : {}),
    ...(r.subject !== undefined ? { subject: r.subject } : {}),
  };
}
