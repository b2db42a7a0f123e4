/**
 * Storage watch (issue 27): `POST /api/v1/quota-samples`, the add-on's quota readings (ingest token,
 * the tallies' scope rules per reading), and `GET /api/v1/storage` (JSON or CSV) within the caller's scope.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  MAX_STORAGE_BODY_BYTES,
  storageRejectReasons,
  storageReportSchema,
  storageViewSchema,
} from '../../../core/storage-protocol.ts';
import { requireIngest, requireRead } from '../../auth/plugin.ts';
import { csvChunks } from '../../csv.ts';
import type { Db } from '../../db/schema.ts';
import { HttpError, zodIssues } from '../../http-error.ts';
import { resolveSubject } from '../../stats/subject.ts';
import { STORAGE_CSV_HEADER, storageCsvRows } from '../../storage/csv.ts';
import { parseStorageParams, storageQuerySchema } from '../../storage/params.ts';
import { storeSamples } from '../../storage/samples.ts';
import { runStorage } from '../../storage/view.ts';
import type { ConcurrencyGate } from '../stats/concurrency.ts';
import { ingestRateLimit, requireJson } from '../tallies/index.ts';

export interface StorageRouteOptions {
  db: Db;
  clock: () => Date;
  whitMondayWorked: boolean;
  rateLimit: { max: number; timeWindowMs: number } | false;
  /** Bounds on read queries running at once, shared with the stats (a national view reads every BALF). */
  gate: ConcurrencyGate;
}

const storageAnswerSchema = z.object({
  stored: z.number().int(),
  rejected: z.number().int(),
  rejects: z.record(z.enum(storageRejectReasons), z.number().int()),
});

export default async function storageRoutes(
  app: FastifyInstance,
  options: StorageRouteOptions,
): Promise<void> {
  const { db, clock, gate } = options;
  app.post(
    '/api/v1/quota-samples',
    {
      bodyLimit: MAX_STORAGE_BODY_BYTES,
      onRequest: [requireJson],
      config: {
        access: 'ingest',
        openapi: {
          summary: 'Dépôt de relevés de quota IMAP des BALF (module Thunderbird)',
          description:
            'Un relevé par BALF et par heure est gardé (celui qui a un quota l’emporte, puis le plus récent). ' +
            'Un relevé hors du périmètre du jeton, futur ou d’une période purgée est refusé seul ; ' +
            'quota vide : « quota inconnu ».',
          tag: 'dépôt',
          body: storageReportSchema,
          response: storageAnswerSchema,
          errors: { 413: 'Corps de plus de 64 Kio', 415: 'Corps non JSON' },
        },
        ...ingestRateLimit(options.rateLimit),
      },
    },
    async (request) => {
      const principal = requireIngest(request);
      const parsed = storageReportSchema.safeParse(request.body);
      if (!parsed.success) {
        throw new HttpError(
          400,
          'invalid',
          'Relevés de quota invalides : voir details pour les chemins en erreur.',
          zodIssues(parsed.error.issues),
        );
      }
      return storeSamples(db, parsed.data, { principal, now: clock() });
    },
  );

  const storageDoc = {
    summary: 'Occupation du stockage des BALF d’un niveau (national, département, service, BALF)',
    description:
      'Par BALF : octets, pourcentage, croissance par jour ouvré, saturation prévue ; au-dessus du service, ' +
      'par élément rattaché. format=csv renvoie le même contenu en CSV (séparateur « ; »). Un nœud hors du ' +
      'périmètre répond 404 comme un nœud inconnu.',
    tag: 'statistiques',
    query: storageQuerySchema,
    response: storageViewSchema,
    errors: { 404: 'Nœud inconnu ou hors du périmètre' },
  };
  app.get('/api/v1/storage', { config: { access: 'read', openapi: storageDoc } }, async (request, reply) => {
    const principal = requireRead(request);
    const params = parseStorageParams(request.query);
    const result = await gate.run(`${principal.kind}:${principal.id}`, async () => {
      const subject = await resolveSubject(db, params.level, params.id, principal.scope);
      return {
        subject,
        ...(await runStorage(db, subject, { now: clock(), whitMondayWorked: options.whitMondayWorked })),
      };
    });
    const { subject } = result;
    if (params.format === 'json') return result.view;
    const safeId = subject.id.replace(/[^A-Za-z0-9_.@-]/g, '_');
    return reply
      .type('text/csv; charset=utf-8')
      .header(
        'content-disposition',
        `attachment; filename="suivi-balf-stockage-${params.level}-${safeId}-${result.view.today}.csv"`,
      )
      .send(Readable.from(csvChunks(STORAGE_CSV_HEADER, storageCsvRows(result.view, result.balfs))));
  });
}
