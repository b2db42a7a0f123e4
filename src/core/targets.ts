/** Reply-delay targets: configuration, the status of one message against a target, and summaries. */
import { z } from 'zod';
import {
  addWorkingDays,
  localDay,
  workingDaysAfter,
  type Region,
  type WorkingDayOptions,
} from './calendar.ts';

export interface Target {
  /** Stable identifier (lower-case letters, digits, dashes). */
  id: string;
  /** French label shown to users. */
  label: string;
  /** Maximum reply delay in jours ouvrés. */
  workingDays: number;
}

export const DEFAULT_TARGETS: readonly Target[] = Object.freeze([
  Object.freeze({
    id: 'marianne',
    label: 'Référentiel Marianne — réponse en moins de 5 jours ouvrés',
    workingDays: 5,
  }),
  Object.freeze({
    id: 'dgfip-48h',
    label: 'Engagement DGFiP — 48 heures (2 jours ouvrés)',
    workingDays: 2,
  }),
]);

export const DEFAULT_PRIMARY_TARGET_ID = 'marianne';

/** Upper bound of a configurable target: beyond 12 weeks a "delay target" is a typo. */
export const MAX_TARGET_WORKING_DAYS = 60;

export const targetSchema = z
  .object({
    id: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]{0,39}$/,
        'identifiant invalide (minuscules, chiffres et tirets, 40 caractères au plus)',
      ),
    label: z.string().trim().min(1, 'libellé vide').max(200, 'libellé trop long (200 au plus)'),
    workingDays: z
      .number()
      .int('nombre de jours ouvrés entier attendu')
      .min(0, 'nombre de jours ouvrés négatif')
      .max(MAX_TARGET_WORKING_DAYS, `nombre de jours ouvrés > ${MAX_TARGET_WORKING_DAYS}`),
  })
  .strict();

export const targetsSchema = z
  .array(targetSchema)
  .min(1, 'au moins un objectif de délai est requis')
  .superRefine((targets, ctx) => {
    const seen = new Set<string>();
    targets.forEach((t, i) => {
      if (seen.has(t.id)) {
        ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `identifiant en double : « ${t.id} »` });
      }
      seen.add(t.id);
    });
  });

/**
 * Validates a configured list of targets (managed storage, server environment).
 * @throws Error whose message lists every problem with its path, in French.
 */
export function parseTargets(input: unknown): Target[] {
  const result = targetsSchema.safeParse(input);
  if (!result.success) {
    throw new Error(`Objectifs de délai invalides :\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** The target with this id. @throws Error naming the known ids. */
export function findTarget(targets: readonly Target[], id: string): Target {
  const found = targets.find((t) => t.id === id);
  if (!found) {
    throw new Error(`Objectif inconnu : « ${id} » (connus : ${targets.map((t) => t.id).join(', ')})`);
  }
  return found;
}

export type ReplyStatusName = 'answered_in_time' | 'answered_late' | 'pending' | 'overdue';

const STATUS_NAMES: ReadonlySet<string> = new Set<ReplyStatusName>([
  'answered_in_time',
  'answered_late',
  'pending',
  'overdue',
]);

export interface ReplyStatus {
  status: ReplyStatusName;
  /**
   * Answered: working days from receipt to reply. Unanswered: working days elapsed so far.
   * Null is allowed by the shape for callers that build statuses without a delay.
   */
  delayDays: number | null;
}

function assertTarget(target: Target): void {
  if (!Number.isSafeInteger(target?.workingDays) || target.workingDays < 0) {
    throw new RangeError(`Objectif invalide : ${JSON.stringify(target)}`);
  }
}

/** Working days from the local day of `from` to that of `to`, 0 when `to` is earlier. */
function elapsed(
  from: Date | string,
  to: Date | string,
  region: Region,
  options?: WorkingDayOptions,
): number {
  const fromDay = localDay(from, region);
  const toDay = localDay(to, region);
  // Reply (or clock) before the receipt: the reply was matched to this message (In-Reply-To or
  // heuristic "after receipt"), so it cannot really precede it — the inversion comes from clocks
  // (the sent date is the agent's workstation clock, the received date the mail server's). Count
  // 0 rather than fail or go negative.
  return toDay <= fromDay ? 0 : workingDaysAfter(fromDay, toDay, region, options);
}

/**
 * Status of one received message against a target. Days are the calendar days (localDay) in the
 * region. Answered in time iff delay ≤ target.workingDays. Unanswered: overdue iff the working
 * days elapsed by `now` exceed the target, otherwise pending.
 */
export function replyStatus(
  receivedAt: Date | string,
  answeredAt: Date | string | null,
  now: Date | string,
  target: Target,
  region: Region,
  options?: WorkingDayOptions,
): ReplyStatus {
  assertTarget(target);
  if (answeredAt !== null) {
    const delayDays = elapsed(receivedAt, answeredAt, region, options);
    return {
      status: delayDays <= target.workingDays ? 'answered_in_time' : 'answered_late',
      delayDays,
    };
  }
  const delayDays = elapsed(receivedAt, now, region, options);
  return { status: delayDays > target.workingDays ? 'overdue' : 'pending', delayDays };
}

/** Last day (YYYY-MM-DD, region's zone) a reply is in time: the target's n-th working day after receipt. */
export function dueDay(
  receivedAt: Date | string,
  target: Target,
  region: Region,
  options?: WorkingDayOptions,
): string {
  assertTarget(target);
  return addWorkingDays(localDay(receivedAt, region), target.workingDays, region, options);
}

export interface Summary {
  counts: { answered_in_time: number; answered_late: number; pending: number; overdue: number };
  /** answered_in_time + answered_late + overdue: messages whose outcome is known. */
  decided: number;
  /** answered_in_time / decided; null when nothing is decided. */
  complianceRate: number | null;
  /** Nearest-rank median of answered delays; null when nothing was answered. */
  medianDelayDays: number | null;
  /** Nearest-rank 90th percentile of answered delays; null when nothing was answered. */
  p90DelayDays: number | null;
}

type Counts = Summary['counts'];

/**
 * Nearest-rank percentile of a histogram (delay → count) holding `total` values: the smallest
 * delay whose cumulative count reaches ceil(p × total). Chosen because it is always one of the
 * observed delays (a whole number of days) and can be computed exactly from rollup histograms.
 */
export function nearestRank(sorted: readonly [number, number][], total: number, p: number): number {
  const rank = Math.max(1, Math.ceil(p * total));
  let cumulative = 0;
  for (const [delay, count] of sorted) {
    cumulative += count;
    if (cumulative >= rank) return delay;
  }
  throw new Error('unreachable: histogram total mismatch');
}

function assertCount(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Compte invalide pour ${name} : ${String(n)} (entier ≥ 0 attendu)`);
  }
}

/**
 * Summary from counts and the histogram of answered delays (working days → number of answered
 * messages), as the server keeps them in rollups. The histogram must hold exactly
 * answered_in_time + answered_late values.
 *
 * Percentiles are nearest-rank: the median is the value at rank ceil(0.5 n) (the lower middle
 * for even n), p90 the value at rank ceil(0.9 n), over the sorted answered delays.
 */
export function summarizeHistogram(counts: Counts, delayHistogram: ReadonlyMap<number, number>): Summary {
  for (const key of ['answered_in_time', 'answered_late', 'pending', 'overdue'] as const) {
    assertCount(key, counts[key]);
  }
  const sorted = [...delayHistogram].sort((a, b) => a[0] - b[0]);
  let total = 0;
  for (const [delay, count] of sorted) {
    assertCount(`le délai ${delay}`, count);
    if (!Number.isSafeInteger(delay) || delay < 0) {
      throw new RangeError(`Délai invalide dans l'histogramme : ${String(delay)}`);
    }
    total += count;
  }
  const answered = counts.answered_in_time + counts.answered_late;
  if (total !== answered) {
    throw new RangeError(`Histogramme incohérent : ${total} délais pour ${answered} messages répondus`);
  }
  const decided = answered + counts.overdue;
  return {
    counts: { ...counts },
    decided,
    complianceRate: decided === 0 ? null : counts.answered_in_time / decided,
    medianDelayDays: total === 0 ? null : nearestRank(sorted, total, 0.5),
    p90DelayDays: total === 0 ? null : nearestRank(sorted, total, 0.9),
  };
}

/** Summary of individual statuses; see {@link summarizeHistogram} for the definitions. */
export function summarize(statuses: readonly ReplyStatus[]): Summary {
  const counts: Counts = { answered_in_time: 0, answered_late: 0, pending: 0, overdue: 0 };
  const histogram = new Map<number, number>();
  for (const s of statuses) {
    if (!STATUS_NAMES.has(s.status)) throw new RangeError(`Statut inconnu : ${JSON.stringify(s.status)}`);
    counts[s.status]++;
    if (s.status === 'answered_in_time' || s.status === 'answered_late') {
      if (s.delayDays === null) {
        throw new RangeError(`Délai manquant pour un message répondu (${s.status})`);
      }
      histogram.set(s.delayDays, (histogram.get(s.delayDays) ?? 0) + 1);
    }
  }
  return summarizeHistogram(counts, histogram);
}
