/** Parses and checks the query string of `GET /api/v1/backlog` (the "parse" step of a backlog query). */
import { z } from 'zod';
import { levels, type Level } from '../../core/protocol.ts';
import { HttpError, zodIssues } from '../http-error.ts';
import { calendarDay, subjectIdOf } from '../stats/params.ts';

export interface BacklogParams {
  level: Level;
  /** Department or service code, BALF address, `unattached`, or `national`. */
  id: string;
  /** The day the backlog is taken on; undefined: today in the subject's region. */
  asOf: string | undefined;
  target: string | undefined;
  format: 'json' | 'csv';
}

export const BACKLOG_QUERY_ERROR = 'Paramètres de la file « à traiter » invalides.';

export const backlogQuerySchema = z
  .object({
    level: z.enum(levels, { message: `niveau inconnu (attendu : ${levels.join(', ')})` }),
    id: z.string().trim().min(1).max(254).optional(),
    asOf: calendarDay.optional(),
    target: z.string().min(1).max(64).optional(),
    format: z.enum(['json', 'csv'], { message: 'format inconnu (attendu : json ou csv)' }).default('json'),
  })
  .strict();

export function parseBacklogParams(query: unknown): BacklogParams {
  const parsed = backlogQuerySchema.safeParse(query);
  if (!parsed.success) {
    throw new HttpError(400, 'invalid_query', BACKLOG_QUERY_ERROR, zodIssues(parsed.error.issues));
  }
  const q = parsed.data;
  const fail = (path: string, message: string): never => {
    throw new HttpError(400, 'invalid_query', BACKLOG_QUERY_ERROR, [{ path, message }]);
  };
  return {
    level: q.level,
    id: subjectIdOf(q.level, q.id, fail),
    asOf: q.asOf,
    target: q.target,
    format: q.format,
  };
}
