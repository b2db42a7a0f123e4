/** Parses and checks the query string of `GET /api/v1/storage` (the "parse" step). */
import { z } from 'zod';
import { levels, type Level } from '../../core/protocol.ts';
import { HttpError, zodIssues } from '../http-error.ts';

export interface StorageParams {
  level: Level;
  /** Department or service code, BALF address (lower case), `unattached`, or `national`. */
  id: string;
  format: 'json' | 'csv';
}

export const storageQuerySchema = z
  .object({
    level: z.enum(levels, { message: `niveau inconnu (attendu : ${levels.join(', ')})` }),
    id: z.string().trim().min(1).max(254).optional(),
    format: z.enum(['json', 'csv'], { message: 'format inconnu (attendu : json ou csv)' }).default('json'),
  })
  .strict();

export function parseStorageParams(query: unknown): StorageParams {
  const invalid = (details: { path: string; message: string }[]): HttpError =>
    new HttpError(400, 'invalid_query', 'Paramètres de la vue stockage invalides.', details);
  const parsed = storageQuerySchema.safeParse(query);
  if (!parsed.success) throw invalid(zodIssues(parsed.error.issues));
  const q = parsed.data;
  if (q.level === 'national') {
    if (q.id !== undefined && !['national', 'all'].includes(q.id))
      throw invalid([{ path: 'id', message: 'au niveau national, id doit être absent ou « national »' }]);
    return { level: 'national', id: 'national', format: q.format };
  }
  if (q.id === undefined) throw invalid([{ path: 'id', message: `identifiant requis au niveau ${q.level}` }]);
  return { level: q.level, id: q.level === 'balf' ? q.id.toLowerCase() : q.id, format: q.format };
}
