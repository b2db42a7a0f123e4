/** The notification rounds of `serve`: schedule what is due and deliver the outbox, every minute, logged. */
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.ts';
import type { Db } from '../db/schema.ts';
import type { MailConfig } from './config.ts';
import { smtpSender, type MailSender } from './mailer.ts';
import { deliverDue } from './outbox.ts';
import { startPeriodic, type Periodic } from '../periodic.ts';
import { scheduleDue } from './schedule.ts';

export const ROUND_MS = 60_000;
/** Alerts read every subscribed node's backlog: every ten minutes is soon enough for a day's count. */
export const ALERT_EVERY_ROUNDS = 10;

export type NotificationService = Periodic<void>;

export function startNotificationService(
  db: Db,
  config: ServerConfig & { mail: MailConfig },
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
  options: { clock?: () => Date; sender?: MailSender; intervalMs?: number } = {},
): NotificationService {
  const sender = options.sender ?? smtpSender(config.mail);
  const clock = options.clock ?? (() => new Date());
  let round = 0;
  const rounds = startPeriodic(
    async () => {
      const alerts = round++ % ALERT_EVERY_ROUNDS === 0;
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
    },
    undefined,
    options.intervalMs ?? ROUND_MS,
  );
  return {
    get last() {
      return rounds.last;
    },
    async stop() {
      await rounds.stop();
      sender.close();
    },
  };
}
