/**
 * Liveness (`/healthz`, public, checks the database answers) and Prometheus metrics (`/metrics`,
 * for a national read token — Prometheus sends it as `authorization: Bearer` from its scrape config).
 */
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { requireNational } from '../../auth/plugin.ts';
import type { Db } from '../../db/schema.ts';
import type { ServerMetrics } from './metrics.ts';

export interface HealthOptions {
  db: Db;
  metrics: ServerMetrics;
}

export default async function healthRoutes(
  app: FastifyInstance,
  { db, metrics }: HealthOptions,
): Promise<void> {
  app.get('/healthz', { config: { access: 'public' } }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: 'ok' };
    } catch (error) {
      app.log.error({ err: error }, 'healthz: base de données injoignable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ status: 'unavailable', message: 'Base de données injoignable.' });
    }
  });
  // Ingest tokens are spread over every workstation: they must not read the server's counters.
  app.get('/metrics', { config: { access: 'national' } }, async (request, reply) => {
    requireNational(request);
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(metrics.render());
  });
}
