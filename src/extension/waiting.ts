// « À traiter »: a BALF's usager messages still waiting for an answer, oldest first, each with its age in
// working days of the BALF's region, its bucket and the last day of the target (local data only).
import { backlogAge, backlogBucket, type BacklogBucketName } from '../core/backlog.ts';
import { localDay, todayIn } from '../core/calendar.ts';
import type { ReplyMatch } from '../core/replies.ts';
import { dueDay } from '../core/targets.ts';
import type { Config } from './config.ts';
import { Refine, type LedgerRow } from './ledger.ts';

/** Waiting messages the popup lists per BALF (the oldest): a toolbar popup is no inbox. */
export const POPUP_WAITING_LIMIT = 10;

export interface WaitingMessage {
  /** Ledger key (pseudonymous): what a notice remembers. */
  key: string;
  /** Local only: how the popup finds the message in Thunderbird. */
  headerMessageId: string;
  subject: string | null;
  correspondent: string | null;
  receivedAt: string;
  /** Working days after the day of receipt up to today (core/backlog.ts `backlogAge`). */
  ageDays: number;
  /** Last day of the primary target (core/targets.ts `dueDay`). */
  dueOn: string;
  /** « dans le délai », « à échéance » or « en retard » against the primary target. */
  bucket: BacklogBucketName;
  /** Counted from the message list alone: its category may still change (no notice for it yet). */
  provisional: boolean;
}

/**
 * The usager messages of `rows` without an answer in `matches` (the popup's pairing), oldest first. Age,
 * bucket and due day are core's, so the popup says what the server's « À traiter » says of the same day.
 */
export function waitingMessages(
  rows: readonly LedgerRow[],
  matches: ReadonlyMap<string, ReplyMatch>,
  config: Config,
  now: Date,
): WaitingMessage[] {
  const today = todayIn(config.region, now);
  const options = { whitMondayWorked: config.whitMondayWorked };
  const out: (WaitingMessage & { atMs: number })[] = [];
  for (const r of rows) {
    if (r.dir !== 'in' || r.cat !== 'usager' || matches.get(r.key)?.answeredAt) continue;
    // A receipt dated after today (a sender's clock ahead) is as young as a message of today.
    const ageDays = backlogAge(localDay(r.at, config.region), today, config.region, options) ?? 0;
    out.push({
      key: r.key,
      headerMessageId: r.headerMessageId,
      subject: r.subject ?? null,
      correspondent: r.correspondent ?? null,
      receivedAt: r.at,
      ageDays,
      dueOn: dueDay(r.at, config.primaryTarget, config.region, options),
      bucket: backlogBucket(ageDays, config.primaryTarget),
      provisional: r.refine === Refine.waiting,
      atMs: r.atMs,
    });
  }
  out.sort((a, b) => a.atMs - b.atMs || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out.map(({ atMs: _atMs, ...m }) => m);
}
