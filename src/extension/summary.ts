// Per-BALF figures for the popup: today's and this week's received/sent, the usager messages pending or
// overdue against the primary target and the list of those waiting, computed from the local ledger.
import { isoWeekStart, localDay, todayIn } from '../core/calendar.ts';
import { matchReplies } from '../core/replies.ts';
import { replyStatus } from '../core/targets.ts';
import type { Config } from './config.ts';
import type { Ledger } from './ledger.ts';
import { toReceived, toSent } from './matching.ts';
import { waitingMessages, type WaitingMessage } from './waiting.ts';

/** Usager messages older than this are not looked at by the popup (the dashboard covers history). */
export const SUMMARY_WINDOW_DAYS = 90;

export interface BalfSummary {
  balf: string;
  today: { received: number; sent: number };
  week: { received: number; sent: number };
  pending: number;
  overdue: number;
  /** Every usager message still waiting (within the window), oldest first. */
  waiting: WaitingMessage[];
}

export async function summarizeBalf(
  ledger: Ledger,
  config: Config,
  balf: string,
  now: Date,
): Promise<BalfSummary> {
  const rows = await ledger.rowsBetween(
    balf,
    now.getTime() - SUMMARY_WINDOW_DAYS * 86_400_000,
    now.getTime() + 86_400_000,
  );
  const today = todayIn(config.region, now);
  const weekStart = isoWeekStart(today);
  const out: BalfSummary = {
    balf,
    today: { received: 0, sent: 0 },
    week: { received: 0, sent: 0 },
    pending: 0,
    overdue: 0,
    waiting: [],
  };
  for (const r of rows) {
    const day = localDay(r.at, config.region);
    const field = r.dir === 'in' ? 'received' : 'sent';
    if (day === today) out.today[field] += 1;
    if (day >= weekStart && day <= today) out.week[field] += 1;
  }
  const received = rows.filter((r) => r.dir === 'in').map(toReceived);
  const sent = rows.filter((r) => r.dir === 'out').map(toSent);
  // The heuristic and the request closure ran when the rows were written: pairing here uses the stored
  // `re` and `hre` keys, as the server does.
  const matches = matchReplies(received, sent);
  for (const r of received) {
    if (r.category !== 'usager') continue;
    const answeredAt = matches.get(r.key)?.answeredAt ?? null;
    const { status } = replyStatus(r.at, answeredAt, now, config.primaryTarget, config.region, {
      whitMondayWorked: config.whitMondayWorked,
    });
    if (status === 'pending') out.pending += 1;
    if (status === 'overdue') out.overdue += 1;
  }
  out.waiting = waitingMessages(rows, matches, config, now);
  return out;
}
