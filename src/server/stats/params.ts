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
  /** Periods the dashboard compares with; the CSV export adds their totals and children. */
  comparisons: Comparison[];
}

export const comparisonKinds = ['previous', 'lastYear'] as const;
export type ComparisonKind = (typeof comparisonKinds)[number];

export interface Comparison {
  kind: ComparisonKind;
  from: string;
  to: string;
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
const range = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}$/, { message: 'période AAAA-MM-JJ..AAAA-MM-JJ attendue' })
  .optional();

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
    previous: range,
    lastYear: range,
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
  const checkRange = (path: string, from: string, to: string): void => {
    let span = 0;
    try {
      span = dayNumber(to) - dayNumber(from);
    } catch (error) {
      fail(path, (error as Error).message);
    }
    if (span < 0) fail(path, `la fin de période (${to}) précède le début (${from})`);
    if (span + 1 > MAX_RANGE_DAYS)
      fail(path, `période trop longue (${span + 1} jours ; au plus ${MAX_RANGE_DAYS})`);
  };
  checkRange('to', q.from, q.to);
  const comparisons: Comparison[] = [];
  for (const kind of comparisonKinds) {
    const text = q[kind];
    if (text === undefined) continue;
    const [from, to] = text.split('..') as [string, string];
    if (!calendarDay.safeParse(from).success || !calendarDay.safeParse(to).success)
      fail(kind, `date invalide dans « ${text} » (AAAA-MM-JJ..AAAA-MM-JJ attendu)`);
    checkRange(kind, from, to);
    comparisons.push({ kind, from, to });
  }
  return {
    level: q.level,
    id: subjectIdOf(q.level, q.id, fail),
    from: q.from,
    to: q.to,
    granularity: q.granularity,
    target: q.target,
    format: q.format,
    comparisons,
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
