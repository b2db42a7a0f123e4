/** The notification rounds of `serve`: schedule what is due and deliver the outbox, every minute, logged. */
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/schema.ts';
import type { MailConfig } from './config.ts';
import { smtpSender, type MailSender } from './mailer.ts';
import { deliverDue } from './outbox.ts';
import { scheduleDue } from './schedule.ts';

export const ROUND_MS = 60_000;
/** Alerts read every subscribed node's backlog: every ten minutes is soon enough for a day's count. */
export const ALERT_EVERY_ROUNDS = 10;

export interface NotificationService {
  /** Resolves once the round now running (if any) has finished; no round starts afterwards. */
  stop(): Promise<void>;
  /** The round started last (for tests). */
  readonly last: Promise<void>;
}

export function startNotificationService(
  db: Db,
  config: ServerConfig & { mail: MailConfig },
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  options: { clock?: () => Date; sender?: MailSender; intervalMs?: number } = {},
): NotificationService {
  const sender = options.sender ?? smtpSender(config.mail);
  const clock = options.clock ?? (() => new Date());
  let stopped = false;
  let round = 0;
  let running: Promise<void> = Promise.resolve();
  const run = (): void => {
    if (stopped) return;
    const alerts = round++ % ALERT_EVERY_ROUNDS === 0;
    // One round at a time: a slow relay delays the next round rather than racing it.
    running = running.then(async () => {
      if (stopped) return;
      try {
        const now = clock();
        const scheduled = await scheduleDue(db, config, config.mail, now, { digests: true, alerts });
        const delivered = await deliverDue(db, sender, config.mail, now);
        if (
          scheduled.digests + scheduled.alerts + delivered.sent + delivered.failed + delivered.cancelled >
          0
        )
          logger.info({ notifications: { ...scheduled, ...delivered } }, 'notifications par courriel');
        if (delivered.retried > 0)
          logger.warn({ notifications: delivered }, 'relais SMTP en échec : nouvel essai plus tard');
      } catch (e) {
        // Database down: the next round tries again; nothing was lost (the outbox is the record).
        logger.error({ err: e }, 'échec d’un tour de notifications');
      }
    });
  };
  run();
  const timer = setInterval(run, options.intervalMs ?? ROUND_MS);
  timer.unref();
  return {
    get last() {
      return running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      sender.close();
    },
  };
}
