/** Reply delay of a received message in working days, the bucket key of `daily_replies`. */
import { localDay, workingDaysAfter, type DayOverrides, type Region } from '../../core/calendar.ts';

/** Bucket of an unanswered message. */
export const UNANSWERED = -1;

/**
 * Working days after the day of receipt up to the day of the answer; an answer dated before its
 * receipt (clock skew between clients) counts as same-day. `overrides`: the declared days of the
 * BALF's place (server/calendar/overrides.ts).
 */
export function replyDelay(
  receivedDay: string,
  answeredAt: string | null,
  region: Region,
  whitMondayWorked: boolean,
  overrides?: DayOverrides,
): number {
  if (answeredAt === null) return UNANSWERED;
  const answerDay = localDay(answeredAt, region);
  if (answerDay <= receivedDay) return 0;
  return workingDaysAfter(receivedDay, answerDay, region, { whitMondayWorked, overrides });
}
