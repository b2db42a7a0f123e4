/**
 * Spot-check summaries: `POST /api/v1/spot-checks` from the add-on (ingest token, same scope rules
 * as tallies — outside the token's department, quarantine — idempotent on id) and
 * `GET /api/v1/spot-checks` listing them with a 95 % Wilson interval.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { spotCheckSummarySchema } from '../../../core/protocol.ts';
import { canSee } from '../../auth/scope.ts';
import { requireIngest, requireRead } from '../../auth/plugin.ts';
import type { Db } from '../../db/schema.ts';
import { HttpError, zodIssues } from '../../http-error.ts';
import { placeBalf } from '../../ingest/directory.ts';
import { listSpotChecks } from '../../stats/spot-check-list.ts';
import { resolveSubject } from '../../stats/subject.ts';
import { levels } from '../../../core/protocol.ts';
import { MAX_BODY_BYTES } from '../../../core/protocol.ts';
import { holdSpotCheck, reusedId } from '../../quarantine/hold.ts';
import { insertSpotCheck } from '../../quarantine/spot-check-store.ts';
import type { ConcurrencyGate } from '../stats/concurrency.ts';
import { requireJson } from '../tallies/index.ts';

export interface SpotCheckOptions {
  db: Db;
  clock: () => Date;
  /** Bounds on reads running at once, shared with the statistics. */
  gate: ConcurrencyGate;
}

const day = z.iso.date({ message: 'date invalide (AAAA-MM-JJ attendu)' });
const listQuery = z
  .object({ level: z.enum(levels), id: z.string().trim().min(1).max(254).optional(), from: day, to: day })
  .strict()
  .refine((q) => q.from <= q.to, { path: ['to'], message: 'la fin de période précède le début' })
  .refine((q) => q.level === 'national' || q.id !== undefined, {
    path: ['id'],
    message: 'identifiant requis',
  });

const counts = z.number().int();
const spotCheckList = z.object({
  level: z.enum(levels),
  id: z.string(),
  from: z.string(),
  to: z.string(),
  spotChecks: z.array(
    z.object({
      id: z.string(),
      balf: z.string(),
      from: z.string(),
      to: z.string(),
      doneAt: z.string(),
      target: z.object({ id: z.string(), workingDays: counts }),
      population: counts,
      sampleSize: counts,
      verdicts: z.object({ conforme: counts, non_conforme: counts, sans_objet: counts }),
      automatic: z.object({
        answered_in_time: counts,
        answered_late: counts,
        pending: counts,
        overdue: counts,
      }),
      disagreements: counts,
      rate: z.number().nullable(),
      interval: z.object({ lower: z.number(), upper: z.number() }).nullable(),
    }),
  ),
});

export default async function spotCheckRoutes(
  app: FastifyInstance,
  { db, clock, gate }: SpotCheckOptions,
): Promise<void> {
  app.post(
    '/api/v1/spot-checks',
    {
      bodyLimit: MAX_BODY_BYTES,
      onRequest: [requireJson],
      config: {
        access: 'ingest',
        openapi: {
          summary: 'Dépôt du résumé chiffré d’un sondage (module Thunderbird)',
          description:
            '201 à la première réception, 200 pour un renvoi (replay), 202 quand la BALF est hors du périmètre ' +
            'du jeton : le résumé attend le rattachement de l’adresse.',
          tag: 'dépôt',
          body: spotCheckSummarySchema,
          status: 201,
          response: z.object({ id: z.string(), replay: z.boolean(), quarantined: z.boolean().optional() }),
          errors: { 409: 'Identifiant déjà utilisé pour une autre BALF', 415: 'Corps non JSON' },
        },
      },
    },
    async (request, reply) => {
      const principal = requireIngest(request);
      const parsed = spotCheckSummarySchema.safeParse(request.body);
      if (!parsed.success) {
        throw new HttpError(
          400,
          'invalid',
          'Résumé de sondage invalide : voir details pour les chemins en erreur.',
          zodIssues(parsed.error.issues),
        );
      }
      const s = parsed.data;
      const placement = await placeBalf(db, s.balf);
      // Outside the token's scope (unknown address, or another department's): held, listed nowhere.
      if (!canSee(principal.scope, placement)) {
        const replay = await holdSpotCheck(db, s, principal, clock());
        return reply.code(replay ? 200 : 202).send({ id: s.id, replay, quarantined: true });
      }
      const existing = await db
        .selectFrom('spot_checks')
        .select('balf')
        .where('id', '=', s.id)
        .executeTakeFirst();
      if (existing) {
        if (existing.balf !== s.balf) throw reusedId('spot_check', s.id);
        return reply.code(200).send({ id: s.id, replay: true });
      }
      await insertSpotCheck(db, s, principal.id, clock());
      return reply.code(201).send({ id: s.id, replay: false });
    },
  );

  app.get(
    '/api/v1/spot-checks',
    {
      config: {
        access: 'read',
        openapi: {
          summary: 'Sondages d’un niveau sur une période, avec l’intervalle de Wilson à 95 %',
          tag: 'statistiques',
          query: listQuery,
          response: spotCheckList,
          errors: { 404: 'Nœud inconnu ou hors du périmètre' },
        },
      },
    },
    async (request) => {
      const principal = requireRead(request);
      const parsed = listQuery.safeParse(request.query);
      if (!parsed.success)
        throw new HttpError(400, 'invalid_query', 'Paramètres invalides.', zodIssues(parsed.error.issues));
      const q = parsed.data;
      const { subject, spotChecks } = await gate.run(`${principal.kind}:${principal.id}`, async () => {
        const found = await resolveSubject(
          db,
          q.level,
          q.level === 'national' ? 'national' : q.id!,
          principal.scope,
        );
        return { subject: found, spotChecks: await listSpotChecks(db, found, q.from, q.to) };
      });
      return { level: q.level, id: subject.id, from: q.from, to: q.to, spotChecks };
    },
  );
}
