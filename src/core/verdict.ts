/**
 * How a figure reads against the target: conforme / non conforme / indicatif, and the gap that ranks
 * levels. One definition for the dashboard and the e-mail digest.
 */
import type { Metrics } from './protocol.ts';

/**
 * Reference compliance rate: a level is « conforme » when at least 90 % of its decided usager mail was
 * answered within the target — the same 90 % the « délai au 90e centile » reads (that delay is within
 * the target exactly when 90 % of the answers were).
 */
export const RATE_GOAL = 0.9;

/**
 * Under this many decided messages a rate is shown as « indicatif »: the 95 % interval of a rate near
 * 80 % is then wider than ± 14 points, too wide to call a level conforme or not.
 */
export const MIN_DECIDED = 30;

export type Verdict = 'conforme' | 'non-conforme' | 'indicatif' | 'sans-objet';

/** Messages whose outcome is known: answered in time or late, or overdue (pending ones are not). */
export function decidedOf(m: Metrics): number {
  return m.answeredInTime + m.answeredLate + m.overdue;
}

export function rateVerdict(m: Metrics): Verdict {
  if (m.complianceRate === null) return 'sans-objet';
  if (decidedOf(m) < MIN_DECIDED) return 'indicatif';
  return m.complianceRate >= RATE_GOAL ? 'conforme' : 'non-conforme';
}

export function delayVerdict(days: number | null, targetDays: number): Verdict {
  if (days === null) return 'sans-objet';
  return days <= targetDays ? 'conforme' : 'non-conforme';
}

/** Distance to the reference rate (negative below it), for ranking; null when the rate is only indicative. */
export function rateGap(m: Metrics): number | null {
  return rateVerdict(m) === 'conforme' || rateVerdict(m) === 'non-conforme'
    ? (m.complianceRate as number) - RATE_GOAL
    : null;
}
