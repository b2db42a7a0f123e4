/**
 * The outbox: every notification is written here, rendered, before any attempt; delivery claims a
 * row (one instance at a time), checks that its reader still may see it, sends, and records the
 * outcome — retried with backoff while the relay refuses or is down, never sent again once accepted.
 */
import { createHash } from 'node:crypto';
import type { Db, NotificationOutboxTable } from '../db/schema.ts';
import type { MailConfig } from './config.ts';
import { describeFailure, isPermanentFailure, isRelayFailure, type MailSender } from './mailer.ts';
import { findSubscription, subjectForUser } from './subscriptions.ts';
import type { Level } from '../../core/protocol.ts';

/** Retry delays: one minute, doubled at each failure, at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(60_000 * 2 ** Math.max(0, attempts - 1), 60 * 60_000);
}

/** A message still unsent this long after it was due is dropped (marked failed): it says nothing current. */
export const MAX_AGE_MS = 7 * 24 * 60 * 60_000;

/** How long a claimed row belongs to the instance sending it; then another may try (same Message-ID). */
export const LEASE_MS = 5 * 60_000;

/** Rows attempted per delivery round. */
const ROUND = 50;

export type NewOutboxRow = Pick<
  NotificationOutboxTable,
  | 'id'
  | 'subscription_id'
  | 'login'
  | 'email'
  | 'kind'
  | 'level'
  | 'subject_id'
  | 'period'
  | 'mail_subject'
  | 'text_body'
  | 'html_body'
>;

export function unsubscribeUrl(mail: MailConfig, token: string): string {
  return `${mail.publicUrl}/api/v1/notifications/unsubscribe?t=${encodeURIComponent(token)}`;
}

export function dashboardUrl(
  mail: MailConfig,
  level: Level,
  id: string,
  period?: { from: string; to: string },
): string {
  const q = new URLSearchParams({ level, id });
  if (period) {
    q.set('from', period.from);
    q.set('to', period.to);
  }
  return `${mail.publicUrl}/#/stats?${q.toString()}`;
}

function messageIdFor(id: string, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'suivi-balf.invalid';
  return `<${createHash('sha256').update(id).digest('hex').slice(0, 32)}@${domain}>`;
}

/** True when a row with this id exists, whatever its state (a period's message is made once). */
export async function outboxHas(db: Db, id: string): Promise<boolean> {
  return (
    (await db.selectFrom('notification_outbox').select('id').where('id', '=', id).executeTakeFirst()) !==
    undefined
  );
}

/** Adds a message due now; false when one with the same id already exists (another instance, a rerun). */
export async function enqueue(db: Db, row: NewOutboxRow, mail: MailConfig, now: Date): Promise<boolean> {
  const result = await db
    .insertInto('notification_outbox')
    .values({
      ...row,
      status: 'pending',
      attempts: 0,
      next_attempt_at: now.toISOString(),
      lease_until: null,
      last_error: null,
      message_id: messageIdFor(row.id, mail.from),
      created_at: now.toISOString(),
      sent_at: null,
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

export interface DeliveryReport {
  sent: number;
  retried: number;
  failed: number;
  cancelled: number;
}

/** Takes the row for this instance if it is due and nobody holds it; false when another got it first. */
async function claim(db: Db, id: string, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const result = await db
    .updateTable('notification_outbox')
    .set((eb) => ({
      status: 'sending',
      lease_until: new Date(now.getTime() + LEASE_MS).toISOString(),
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', id)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', at)]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

async function finish(
  db: Db,
  id: string,
  set: Partial<Pick<NotificationOutboxTable, 'status' | 'next_attempt_at' | 'last_error' | 'sent_at'>>,
): Promise<void> {
  await db
    .updateTable('notification_outbox')
    .set({ ...set, lease_until: null })
    .where('id', '=', id)
    .where('status', '=', 'sending')
    .execute();
}

/**
 * One delivery round over the rows due at `now`. A failure of the relay itself (down, TLS, login)
 * ends the round: the other rows would fail alike, and keep their turn for the next round.
 */
export async function deliverDue(
  db: Db,
  sender: MailSender,
  mail: MailConfig,
  now: Date,
): Promise<DeliveryReport> {
  const report: DeliveryReport = { sent: 0, retried: 0, failed: 0, cancelled: 0 };
  const at = now.toISOString();
  const due = await db
    .selectFrom('notification_outbox')
    .selectAll()
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', at)]),
      ]),
    )
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(ROUND)
    .execute();
  for (const row of due) {
    if (!(await claim(db, row.id, now))) continue;
    const subscription = await findSubscription(db, row.subscription_id);
    const stillVisible =
      subscription !== null &&
      (await subjectForUser(db, subscription.login, row.level as Level, row.subject_id)) !== null;
    if (!subscription || !stillVisible) {
      await finish(db, row.id, {
        status: 'cancelled',
        last_error: subscription ? 'nœud hors du périmètre de l’utilisateur' : 'abonnement supprimé',
      });
      report.cancelled++;
      continue;
    }
    if (now.getTime() - Date.parse(row.created_at) > MAX_AGE_MS) {
      await finish(db, row.id, {
        status: 'failed',
        last_error: `abandonné : non remis en 7 jours (${row.last_error ?? 'aucune tentative aboutie'})`,
      });
      report.failed++;
      continue;
    }
    try {
      await sender.send({
        to: subscription.email,
        subject: row.mail_subject,
        text: row.text_body,
        html: row.html_body,
        messageId: row.message_id,
        unsubscribeUrl: unsubscribeUrl(mail, subscription.token),
      });
      await finish(db, row.id, { status: 'sent', sent_at: now.toISOString(), last_error: null });
      report.sent++;
    } catch (error) {
      if (isPermanentFailure(error)) {
        await finish(db, row.id, { status: 'failed', last_error: describeFailure(error) });
        report.failed++;
        continue;
      }
      const attempts = Number(row.attempts) + 1;
      await finish(db, row.id, {
        status: 'pending',
        next_attempt_at: new Date(now.getTime() + backoffMs(attempts)).toISOString(),
        last_error: describeFailure(error),
      });
      report.retried++;
      if (isRelayFailure(error)) break;
    }
  }
  return report;
}
