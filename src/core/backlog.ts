/** Backlog ageing: usager messages still waiting for an answer on a day, by age in working days. */
import { z } from 'zod';
import {
  addDays,
  addWorkingDays,
  workingDaysAfter,
  type Region,
  type WorkingDayOptions,
} from './calendar.ts';
import { levels } from './protocol.ts';
import type { Target } from './targets.ts';

export const backlogBucketNames = ['inTime', 'dueSoon', 'overdue'] as const;
export type BacklogBucketName = (typeof backlogBucketNames)[number];
export type BacklogBuckets = Record<BacklogBucketName, number>;

/**
 * Bucket of a waiting message of `ageDays` working days against a target of n days: « dans le
 * délai » below n − 1, « à échéance » at n − 1 or n (due tomorrow or today), « en retard » above n.
 * « En retard » is exactly `replyStatus(…) === 'overdue'` of src/core/targets.ts.
 */
export function backlogBucket(ageDays: number, target: Target): BacklogBucketName {
  if (!Number.isSafeInteger(ageDays) || ageDays < 0) {
    throw new RangeError(`Âge invalide : ${String(ageDays)} (entier ≥ 0 attendu)`);
  }
  if (ageDays > target.workingDays) return 'overdue';
  return ageDays >= target.workingDays - 1 ? 'dueSoon' : 'inTime';
}

/**
 * Age on `asOf` of a message received on `receivedDay` (both local days of its region): working
 * days after the day of receipt up to `asOf`, the reply delay it would have if answered that day.
 * Null when it was received after `asOf` (it did not exist yet).
 */
export function backlogAge(
  receivedDay: string,
  asOf: string,
  region: Region,
  options?: WorkingDayOptions,
): number | null {
  if (receivedDay > asOf) return null;
  return workingDaysAfter(receivedDay, asOf, region, options);
}

/** True when a message received on `receivedDay` and answered on `answerDay` (null: never) was waiting on `asOf`. */
export function waitingOn(receivedDay: string, answerDay: string | null, asOf: string): boolean {
  return receivedDay <= asOf && (answerDay === null || answerDay > asOf);
}

/**
 * Days after `asOf` up to the next working day, excluded (weekend, holiday, holiday bridge): an
 * answer on one of them has the same delay as an answer on `asOf` itself, so daily reply rollups
 * cannot tell whether the message was still waiting on `asOf`. Empty when `asOf + 1` is worked.
 */
export function idleDaysAfter(asOf: string, region: Region, options?: WorkingDayOptions): string[] {
  const next = addWorkingDays(asOf, 1, region, options);
  const out: string[] = [];
  for (let d = addDays(asOf, 1); d < next; d = addDays(d, 1)) out.push(d);
  return out;
}

/**
 * What a rollup row (day of receipt, reply delay; -1 = unanswered) says of its messages on `asOf`,
 * given their age that day: `waiting`, `answered`, or `unknown` when the delay equals the age —
 * answered on `asOf` or earlier, or on one of {@link idleDaysAfter}: only the records tell.
 */
export function rollupStateOn(delay: number, ageDays: number): 'waiting' | 'answered' | 'unknown' {
  if (delay < 0 || delay > ageDays) return 'waiting';
  return delay < ageDays ? 'answered' : 'unknown';
}

/** Accumulates waiting messages into buckets and the oldest age. */
export class BacklogTally {
  readonly buckets: BacklogBuckets = { inTime: 0, dueSoon: 0, overdue: 0 };
  oldestAgeDays: number | null = null;

  constructor(private readonly target: Target) {}

  add(ageDays: number, count: number): void {
    if (count <= 0) return;
    this.buckets[backlogBucket(ageDays, this.target)] += count;
    if (this.oldestAgeDays === null || ageDays > this.oldestAgeDays) this.oldestAgeDays = ageDays;
  }

  get total(): number {
    return this.buckets.inTime + this.buckets.dueSoon + this.buckets.overdue;
  }
}

/**
 * Smallest number of BALF an aggregate above the service level must group to be shown (the
 * Marianne self-assessment publishes consolidated results of at least two entities only).
 */
export const MIN_BALFS_ABOVE_SERVICE = 2;

const bucketsSchema = z.object({
  inTime: z.number().int().nonnegative(),
  dueSoon: z.number().int().nonnegative(),
  overdue: z.number().int().nonnegative(),
});

const figureSchema = {
  /** Null when withheld (an aggregate above the service level of fewer than two BALF). */
  buckets: bucketsSchema.nullable(),
  oldestAgeDays: z.number().int().nonnegative().nullable(),
  withheld: z.boolean(),
};

export const backlogAnswerSchema = z.object({
  level: z.enum(levels),
  id: z.string(),
  label: z.string(),
  asOf: z.iso.date(),
  target: z.object({ id: z.string(), workingDays: z.number().int() }),
  ...figureSchema,
  children: z.array(z.object({ level: z.enum(levels), id: z.string(), label: z.string(), ...figureSchema })),
});
export type BacklogAnswer = z.infer<typeof backlogAnswerSchema>;
