/**
 * Directory API: breadcrumbs of a level, unattached BALFs; for national users the listing, CSV
 * template, export, preview and import; the quarantine of uploads held for addresses outside their
 * token's scope (national or department).
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { balfAddressSchema } from '../../../core/protocol.ts';
import {
  canSee,
  requireNational,
  requireNationalUser,
  requireRead,
  requireUser,
  requireVisible,
} from '../../auth/plugin.ts';
import type { Db } from '../../db/schema.ts';
import { exportDirectoryCsv } from '../../directory/export.ts';
import { ENCODING_LABELS } from '../../directory/decode.ts';
import { importDirectoryCsv, recomputeHooks, type ImportHooks } from '../../directory/import.ts';
import { directoryTemplateCsv, listDirectory } from '../../directory/listing.ts';
import { parseDirectoryCsv } from '../../directory/parse-csv.ts';
import { previewDirectory } from '../../directory/preview.ts';
import { directoryListing, directoryPreview, importQuery, importResult } from './schemas.ts';
import { loadConfig } from '../../config.ts';
import {
  UNATTACHED_ID,
  directoryLevels,
  placementOf,
  unattachedBalfs,
  type DirectoryLevel,
} from '../../directory/placement.ts';
import { HttpError, zodIssues } from '../../http-error.ts';
import { attachBalf, discardQuarantine, listQuarantine, releaseAllPlaced } from '../../quarantine/release.ts';

export interface DirectoryRoutesOptions {
  db: Db;
  clock?: () => Date;
  /** Recomputation after an import (default: the ingest's recomputeBalf and recomputeStaleBalfs). */
  hooks?: ImportHooks;
  whitMondayWorked?: boolean;
}

const MAX_CSV_BYTES = 20 * 1024 * 1024;
/** Rows of one page of a list that a careless or hostile token could make long. */
export const DEFAULT_PAGE = 200;
export const MAX_PAGE = 1000;

const crumbs = z.array(
  z.object({
    level: z.enum(['national', 'department', 'service', 'balf']),
    id: z.string(),
    name: z.string(),
  }),
);
const unattachedPage = z.object({
  total: z.number().int(),
  balfs: z.array(
    z.object({ balf: z.string(), firstDay: z.string(), lastDay: z.string(), records: z.number().int() }),
  ),
});
const quarantinePage = z.object({
  total: z.number().int(),
  balfs: z.array(
    z.object({
      balf: z.string(),
      uploads: z.number().int(),
      records: z.number().int(),
      firstReceived: z.string(),
      lastReceived: z.string(),
      tokenScopes: z.array(z.string()),
    }),
  ),
});
const attachBody = z.object({ balf: z.string(), service: z.string().trim().min(1).max(64) }).strict();
const pathQuery = z.object({
  level: z.enum(['national', 'department', 'service', 'balf']).optional(),
  id: z.string().optional(),
});
const csvFile = { contentType: 'text/csv', description: 'Annuaire CSV (voir le guide du coordinateur, § 3)' };

const pageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(DEFAULT_PAGE),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  })
  .strict();

function parsePage(query: unknown): { limit: number; offset: number } {
  const parsed = pageQuery.safeParse(query);
  if (!parsed.success)
    throw new HttpError(400, 'invalid_query', 'Paramètres invalides.', zodIssues(parsed.error.issues));
  return parsed.data;
}

function parseBalf(raw: unknown): string {
  const parsed = balfAddressSchema.safeParse(raw);
  if (!parsed.success)
    throw new HttpError(400, 'invalid', 'Adresse de BALF invalide.', zodIssues(parsed.error.issues));
  return parsed.data;
}

const directoryRoutes: FastifyPluginAsync<DirectoryRoutesOptions> = async (app, options) => {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());
  const whitMondayWorked = options.whitMondayWorked ?? loadConfig().whitMondayWorked;
  const base = options.hooks ?? recomputeHooks({ whitMondayWorked });
  // An import may place addresses that uploads were held for: they enter the counts then.
  const hooks: ImportHooks = {
    ...base,
    afterImport: async (database) => {
      await base.afterImport?.(database);
      await releaseAllPlaced(database, { now: clock(), whitMondayWorked });
    },
  };

  // Bytes, not text: the file's encoding (UTF-8, Windows-1252 from Excel…) is detected in directory/decode.ts.
  app.addContentTypeParser(
    ['text/csv', 'application/csv', 'text/plain'],
    { parseAs: 'buffer', bodyLimit: MAX_CSV_BYTES },
    (_req, body, done) => done(null, body),
  );
  const csvBody = (body: unknown): Buffer => {
    if (!Buffer.isBuffer(body)) {
      throw new HttpError(
        415,
        'unsupported_media_type',
        'Corps attendu : le fichier CSV (Content-Type: text/csv).',
      );
    }
    return body;
  };
  const refused = (errors: { line: number; message: string }[]) => ({
    error: 'invalid',
    message: `Fichier refusé : ${errors.length} ligne(s) en erreur, rien n’a été importé.`,
    errors,
  });

  app.get<{ Querystring: { level?: string; id?: string } }>(
    '/api/v1/directory/path',
    {
      config: {
        access: 'read',
        openapi: {
          summary: 'Fil d’Ariane d’un nœud de l’annuaire',
          tag: 'annuaire',
          query: pathQuery,
          response: crumbs,
          errors: { 404: 'Nœud inconnu ou hors du périmètre' },
        },
      },
    },
    async (request) => {
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
      // The national view and « non rattachées » always exist: refusing them tells nothing (403).
      // A real node out of scope answers as an unknown one (404).
      if (found && found.placement.department === null && (level === 'national' || id === UNATTACHED_ID)) {
        if (!canSee(principal.scope, found.placement))
          throw new HttpError(403, 'forbidden_scope', 'Réservé aux utilisateurs de portée nationale.');
      } else requireVisible(principal, found?.placement ?? null, describeLevel(level as DirectoryLevel, id));
      return found!.breadcrumbs;
    },
  );

  app.get(
    '/api/v1/directory/unattached',
    {
      config: {
        access: 'national',
        openapi: {
          summary: 'BALF « non rattachées » (comptées au national), une page à la fois',
          tag: 'annuaire',
          query: pageQuery,
          response: unattachedPage,
        },
      },
    },
    async (request) => {
      requireNational(request);
      return unattachedBalfs(db, parsePage(request.query));
    },
  );

  app.get(
    '/api/v1/directory/export',
    {
      config: {
        access: 'national',
        openapi: { summary: 'Export de l’annuaire en CSV', tag: 'annuaire', response: csvFile },
      },
    },
    async (request, reply) => {
      requireNational(request);
      const csv = await exportDirectoryCsv(db);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="annuaire-suivi-balf.csv"')
        .send(csv);
    },
  );

  app.get(
    '/api/v1/directory/entries',
    {
      config: {
        access: 'national',
        openapi: {
          summary: 'Annuaire actuel (départements, services et adresses de BALF)',
          tag: 'annuaire',
          response: directoryListing,
        },
      },
    },
    async (request) => {
      requireNational(request);
      return { departments: await listDirectory(db) };
    },
  );

  app.get(
    '/api/v1/directory/template',
    {
      config: {
        access: 'national',
        openapi: { summary: 'Modèle d’annuaire à remplir (CSV)', tag: 'annuaire', response: csvFile },
      },
    },
    async (request, reply) => {
      requireNational(request);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="modele-annuaire-suivi-balf.csv"')
        .send(directoryTemplateCsv());
    },
  );

  app.post(
    '/api/v1/directory/preview',
    {
      config: {
        access: 'national',
        openapi: {
          summary: 'Aperçu des changements qu’un import apporterait (ne modifie rien)',
          description:
            'Encodage détecté (UTF-8 avec ou sans BOM, UTF-16, Windows-1252) ; l’empreinte rendue se passe à l’import.',
          tag: 'annuaire',
          body: csvFile,
          response: directoryPreview,
          errors: { 413: 'Fichier de plus de 20 Mo', 415: 'Corps non CSV' },
        },
      },
    },
    async (request, reply) => {
      requireNational(request);
      const parsed = parseDirectoryCsv(csvBody(request.body));
      if (!parsed.ok) return reply.code(400).send(refused(parsed.errors));
      const changes = await previewDirectory(db, parsed.directory);
      return {
        encoding: parsed.encoding,
        encodingLabel: ENCODING_LABELS[parsed.encoding],
        rows: {
          departments: parsed.directory.departments.length,
          services: parsed.directory.services.length,
          balfs: parsed.directory.balfs.length,
        },
        changes,
      };
    },
  );

  app.post<{ Querystring: { expect?: string } }>(
    '/api/v1/directory/import',
    {
      config: {
        access: 'national-user',
        openapi: {
          summary: 'Import de l’annuaire (CSV, tout ou rien)',
          description:
            'Encodage détecté comme pour l’aperçu. Les envois en attente d’une adresse désormais placée dans le périmètre de leur jeton sont comptés.',
          tag: 'annuaire',
          query: importQuery,
          body: csvFile,
          response: importResult,
          errors: {
            409: 'L’annuaire a changé depuis l’aperçu (empreinte)',
            413: 'Fichier de plus de 20 Mo',
            415: 'Corps non CSV',
          },
        },
      },
    },
    async (request, reply) => {
      const principal = requireNationalUser(request);
      const expect = request.query.expect;
      const result = await importDirectoryCsv(db, csvBody(request.body), hooks, {
        ...(typeof expect === 'string' && expect !== '' ? { expectFingerprint: expect } : {}),
      });
      if (!result.ok && result.stale === true) {
        return reply
          .code(409)
          .send({ error: 'conflict', message: result.errors[0]?.message ?? 'Aperçu périmé.' });
      }
      if (!result.ok) return reply.code(400).send(refused(result.errors));
      request.log.info(
        { login: principal.id, ...result, changedBalfs: result.changedBalfs.length },
        'annuaire importé',
      );
      return {
        departments: result.departments,
        services: result.services,
        balfs: result.balfs,
        encoding: result.encoding,
      };
    },
  );

  app.get(
    '/api/v1/directory/quarantine',
    {
      config: {
        access: 'read',
        openapi: {
          summary: 'Adresses en attente de rattachement (envois des jetons du périmètre), une page à la fois',
          tag: 'annuaire',
          query: pageQuery,
          response: quarantinePage,
        },
      },
    },
    async (request) => {
      const principal = requireRead(request);
      return listQuarantine(db, principal.scope, parsePage(request.query));
    },
  );

  app.post<{ Body: unknown }>(
    '/api/v1/directory/attach',
    {
      config: {
        access: 'user',
        openapi: {
          summary: 'Rattacher une adresse en attente à un service (utilisateur national ou départemental)',
          tag: 'annuaire',
          body: attachBody,
          response: z.object({
            balf: z.string(),
            department: z.string(),
            service: z.string(),
            released: z.object({ released: z.number().int(), conflicts: z.number().int() }),
          }),
          errors: {
            404: 'Adresse ou service inconnus ou hors du périmètre',
            409: 'Adresse déjà dans l’annuaire',
          },
        },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const body = attachBody.safeParse(request.body);
      if (!body.success)
        throw new HttpError(
          400,
          'invalid',
          'Corps attendu : { "balf": …, "service": … }.',
          zodIssues(body.error.issues),
        );
      const balf = parseBalf(body.data.balf);
      const attached = await attachBalf(db, principal, balf, body.data.service, {
        now: clock(),
        whitMondayWorked,
        ...(base.onBalfChanged ? { onBalfChanged: base.onBalfChanged } : {}),
      });
      request.log.info({ by: principal.id, balf, ...attached }, 'BALF rattachée depuis la quarantaine');
      return { balf, ...attached };
    },
  );

  app.delete<{ Querystring: { balf?: string } }>(
    '/api/v1/directory/quarantine',
    {
      config: {
        access: 'user',
        openapi: {
          summary: 'Supprimer les envois en attente d’une adresse (envoyés par erreur)',
          tag: 'annuaire',
          query: z.object({ balf: z.string() }),
          response: z.object({ balf: z.string(), discarded: z.number().int() }),
          errors: { 404: 'Rien en attente pour cette adresse dans le périmètre' },
        },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const balf = parseBalf(request.query.balf);
      const discarded = await discardQuarantine(db, principal.scope, balf);
      if (discarded === 0)
        throw new HttpError(404, 'not_found', `Rien en attente pour la BALF ${balf} dans votre périmètre.`);
      request.log.info({ by: principal.id, balf, discarded }, 'envois en quarantaine supprimés');
      return { balf, discarded };
    },
  );
};

/** « Le département « 75 » », « La BALF « … » »: what the 404 of an unknown or out-of-scope node names. */
function describeLevel(level: DirectoryLevel, id: string): string {
  if (level === 'national') return 'Le niveau national';
  if (level === 'department' && id === 'unattached') return 'L’ensemble des BALF non rattachées';
  return `${{ department: 'Le département', service: 'Le service', balf: 'La BALF' }[level]} « ${id} »`;
}

export default directoryRoutes;
