/** Directory API: breadcrumbs of a level, unattached BALFs, CSV import and export (national). */
import type { FastifyPluginAsync } from 'fastify';
import { requireNational, requireRead, requireSee } from '../../auth/plugin.ts';
import type { Db } from '../../db/schema.ts';
import { exportDirectoryCsv } from '../../directory/export.ts';
import { importDirectoryCsv, recomputeHooks, type ImportHooks } from '../../directory/import.ts';
import { loadConfig } from '../../config.ts';
import {
  directoryLevels,
  placementOf,
  unattachedBalfs,
  type DirectoryLevel,
} from '../../directory/placement.ts';
import { HttpError } from '../../http-error.ts';

export interface DirectoryRoutesOptions {
  db: Db;
  clock?: () => Date;
  /** Recomputation after an import (default: the ingest's recomputeBalf and recomputeStaleBalfs). */
  hooks?: ImportHooks;
}

const MAX_CSV_BYTES = 20 * 1024 * 1024;

const directoryRoutes: FastifyPluginAsync<DirectoryRoutesOptions> = async (app, options) => {
  const { db } = options;
  const hooks = options.hooks ?? recomputeHooks({ whitMondayWorked: loadConfig().whitMondayWorked });

  app.addContentTypeParser(
    ['text/csv', 'application/csv', 'text/plain'],
    { parseAs: 'string', bodyLimit: MAX_CSV_BYTES },
    (_req, body, done) => done(null, body),
  );

  app.get<{ Querystring: { level?: string; id?: string } }>('/api/v1/directory/path', async (request) => {
    const principal = requireRead(request);
    const level = request.query.level ?? 'national';
    if (!(directoryLevels as readonly string[]).includes(level)) {
      throw new HttpError(
        400,
        'invalid',
        `Niveau inconnu « ${level} » : national, department, service ou balf.`,
      );
    }
    const id = request.query.id ?? '';
    if (level !== 'national' && !id) throw new HttpError(400, 'invalid', 'Paramètre id manquant.');
    const found = await placementOf(db, level as DirectoryLevel, id);
    if (!found) throw new HttpError(404, 'not_found', `Introuvable dans l’annuaire : ${level} « ${id} ».`);
    requireSee(principal, found.placement, `${level} « ${id || 'national'} »`);
    return found.breadcrumbs;
  });

  app.get('/api/v1/directory/unattached', async (request) => {
    requireNational(request);
    return unattachedBalfs(db);
  });

  app.get('/api/v1/directory/export', async (request, reply) => {
    requireNational(request);
    const csv = await exportDirectoryCsv(db);
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="annuaire-suivi-balf.csv"')
      .send(csv);
  });

  app.post('/api/v1/directory/import', async (request, reply) => {
    const principal = requireNational(request);
    if (principal.kind !== 'user')
      throw new HttpError(
        403,
        'forbidden',
        'L’import de l’annuaire est réservé aux utilisateurs nationaux connectés.',
      );
    if (typeof request.body !== 'string') {
      throw new HttpError(
        415,
        'unsupported_media_type',
        'Corps attendu : le fichier CSV (Content-Type: text/csv).',
      );
    }
    const result = await importDirectoryCsv(db, request.body, hooks);
    if (!result.ok) {
      return reply.code(400).send({
        error: 'invalid',
        message: `Fichier refusé : ${result.errors.length} ligne(s) en erreur, rien n’a été importé.`,
        errors: result.errors,
      });
    }
    request.log.info(
      { login: principal.id, ...result, changedBalfs: result.changedBalfs.length },
      'annuaire importé',
    );
    return { departments: result.departments, services: result.services, balfs: result.balfs };
  });
};

export default directoryRoutes;
