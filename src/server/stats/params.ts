/** Parses and checks the query string of `GET /api/v1/stats` (the "parse" step of a stats query). */
import { z } from 'zod';
import { MAX_YEAR, MIN_YEAR, dayNumber } from '../../core/calendar.ts';
import { granularities, levels, type Granularity, type Level } from '../../core/protocol.ts';
import { HttpError, zodIssues } from '../http-error.ts';

/** Longest period one query may cover: three years (plus leap days). */
export const MAX_RANGE_DAYS = 3 * 366;

export interface StatsParams {
  level: Level;
  /** Department or service code, BALF address, `unattached`, or `national`. */
  id: string;
  from: string;
  to: string;
  granularity: Granularity;
  /** Requested target id, or undefined for the primary target. */
  target: string | undefined;
  format: 'json' | 'csv';
}

/**
 * A day of the working-day calendar (years MIN_YEAR to MAX_YEAR): a period beyond it cannot be
 * cut into weeks or months, nor its delays counted, so it is refused here with its reason.
 */
export const calendarDay = z.iso.date({ message: 'date invalide (AAAA-MM-JJ attendu)' }).refine(
  (d) => {
    const year = Number(d.slice(0, 4));
    return year >= MIN_YEAR && year <= MAX_YEAR;
  },
  { message: `date hors du calendrier pris en charge (années ${MIN_YEAR} à ${MAX_YEAR})` },
);

export const statsQuerySchema = z
  .object({
    level: z.enum(levels, { message: `niveau inconnu (attendu : ${levels.join(', ')})` }),
    id: z.string().trim().min(1).max(254).optional(),
    from: calendarDay,
    to: calendarDay,
    granularity: z
      .enum(granularities, { message: `granularité inconnue (attendu : ${granularities.join(', ')})` })
      .default('day'),
    target: z.string().min(1).max(64).optional(),
    format: z.enum(['json', 'csv'], { message: 'format inconnu (attendu : json ou csv)' }).default('json'),
  })
  .strict();

export function parseStatsParams(query: unknown): StatsParams {
  const parsed = statsQuerySchema.safeParse(query);
  if (!parsed.success) {
    throw new HttpError(
      400,
      'invalid_query',
      'Paramètres de statistiques invalides.',
      zodIssues(parsed.error.issues),
    );
  }
  const q = parsed.data;
  const fail = (path: string, message: string): never => {
    throw new HttpError(400, 'invalid_query', 'Paramètres de statistiques invalides.', [{ path, message }]);
  };
  let span = 0;
  try {
    span = dayNumber(q.to) - dayNumber(q.from);
  } catch (error) {
    fail('from', (error as Error).message);
  }
  if (span < 0) fail('to', `la fin de période (${q.to}) précède le début (${q.from})`);
  if (span + 1 > MAX_RANGE_DAYS)
    fail('to', `période trop longue (${span + 1} jours ; au plus ${MAX_RANGE_DAYS})`);
  return {
    level: q.level,
    id: subjectIdOf(q.level, q.id, fail),
    from: q.from,
    to: q.to,
    granularity: q.granularity,
    target: q.target,
    format: q.format,
  };
}

/** The node id a (level, id) pair names: `national` at the national level, a lower-cased BALF address. */
export function subjectIdOf(
  level: Level,
  id: string | undefined,
  fail: (path: string, message: string) => never,
): string {
  if (level === 'national') {
    if (id !== undefined && !['national', 'all'].includes(id))
      fail('id', 'au niveau national, id doit être absent ou « national »');
    return 'national';
  }
  if (id === undefined) return fail('id', `identifiant requis au niveau ${level}`);
  return level === 'balf' ? id.toLowerCase() : id;
}
