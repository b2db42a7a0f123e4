/**
 * Runs the collection server: opens the database, listens with bounded request times, logs with
 * pino (pretty only on a terminal) and shuts down cleanly — no new connections, idle ones closed at
 * once, in-flight requests finished (so every acknowledged batch is committed), then the database.
 */
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { openDatabase, type DbTarget, type OpenDb } from './db/connect.ts';
import type { Db } from './db/schema.ts';
import {
  applyHttpTimeouts,
  drainOnStop,
  httpTimeoutsFromEnv,
  type HttpTimeouts,
  type StopDrain,
} from './http-limits.ts';
import { retentionDaysFromEnv } from './retention/horizon.ts';
import { startRetentionSchedule, type RetentionSchedule } from './retention/schedule.ts';
import { MAIL_OFF_REASON, redactSmtpUrl } from './notifications/config.ts';
import { startNotificationService, type NotificationService } from './notifications/service.ts';

export interface ServeOptions {
  target: DbTarget;
  host: string;
  port: number;
  logger?: Logger;
  /** Days of per-message records kept (periodic purge); default SUIVI_RETENTION_DAYS, null = none. */
  retentionDays?: number | null;
  /** Header, request and keep-alive limits; default from SUIVI_*_TIMEOUT (see http-limits.ts). */
  timeouts?: HttpTimeouts;
}

export interface RunningServer {
  app: FastifyInstance;
  db: Db;
  url: string;
  /**
   * Idempotent: stops accepting, closes idle connections, waits for in-flight requests (each
   * connection closes once answered), closes the database.
   */
  close(): Promise<void>;
}

export function createLogger(): Logger {
  const level = process.env['LOG_LEVEL'] ?? 'info';
  // JSON lines for log collectors; colours only for a human at a terminal.
  return process.stdout.isTTY
    ? pino({
        level,
        transport: {
          target: 'pino-pretty',
          options: { translateTime: 'SYS:standard', ignore: 'pid,hostname' },
        },
      })
    : pino({ level });
}

function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const config = loadConfig();
  // Read before anything opens, so that an invalid value stops the start with its message.
  const retentionDays =
    options.retentionDays === undefined ? retentionDaysFromEnv(process.env) : options.retentionDays;
  const timeouts = options.timeouts ?? httpTimeoutsFromEnv(process.env);
  const logger = options.logger ?? createLogger();
  let database: OpenDb | undefined;
  let app: FastifyInstance | undefined;
  let drain: StopDrain | undefined;
  try {
    database = await openDatabase(options.target);
    app = await buildApp({ db: database.db, logger, config });
    applyHttpTimeouts(app.server, timeouts);
    drain = drainOnStop(app.server);
    await app.listen({ host: options.host, port: options.port });
  } catch (e) {
    await app?.close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const running = app;
  const db = database;
  const draining = drain;
  let retention: RetentionSchedule | undefined;
  if (retentionDays !== null) {
    logger.info(
      { retentionDays },
      `conservation : purge des enregistrements de plus de ${retentionDays} jours`,
    );
    retention = startRetentionSchedule(db.db, retentionDays, logger);
  }
  let notifications: NotificationService | undefined;
  if (config.mail) {
    logger.info({ smtp: redactSmtpUrl(config.mail.smtpUrl) }, 'notifications par courriel activées');
    notifications = startNotificationService(db.db, { ...config, mail: config.mail }, logger);
  } else logger.info(MAIL_OFF_REASON);
  let closing: Promise<void> | undefined;
  return {
    app: running,
    db: db.db,
    url: urlOf(options.host, port),
    close() {
      // app.close() refuses new connections and resolves once in-flight requests have answered and
      // every connection is closed; only then may the database go away.
      closing ??= (async () => {
        const drained = draining.begin();
        try {
          await running.close();
          await retention?.stop();
          await notifications?.stop();
        } finally {
          drained();
          await db.close();
        }
      })();
      return closing;
    },
  };
}
