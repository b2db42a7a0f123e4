// Spot-check results: human verdicts, their compliance rate with the Wilson interval (core), the automatic
// summary (core summarize) and where the chef's verdicts differ from the automatic statuses.
import type { Verdict } from '../../core/protocol.ts';
import { wilsonInterval, type Interval } from '../../core/sampling.ts';
import { summarize, type ReplyStatusName, type Summary } from '../../core/targets.ts';
import type { SampleRow } from './draw.ts';

export const verdictNames = ['conforme', 'non_conforme', 'sans_objet'] as const satisfies readonly Verdict[];
export const statusNames = [
  'answered_in_time',
  'answered_late',
  'pending',
  'overdue',
] as const satisfies readonly ReplyStatusName[];

export interface Decision {
  verdict?: Verdict;
  comment?: string;
  /** The chef corrects the automatic status (e.g. a reply sent by post); the reason is required. */
  override?: { status: ReplyStatusName; reason: string };
}

export type Decisions = Readonly<Record<string, Decision>>;

/**
 * The verdict the automatic status implies: in time → conforme; late or overdue → non conforme;
 * pending (not yet due) → sans objet, like a message that needed no answer (both are outside the rate).
 */
export function automaticVerdict(status: ReplyStatusName): Verdict {
  if (status === 'answered_in_time') return 'conforme';
  if (status === 'pending') return 'sans_objet';
  return 'non_conforme';
}

export interface Disagreement {
  key: string;
  automatic: ReplyStatusName;
  expected: Verdict;
  verdict: Verdict;
  override?: { status: ReplyStatusName; reason: string };
  comment?: string;
}

export interface Results {
  sampleSize: number;
  verdicts: Record<Verdict, number>;
  /** Rows without a verdict yet. */
  undecided: number;
  /** conforme + non conforme. */
  decided: number;
  /** conforme / decided; null when nothing is decided (no division by zero). */
  rate: number | null;
  interval: Interval | null;
  automatic: Summary;
  /** Counts per status after the chef's corrections. */
  retained: Record<ReplyStatusName, number>;
  disagreements: Disagreement[];
}

export function computeResults(rows: readonly SampleRow[], decisions: Decisions): Results {
  const verdicts: Record<Verdict, number> = { conforme: 0, non_conforme: 0, sans_objet: 0 };
  const retained: Record<ReplyStatusName, number> = {
    answered_in_time: 0,
    answered_late: 0,
    pending: 0,
    overdue: 0,
  };
  const disagreements: Disagreement[] = [];
  let undecided = 0;
  for (const row of rows) {
    const d = decisions[row.key] ?? {};
    retained[d.override?.status ?? row.status] += 1;
    if (d.verdict === undefined) {
      undecided += 1;
      continue;
    }
    verdicts[d.verdict] += 1;
    const expected = automaticVerdict(row.status);
    if (d.verdict !== expected) {
      disagreements.push({
        key: row.key,
        automatic: row.status,
        expected,
        verdict: d.verdict,
        ...(d.override ? { override: d.override } : {}),
        ...(d.comment ? { comment: d.comment } : {}),
      });
    }
  }
  const decided = verdicts.conforme + verdicts.non_conforme;
  return {
    sampleSize: rows.length,
    verdicts,
    undecided,
    decided,
    rate: decided === 0 ? null : verdicts.conforme / decided,
    interval: decided === 0 ? null : wilsonInterval(verdicts.conforme, decided),
    automatic: summarize(rows.map((r) => ({ status: r.status, delayDays: r.delayDays }))),
    retained,
    disagreements,
  };
}

/** Trims a decision and drops empty parts; an override without a reason is refused. */
export function cleanDecision(d: Decision): Decision {
  const comment = d.comment?.trim();
  const out: Decision = {};
  if (d.verdict !== undefined) out.verdict = d.verdict;
  if (comment) out.comment = comment;
  if (d.override) {
    const reason = d.override.reason.trim();
    if (reason === '') throw new RangeError('une correction du statut automatique doit être motivée');
    out.override = { status: d.override.status, reason };
  }
  return out;
}
