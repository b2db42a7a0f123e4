/**
 * Calendar overlays API: list the declared days of one's scope, declare days closed or open (national or
 * departmental users), withdraw them, apply an overseas customs preset (national); every change
 * recomputes the stored delays of the BALFs it concerns before answering.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { customsPreset, presetRegions } from '../../../core/overlay-presets.ts';
import { requireRead, requireUser } from '../../auth/plugin.ts';
import { requireDeclarable, requireDeclarer, visibleScopes } from '../../calendar/access.ts';
import {
  activeOverlay,
  declareOverlays,
  listOverlays,
  recomputeScopes,
  withdrawOverlay,
} from '../../calendar/overlays.ts';
import { day, overlayInput } from '../../calendar/schema.ts';
import type { Db } from '../../db/schema.ts';
import { HttpError, zodIssues } from '../../http-error.ts';

export interface CalendarRoutesOptions {
  db: Db;
  clock: () => Date;
  whitMondayWorked: boolean;
}

/** Declarations one request may carry (a year of a service's closures fits many times). */
export const MAX_DECLARATIONS = 500;

const declareBody = z.object({ overlays: z.array(overlayInput).min(1).max(MAX_DECLARATIONS) }).strict();
const presetBody = z
  .object({
    region: z.enum(presetRegions),
    years: z.array(z.number().int().min(2000).max(2100)).min(1).max(10),
  })
  .strict();
const listQuery = z
  .object({ from: day.optional(), to: day.optional(), withdrawn: z.enum(['0', '1']).optional() })
  .strict();
const idQuery = z.object({ id: z.uuid() }).strict();

const stored = z.object({
  id: z.string(),
  scope: z.string(),
  day: z.string(),
  state: z.enum(['closed', 'open']),
  label: z.string(),
  source: z.string(),
  declaredBy: z.string(),
  declaredAt: z.string(),
  withdrawnBy: z.string().nullable(),
  withdrawnAt: z.string().nullable(),
});
const changed = z.object({ overlays: z.array(stored), recomputed: z.number().int() });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpError(400, 'invalid', what, zodIssues(parsed.error.issues));
  return parsed.data;
}

const calendarRoutes: FastifyPluginAsync<CalendarRoutesOptions> = async (app, options) => {
  const { db, clock } = options;
  const recompute = (scopes: Iterable<string>) =>
    recomputeScopes(db, scopes, { whitMondayWorked: options.whitMondayWorked });

  app.get(
    '/api/v1/calendar/overlays',
    {
      config: {
        access: 'read',
        openapi: {
          summary: 'Jours déclarés au calendrier (fermés ou ouverts) qui concernent votre périmètre',
          tag: 'calendrier',
          query: listQuery,
          response: z.object({ overlays: z.array(stored) }),
        },
      },
    },
    async (request) => {
      const principal = requireRead(request);
      const q = parse(listQuery, request.query, 'Paramètres invalides.');
      const scopes = await visibleScopes(db, principal);
      const overlays = await listOverlays(db, {
        ...(scopes ? { scopes } : {}),
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        withdrawn: q.withdrawn === '1',
      });
      return { overlays };
    },
  );

  app.post<{ Body: unknown }>(
    '/api/v1/calendar/overlays',
    {
      config: {
        access: 'user',
        openapi: {
          summary:
            'Déclarer des jours fermés ou exceptionnellement ouverts (utilisateur national ou départemental)',
          description:
            'Une déclaration remplace celle du même jour pour la même portée. Les délais des BALF concernées ' +
            'sont recalculés (historique compris) avant la réponse.',
          tag: 'calendrier',
          body: declareBody,
          response: changed,
          errors: { 404: 'Département ou service inconnu ou hors du périmètre' },
        },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      requireDeclarer(principal);
      const body = parse(declareBody, request.body, 'Corps attendu : { "overlays": [ … ] }.');
      for (const s of new Set(body.overlays.map((o) => o.scope))) await requireDeclarable(db, principal, s);
      const overlays = await declareOverlays(db, body.overlays, principal.id, clock());
      const recomputed = await recompute(overlays.map((o) => o.scope));
      request.log.info(
        { by: principal.id, declared: overlays.length, recomputed },
        'jours du calendrier déclarés',
      );
      return { overlays, recomputed };
    },
  );

  app.delete(
    '/api/v1/calendar/overlays',
    {
      config: {
        access: 'user',
        openapi: {
          summary: 'Retirer une déclaration (elle reste dans l’historique)',
          tag: 'calendrier',
          query: idQuery,
          response: changed,
          errors: { 404: 'Déclaration inconnue, déjà retirée ou hors du périmètre' },
        },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      // Who may withdraw at all before whether the id exists: a service user learns nothing of ids.
      requireDeclarer(principal);
      const { id } = parse(idQuery, request.query, 'Paramètre id invalide.');
      const found = await activeOverlay(db, id);
      if (!found) throw new HttpError(404, 'not_found', 'Déclaration inconnue ou déjà retirée.');
      await requireDeclarable(db, principal, found.scope);
      await withdrawOverlay(db, id, principal.id, clock());
      const recomputed = await recompute([found.scope]);
      request.log.info({ by: principal.id, id, recomputed }, 'jour du calendrier retiré');
      return {
        overlays: [{ ...found, withdrawnBy: principal.id, withdrawnAt: clock().toISOString() }],
        recomputed,
      };
    },
  );

  app.post<{ Body: unknown }>(
    '/api/v1/calendar/presets',
    {
      config: {
        access: 'national-user',
        openapi: {
          summary:
            'Appliquer le préréglage des coutumes locales d’une région d’outre-mer (utilisateur national)',
          description:
            'Usages, pas des jours fériés légaux : aucun n’est appliqué sans cette demande. Antilles : Mardi gras, ' +
            'mercredi des Cendres, Vendredi saint, 2 novembre ; Mayotte : fêtes du calendrier hégirien (dates ' +
            'prévisionnelles 2024–2030).',
          tag: 'calendrier',
          body: presetBody,
          response: changed,
        },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const body = parse(presetBody, request.body, 'Corps attendu : { "region": …, "years": [ … ] }.');
      await requireDeclarable(db, principal, `region:${body.region}`);
      let entries;
      try {
        entries = body.years.flatMap((y) => customsPreset(body.region, y));
      } catch (e) {
        throw new HttpError(400, 'invalid', (e as Error).message);
      }
      const overlays = await declareOverlays(db, entries, principal.id, clock());
      const recomputed = await recompute([`region:${body.region}`]);
      request.log.info(
        { by: principal.id, region: body.region, recomputed },
        'préréglage du calendrier appliqué',
      );
      return { overlays, recomputed };
    },
  );
};

export default calendarRoutes;
