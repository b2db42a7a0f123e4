/** `GET /api/v1/stats` (JSON or CSV) and `GET /api/v1/targets`, for users and read tokens within their scope. */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { requireRead } from '../../auth/plugin.ts';
import { currentTargets, type ServerConfig } from '../../config.ts';
import { todayIn } from '../../../core/calendar.ts';
import { csvSections } from '../../csv.ts';
import type { Db } from '../../db/schema.ts';
import { statsCsvSections } from '../../stats/csv-export.ts';
import { z } from 'zod';
import { statsAnswerSchema } from '../../../core/protocol.ts';
import { parseStatsParams, statsQuerySchema } from '../../stats/params.ts';
import { runStats } from '../../stats/run.ts';
import { listSpotChecks } from '../../stats/spot-check-list.ts';
import { pickTarget } from '../../stats/target.ts';
import { resolveSubject } from '../../stats/subject.ts';
import { ConcurrencyGate } from './concurrency.ts';

export interface StatsOptions {
  db: Db;
  clock: () => Date;
  config: ServerConfig;
  /** Bounds on queries running at once (default from the config); shared with the spot-check list. */
  gate?: ConcurrencyGate;
}

export default async function statsRoutes(
  app: FastifyInstance,
  { db, clock, config, gate = new ConcurrencyGate(config.statsConcurrency) }: StatsOptions,
): Promise<void> {
  const targetsAnswer = z.array(
    z.object({ id: z.string(), label: z.string(), workingDays: z.number().int(), primary: z.boolean() }),
  );
  app.get(
    '/api/v1/targets',
    {
      config: {
        access: 'read',
        openapi: { summary: 'Objectifs de délai de réponse', tag: 'statistiques', response: targetsAnswer },
      },
    },
    async (request) => {
      requireRead(request);
      const settings = await currentTargets(db, config);
      return settings.targets.map((t) => ({
        id: t.id,
        label: t.label,
        workingDays: t.workingDays,
        primary: t.id === settings.primary,
      }));
    },
  );

  app.get(
    '/api/v1/stats',
    {
      config: {
        access: 'read',
        openapi: {
          summary: 'Statistiques d’un niveau (national, département, service, BALF) sur une période',
          description:
            'format=csv renvoie le même contenu en CSV (séparateur « ; »). Un nœud hors du périmètre répond 404 ' +
            'comme un nœud inconnu. Requêtes simultanées limitées par appelant et en tout (429 et Retry-After).',
          tag: 'statistiques',
          query: statsQuerySchema,
          response: statsAnswerSchema,
          errors: { 404: 'Nœud inconnu ou hors du périmètre' },
        },
      },
    },
    async (request, reply) => {
      const principal = requireRead(request);
      const params = parseStatsParams(request.query);
      const { answer, sections, subjectId } = await gate.run(
        `${principal.kind}:${principal.id}`,
        async () => {
          const target = await pickTarget(db, config, params.target, 'Paramètres de statistiques invalides.');
          const subject = await resolveSubject(db, params.level, params.id, principal.scope);
          const now = clock();
          const options = { now, whitMondayWorked: config.whitMondayWorked };
          const result = await runStats(db, params, subject, target, options);
          if (params.format === 'json') return { answer: result, sections: null, subjectId: subject.id };
          // Compared periods: their totals and children only, so the coarsest grouping.
          const comparisons = await Promise.all(
            params.comparisons.map(async (c) => ({
              kind: c.kind,
              answer: await runStats(
                db,
                { ...params, from: c.from, to: c.to, granularity: 'month' },
                subject,
                target,
                options,
              ),
            })),
          );
          const spotChecks = await listSpotChecks(db, subject, params.from, params.to);
          const csv = statsCsvSections(result, subject.name, {
            today: todayIn('metropole', now),
            comparisons,
            spotChecks,
          });
          return { answer: result, sections: csv, subjectId: subject.id };
        },
      );
      if (sections === null) return answer;
      const safeId = subjectId.replace(/[^A-Za-z0-9_.@-]/g, '_');
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="suivi-balf-${params.level}-${safeId}-${params.from}-${params.to}.csv"`,
        )
        .send(Readable.from(csvSections(sections)));
    },
  );
}
