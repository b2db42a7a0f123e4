/**
 * Composition of the collection server: security headers, auth, API routes, health and the
 * dashboard, with one error policy. Returns the app without listening (tests use `app.inject`).
 */
import helmet from '@fastify/helmet';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { registerAuth } from './auth/plugin.ts';
import { loadConfig, type ServerConfig } from './config.ts';
import { recomputeOnCalendarChange } from './ingest/calendar-settings.ts';
import type { Db } from './db/schema.ts';
import { HttpError } from './http-error.ts';
import { registerOpenApi } from './openapi.ts';
import addonRoutes from './routes/addon/index.ts';
import backlogRoutes from './routes/backlog/index.ts';
import calendarRoutes from './routes/calendar/index.ts';
import dashboardRoutes from './routes/dashboard/index.ts';
import directoryRoutes from './routes/directory/index.ts';
import healthRoutes from './routes/health/index.ts';
import notificationRoutes from './routes/notifications/index.ts';
import { ServerMetrics } from './routes/health/metrics.ts';
import sessionRoutes from './routes/session/index.ts';
import spotCheckRoutes from './routes/spot-checks/index.ts';
import { ConcurrencyGate } from './routes/stats/concurrency.ts';
import statsRoutes from './routes/stats/index.ts';
import storageRoutes from './routes/storage/index.ts';
import talliesRoutes from './routes/tallies/index.ts';

export interface BuildAppOptions {
  db: Db;
  /** A pino logger (server.ts); none in tests. */
  logger?: FastifyBaseLogger;
  clock?: () => Date;
  /** Ingest rate limit per token; `false` disables it. Default from the config. */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  config?: ServerConfig;
}

/** Errors of an unreachable, read-only or full database: the client should retry later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  return (
    /^(08|53|57P0[1-3]|25006)/.test(code) ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOSPC', 'EROFS'].includes(code) ||
    /^SQLITE_(BUSY|LOCKED|READONLY|FULL|IOERR|CANTOPEN)/.test(code) ||
    /Connection terminated|timeout exceeded when trying to connect|pool.*(ended|closed)|database connection is not open|driver has already been destroyed|not queryable/i.test(
      String((error as Error)?.message),
    )
  );
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const config = options.config ?? loadConfig();
  const clock = options.clock ?? (() => new Date());
  const db = options.db;
  const metrics = new ServerMetrics();
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    // Only the listed proxies' X-Forwarded-For / -Proto are believed: a client's own header is not.
    trustProxy: config.trustProxy === false ? false : config.trustProxy,
  });

  // Stored reply delays depend on the working-day calendar: a changed setting recomputes history
  // before serving. A database that cannot be written now (down, read-only) must not stop the
  // server, whose routes then answer 503: the recompute is retried at the next start.
  try {
    const recomputed = await recomputeOnCalendarChange(db, { whitMondayWorked: config.whitMondayWorked });
    if (recomputed > 0)
      app.log.info({ recomputed }, 'calendrier des jours ouvrés modifié : délais recalculés');
  } catch (error) {
    app.log.error({ err: error }, 'recalcul des délais reporté au prochain démarrage : base indisponible');
  }

  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });

  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (error instanceof HttpError) {
      reply.headers(error.headers);
      return reply.code(status).send({
        error: error.code,
        message: error.message,
        ...(error.details === undefined ? {} : { details: error.details }),
      });
    }
    if ('validation' in error && error.validation) {
      const details = error.validation.map((v) => ({
        path: v.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(racine)',
        message: v.message ?? 'invalide',
      }));
      return reply.code(400).send({ error: 'invalid', message: 'Requête invalide : voir details.', details });
    }
    if (status >= 400 && status < 500) {
      return reply
        .code(status)
        .send({ error: knownCode(error, status), message: frenchMessage(error, status) });
    }
    if (isDatabaseUnavailable(error)) {
      request.log.error(
        { err: error, url: request.url, method: request.method },
        'base de données indisponible',
      );
      return reply.code(503).header('retry-after', '30').send({
        error: 'unavailable',
        message: 'Service momentanément indisponible (base de données) : réessayez plus tard.',
      });
    }
    request.log.error(
      { err: error, url: request.url, method: request.method, principal: request.principal?.id },
      'erreur interne',
    );
    return reply.code(500).send({ error: 'internal', message: 'Erreur interne du serveur.' });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({
      error: 'not_found',
      message: `Ressource introuvable : ${request.method} ${request.url.split('?')[0]}`,
    });
  });

  app.addHook('onResponse', async (request, reply) => {
    metrics.requestDuration.observe(
      {
        route: request.routeOptions.url ?? 'inconnue',
        method: request.method,
        status: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(registerAuth, { db, clock });
  await app.register(registerOpenApi, { publicUrl: config.publicUrl });
  await app.register(healthRoutes, { db, metrics });
  await app.register(sessionRoutes, {
    db,
    clock,
    secureCookies: config.secureCookies,
    allowHttpLogin: config.allowHttpLogin,
  });
  await app.register(talliesRoutes, {
    db,
    clock,
    metrics,
    whitMondayWorked: config.whitMondayWorked,
    rateLimit: options.rateLimit ?? config.ingestRateLimit,
  });
  const gate = new ConcurrencyGate(config.statsConcurrency);
  await app.register(statsRoutes, { db, clock, config, gate });
  await app.register(backlogRoutes, { db, clock, config, gate });
  await app.register(storageRoutes, {
    db,
    clock,
    whitMondayWorked: config.whitMondayWorked,
    rateLimit: options.rateLimit ?? config.ingestRateLimit,
    gate,
  });
  await app.register(spotCheckRoutes, { db, clock, gate });
  await app.register(directoryRoutes, { db, clock, whitMondayWorked: config.whitMondayWorked });
  await app.register(calendarRoutes, { db, clock, whitMondayWorked: config.whitMondayWorked });
  await app.register(notificationRoutes, { db, clock, config });
  await app.register(addonRoutes, { publicUrl: config.publicUrl });
  // Last: the dashboard serves `/` and static files.
  await app.register(dashboardRoutes, {});
  return app;
}

function knownCode(error: { code?: string }, status: number): string {
  switch (status) {
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'invalid_json'
        : 'bad_request';
  }
}

/** Fastify's own 4xx messages are English; ours (and the auth plugin's) are already French. */
function frenchMessage(error: { code?: string; message: string }, status: number): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'Corps de requête trop volumineux (1 Mo au plus) : envoyez des lots plus petits.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Type de contenu non pris en charge : envoyez application/json.';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return `JSON invalide : ${error.message}`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'Corps JSON vide.';
    default:
      return status === 429 ? `Trop de requêtes : ${error.message}` : error.message;
  }
}
