/**
 * E-mail notifications (issue 26): who subscribed to which directory node's weekly digest and
 * « en retard » alerts (`notification_subscriptions`), and every message due or sent with its
 * attempts (`notification_outbox`), so that a relay that is down loses nothing and a message is
 * sent once whatever the number of server instances.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('notification_subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('login', 'text', (c) => c.notNull().references('users.login').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    /** Instant the weekly digest was turned on; null: off. A digest due before it is not sent. */
    .addColumn('digest_since', 'text')
    /** « En retard » count from which an alert is sent; null: no alert. */
    .addColumn('alert_threshold', 'integer')
    /** 1 when the last check found the count at or above the threshold (an alert fires on the crossing). */
    .addColumn('alert_above', 'integer', (c) => c.notNull().defaultTo(0))
    /** Secret of the one-click unsubscribe link (List-Unsubscribe). */
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('notification_subscriptions_subject', ['login', 'level', 'subject_id'])
    .execute();
  await db.schema
    .createTable('notification_outbox')
    /** `digest:<subscription>:<week>` or `alert:<subscription>:<day>`: one message per period, ever. */
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull())
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('mail_subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text', (c) => c.notNull())
    /** pending, sending, sent, failed (permanently refused or too old), cancelled (access or subscription gone). */
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text', (c) => c.notNull())
    /** While `sending`: until when the instance that claimed it owns it. */
    .addColumn('lease_until', 'text')
    .addColumn('last_error', 'text')
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .execute();
  await db.schema
    .createIndex('notification_outbox_due')
    .on('notification_outbox')
    .columns(['status', 'next_attempt_at'])
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('notification_outbox').ifExists().execute();
  await db.schema.dropTable('notification_subscriptions').ifExists().execute();
}
