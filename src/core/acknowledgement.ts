/**
 * Services Publics+ acknowledgement measure: a received usager message is acknowledged by the first
 * sent message, automatic or human, that answers it (by reference or heuristic), within a delay.
 */
import { z } from 'zod';
import { dayNumber } from './civil-days.ts';
import { localDay, workingDaysAfter, type Region, type WorkingDayOptions } from './calendar.ts';
import {
  matchReplies,
  type MatchOptions,
  type ReceivedForMatch,
  type ReplyMatch,
  type SentForMatch,
} from './replies.ts';
import { nearestRank } from './targets.ts';

/** How the acknowledgement delay counts: calendar days (the engagement's words) or working days. */
export const acknowledgementUnits = ['calendar', 'working'] as const;
export type AcknowledgementUnit = (typeof acknowledgementUnits)[number];

/** Longest delay a rule may set, in either unit (the reply targets stop at 60 working days too). */
export const MAX_ACKNOWLEDGEMENT_DAYS = 60;

export const acknowledgementRuleSchema = z
  .object({
    days: z.number().int().min(0).max(MAX_ACKNOWLEDGEMENT_DAYS),
    unit: z.enum(acknowledgementUnits),
  })
  .strict();
export type AcknowledgementRule = z.infer<typeof acknowledgementRuleSchema>;

/** « Accusé de réception sous 7 jours » (Services Publics+, engagement 4): calendar days. */
export const DEFAULT_ACKNOWLEDGEMENT_RULE: AcknowledgementRule = Object.freeze({ days: 7, unit: 'calendar' });

export const acknowledgementStatusNames = [
  'acknowledgedInTime',
  'acknowledgedLate',
  'unacknowledged',
  'acknowledgementPending',
] as const;
export type AcknowledgementStatusName = (typeof acknowledgementStatusNames)[number];

/**
 * Days from the day of receipt to the day of acknowledgement (both local days of the region) in the
 * rule's unit; 0 when the acknowledgement is dated on or before the receipt (clocks of two machines).
 */
export function acknowledgementDelay(
  receivedDay: string,
  acknowledgedDay: string,
  region: Region,
  rule: AcknowledgementRule,
  options?: WorkingDayOptions,
): number {
  if (acknowledgedDay <= receivedDay) return 0;
  return rule.unit === 'calendar'
    ? dayNumber(acknowledgedDay) - dayNumber(receivedDay)
    : workingDaysAfter(receivedDay, acknowledgedDay, region, options);
}

/**
 * Status of one received message: acknowledged in time iff its delay is at most `rule.days`;
 * without acknowledgement, `unacknowledged` once more than `rule.days` have passed by `now`
 * (nothing was sent in the delay), `acknowledgementPending` before.
 */
export function acknowledgementStatus(
  receivedAt: Date | string,
  acknowledgedAt: Date | string | null,
  now: Date | string,
  rule: AcknowledgementRule,
  region: Region,
  options?: WorkingDayOptions,
): { status: AcknowledgementStatusName; delayDays: number } {
  const parsed = acknowledgementRuleSchema.safeParse(rule);
  if (!parsed.success) throw new RangeError(`Règle d'accusé de réception invalide : ${JSON.stringify(rule)}`);
  const receivedDay = localDay(receivedAt, region);
  if (acknowledgedAt !== null) {
    const delayDays = acknowledgementDelay(
      receivedDay,
      localDay(acknowledgedAt, region),
      region,
      rule,
      options,
    );
    return { status: delayDays <= rule.days ? 'acknowledgedInTime' : 'acknowledgedLate', delayDays };
  }
  const delayDays = acknowledgementDelay(receivedDay, localDay(now, region), region, rule, options);
  return { status: delayDays > rule.days ? 'unacknowledged' : 'acknowledgementPending', delayDays };
}

/**
 * For each received message, the first sent message that acknowledges it: a reply or an automatic
 * message, by the same reference and heuristic rules as answers (src/core/replies.ts). Automatic
 * messages acknowledge but never answer: answers stay matchReplies' default.
 */
export function matchAcknowledgements(
  received: readonly ReceivedForMatch[],
  sent: readonly SentForMatch[],
  options?: Omit<MatchOptions, 'answering'>,
): Map<string, ReplyMatch> {
  return matchReplies(received, sent, { ...options, answering: ['reply', 'auto'] });
}

export type AcknowledgementCounts = Record<AcknowledgementStatusName, number>;

export interface AcknowledgementSummary {
  counts: AcknowledgementCounts;
  /** acknowledgedInTime / (acknowledgedInTime + acknowledgedLate + unacknowledged); null when none. */
  acknowledgementRate: number | null;
  /** Nearest-rank median of acknowledgement delays (the rule's unit); null when none acknowledged. */
  medianAcknowledgementDays: number | null;
}

/**
 * Summary from counts and the histogram of acknowledgement delays, like the compliance rate of
 * answers (src/core/targets.ts summarizeHistogram): pending messages are left out of the rate.
 */
export function summarizeAcknowledgements(
  counts: AcknowledgementCounts,
  delayHistogram: ReadonlyMap<number, number>,
): AcknowledgementSummary {
  for (const name of acknowledgementStatusNames) {
    const n = counts[name];
    if (!Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`Compte invalide pour ${name} : ${String(n)} (entier ≥ 0 attendu)`);
  }
  const sorted = [...delayHistogram].sort((a, b) => a[0] - b[0]);
  let total = 0;
  for (const [delay, n] of sorted) {
    if (!Number.isSafeInteger(delay) || delay < 0 || !Number.isSafeInteger(n) || n < 0)
      throw new RangeError(`Histogramme invalide : ${String(delay)} → ${String(n)}`);
    total += n;
  }
  const acknowledged = counts.acknowledgedInTime + counts.acknowledgedLate;
  if (total !== acknowledged)
    throw new RangeError(
      `Histogramme incohérent : ${total} délais pour ${acknowledged} accusés de réception`,
    );
  const decided = acknowledged + counts.unacknowledged;
  return {
    counts: { ...counts },
    acknowledgementRate: decided === 0 ? null : counts.acknowledgedInTime / decided,
    medianAcknowledgementDays: total === 0 ? null : nearestRank(sorted, total, 0.5),
  };
}
