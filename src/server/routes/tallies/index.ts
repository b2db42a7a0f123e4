/** `POST /api/v1/tallies`: bearer ingest token, JSON ≤ 1 MB, schema-checked, answered after commit. */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PostgresAdapter } from 'kysely';
import { z } from 'zod';
import { MAX_BODY_BYTES, parseTallyBatch, tallyBatchSchema } from '../../../core/protocol.ts';
import { requireIngest } from '../../auth/plugin.ts';
import type { Db } from '../../db/schema.ts';
import { HttpError, zodIssues } from '../../http-error.ts';
import { ingestBatch, type RejectReason } from '../../ingest/ingest.ts';
import type { ServerMetrics } from '../health/metrics.ts';
import { databaseRateLimitStore } from './rate-limit-store.ts';

export interface TalliesOptions {
  db: Db;
  clock: () => Date;
  metrics: ServerMetrics;
  whitMondayWorked: boolean;
  rateLimit: { max: number; timeWindowMs: number } | false;
}

/** Rejects before the body is read: only JSON is accepted. */
export async function requireJson(request: FastifyRequest): Promise<void> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `Type de contenu non pris en charge (${type || 'absent'}) : envoyez application/json.`,
    );
  }
}

/**
 * The rate-limit bucket of a request: the id of the token it authenticated with (the auth plugin has
 * run), whatever the spelling of its Authorization header; else its address.
 */
export function tokenBucket(request: FastifyRequest): string {
  return request.principal ? `${request.principal.kind}:${request.principal.id}` : `ip:${request.ip}`;
}

const tallyAnswer = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  quarantined: z.number().int().optional(),
});
/** Route config of an upload route: the ingest rate limit per token, or none. */
export function ingestRateLimit(limit: { max: number; timeWindowMs: number } | false) {
  return limit
    ? { rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs, keyGenerator: tokenBucket } }
    : {};
}

const REASON_BY_STATUS: Record<number, RejectReason> = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  409: 'batch_conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

export default async function talliesRoutes(app: FastifyInstance, options: TalliesOptions): Promise<void> {
  const { db, clock, metrics } = options;
  // Several instances may share a PostgreSQL database: they must share the counts too.
  await app.register(rateLimit, {
    global: false,
    ...(db.getExecutor().adapter instanceof PostgresAdapter
      ? { store: databaseRateLimitStore(db, clock) }
      : {}),
  });
  app.post(
    '/api/v1/tallies',
    {
      bodyLimit: MAX_BODY_BYTES,
      onRequest: [requireJson],
      config: {
        access: 'ingest',
        openapi: {
          summary: 'Dépôt d’un lot de relevés d’une BALF (module Thunderbird)',
          description:
            'Idempotent sur batchId : un lot renvoyé reçoit la même réponse. Une BALF hors du périmètre du jeton ' +
            '(absente de l’annuaire, ou d’un autre département) est mise en attente de rattachement : ' +
            'quarantined compte ses relevés, qui ne comptent dans aucun total tant qu’elle n’est pas rattachée.',
          tag: 'dépôt',
          body: tallyBatchSchema,
          response: tallyAnswer,
          errors: {
            409: 'batchId déjà utilisé pour une autre BALF',
            413: 'Corps de plus de 1 Mo',
            415: 'Corps non JSON',
          },
        },
        ...ingestRateLimit(options.rateLimit),
      },
      onResponse: async (_request: FastifyRequest, reply: FastifyReply) => {
        if (reply.statusCode < 400) return;
        metrics.ingestRejects.inc({
          reason:
            REASON_BY_STATUS[reply.statusCode] ?? (reply.statusCode === 503 ? 'unavailable' : 'server_error'),
        });
      },
    },
    async (request, reply) => {
      const principal = requireIngest(request);
      const parsed = parseTallyBatch(request.body);
      if (!parsed.success) {
        throw new HttpError(
          400,
          'invalid',
          'Lot de relevés invalide : voir details pour les chemins en erreur.',
          zodIssues(parsed.error.issues),
        );
      }
      const answer = await ingestBatch(db, parsed.data, {
        principal,
        now: clock(),
        whitMondayWorked: options.whitMondayWorked,
      });
      const quarantined = 'quarantined' in answer ? answer.quarantined : 0;
      metrics.ingestBatches.inc({
        result: answer.replay ? 'replay' : quarantined > 0 ? 'quarantined' : 'stored',
      });
      if (!answer.replay) {
        metrics.ingestRecords.inc({ result: 'accepted' }, answer.accepted);
        metrics.ingestRecords.inc({ result: 'duplicate' }, answer.duplicates);
        metrics.ingestRecords.inc({ result: 'rejected' }, answer.rejected);
        if (quarantined > 0) metrics.ingestRecords.inc({ result: 'quarantined' }, quarantined);
      }
      return reply.code(200).send({
        accepted: answer.accepted,
        duplicates: answer.duplicates,
        rejected: answer.rejected,
        // Only when non-zero: a batch that refines nothing is answered as before schema 2.
        ...(answer.updated > 0 ? { updated: answer.updated } : {}),
        ...(quarantined > 0 ? { quarantined } : {}),
      });
    },
  );
}
