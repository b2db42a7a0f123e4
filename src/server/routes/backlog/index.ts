/** `GET /api/v1/backlog` (JSON or CSV): usager messages waiting for an answer on a day, for users and read tokens within their scope. */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { backlogAnswerSchema } from '../../../core/backlog.ts';
import { todayIn } from '../../../core/calendar.ts';
import { requireRead } from '../../auth/plugin.ts';
import { BACKLOG_CSV_HEADER, backlogCsvRows } from '../../backlog/csv-export.ts';
import { BACKLOG_QUERY_ERROR, backlogQuerySchema, parseBacklogParams } from '../../backlog/params.ts';
import { subjectRegion } from '../../backlog/region.ts';
import { latestToday, runBacklog } from '../../backlog/run.ts';
import type { ServerConfig } from '../../config.ts';
import { csvChunks } from '../../csv.ts';
import type { Db } from '../../db/schema.ts';
import { HttpError } from '../../http-error.ts';
import { resolveSubject } from '../../stats/subject.ts';
import { pickTarget } from '../../stats/target.ts';
import type { ConcurrencyGate } from '../stats/concurrency.ts';

export interface BacklogOptions {
  db: Db;
  clock: () => Date;
  config: ServerConfig;
  /** The stats queries' gate: a backlog query reads the same rollups. */
  gate: ConcurrencyGate;
}

export default async function backlogRoutes(
  app: FastifyInstance,
  { db, clock, config, gate }: BacklogOptions,
): Promise<void> {
  app.get(
    '/api/v1/backlog',
    {
      config: {
        access: 'read',
        openapi: {
          summary: 'Messages d’usagers en attente de réponse un jour donné, par ancienneté en jours ouvrés',
          description:
            'Par défaut au jour d’aujourd’hui dans la région du nœud. Dans le délai : âge < cible − 1 ; à échéance : ' +
            'cible − 1 ou cible ; en retard : âge > cible. Un agrégat de moins de deux BALF au-dessus du service est ' +
            'masqué (withheld). format=csv renvoie le même contenu en CSV. Un nœud hors du périmètre répond 404.',
          tag: 'statistiques',
          query: backlogQuerySchema,
          response: backlogAnswerSchema,
          errors: { 404: 'Nœud inconnu ou hors du périmètre' },
        },
      },
    },
    async (request, reply) => {
      const principal = requireRead(request);
      const params = parseBacklogParams(request.query);
      const now = clock();
      if (params.asOf !== undefined && params.asOf > latestToday(now)) {
        throw new HttpError(400, 'invalid_query', BACKLOG_QUERY_ERROR, [
          {
            path: 'asOf',
            message: `jour à venir (${params.asOf}) : la file n’est connue que jusqu’à aujourd’hui`,
          },
        ]);
      }
      const answer = await gate.run(`${principal.kind}:${principal.id}`, async () => {
        const target = await pickTarget(db, config, params.target, BACKLOG_QUERY_ERROR);
        const subject = await resolveSubject(db, params.level, params.id, principal.scope);
        const asOf = params.asOf ?? todayIn(await subjectRegion(db, subject), now);
        return runBacklog(db, subject, asOf, target, { now, whitMondayWorked: config.whitMondayWorked });
      });
      if (params.format === 'json') return answer;
      const safeId = answer.id.replace(/[^A-Za-z0-9_.@-]/g, '_');
      return reply
        .type('text/csv; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="suivi-balf-a-traiter-${params.level}-${safeId}-${answer.asOf}.csv"`,
        )
        .send(Readable.from(csvChunks(BACKLOG_CSV_HEADER, backlogCsvRows(answer))));
    },
  );
}
