/** Subscriptions of users to a directory node's digest and alerts: saving, listing, removal, access. */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Level } from '../../core/protocol.ts';
import { parseScope } from '../auth/scope.ts';
import type { Selectable } from 'kysely';
import type { Db, NotificationSubscriptionTable } from '../db/schema.ts';
import { HttpError } from '../http-error.ts';
import { resolveSubject, type Subject } from '../stats/subject.ts';

export interface Subscription {
  id: string;
  login: string;
  email: string;
  level: Level;
  subjectId: string;
  digest: boolean;
  /** Instant the digest was turned on (a digest due earlier is not sent); null: off. */
  digestSince: string | null;
  alertThreshold: number | null;
  alertAbove: boolean;
  token: string;
  createdAt: string;
  updatedAt: string;
}

export interface SubscriptionInput {
  login: string;
  email: string;
  level: Level;
  subjectId: string;
  digest: boolean;
  alertThreshold: number | null;
  now: Date;
}

type Row = Selectable<NotificationSubscriptionTable>;

function fromRow(r: Row): Subscription {
  return {
    id: r.id,
    login: r.login,
    email: r.email,
    level: r.level as Level,
    subjectId: r.subject_id,
    digest: r.digest_since !== null,
    digestSince: r.digest_since,
    alertThreshold: r.alert_threshold === null ? null : Number(r.alert_threshold),
    alertAbove: Number(r.alert_above) === 1,
    token: r.token,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function listSubscriptions(db: Db, login?: string): Promise<Subscription[]> {
  let q = db.selectFrom('notification_subscriptions').selectAll();
  if (login !== undefined) q = q.where('login', '=', login);
  const rows = await q.orderBy('login').orderBy('level').orderBy('subject_id').execute();
  return rows.map(fromRow);
}

export async function findSubscription(db: Db, id: string): Promise<Subscription | null> {
  const row = await db
    .selectFrom('notification_subscriptions')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? fromRow(row) : null;
}

/**
 * The directory node as the user may see it now, or null when the user is gone or the node is no
 * longer within their scope (moved, removed, scope narrowed): nothing is then sent about it.
 */
export async function subjectForUser(
  db: Db,
  login: string,
  level: Level,
  subjectId: string,
): Promise<Subject | null> {
  const user = await db.selectFrom('users').select('scope').where('login', '=', login).executeTakeFirst();
  if (!user) return null;
  try {
    return await resolveSubject(db, level, subjectId, parseScope(user.scope));
  } catch (error) {
    if (error instanceof HttpError && (error.statusCode === 403 || error.statusCode === 404)) return null;
    throw error;
  }
}

/**
 * Creates or updates the user's subscription to one node (one per user and node). Turning the
 * digest on dates it from now; a changed threshold starts below it, so the next check may alert.
 */
export async function saveSubscription(db: Db, input: SubscriptionInput): Promise<Subscription> {
  const now = input.now.toISOString();
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('notification_subscriptions')
      .selectAll()
      .where('login', '=', input.login)
      .where('level', '=', input.level)
      .where('subject_id', '=', input.subjectId)
      .executeTakeFirst();
    if (existing) {
      const digestSince = input.digest ? (existing.digest_since ?? now) : null;
      const thresholdChanged = Number(existing.alert_threshold ?? -1) !== (input.alertThreshold ?? -1);
      await trx
        .updateTable('notification_subscriptions')
        .set({
          email: input.email,
          digest_since: digestSince,
          alert_threshold: input.alertThreshold,
          ...(thresholdChanged ? { alert_above: 0 } : {}),
          updated_at: now,
        })
        .where('id', '=', existing.id)
        .execute();
      const row = await trx
        .selectFrom('notification_subscriptions')
        .selectAll()
        .where('id', '=', existing.id)
        .executeTakeFirstOrThrow();
      return fromRow(row);
    }
    const row = {
      id: randomUUID(),
      login: input.login,
      email: input.email,
      level: input.level,
      subject_id: input.subjectId,
      digest_since: input.digest ? now : null,
      alert_threshold: input.alertThreshold,
      alert_above: 0,
      token: randomBytes(24).toString('base64url'),
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto('notification_subscriptions').values(row).execute();
    return fromRow(row);
  });
}

/** Removes a subscription (the user's own when `login` is given) and cancels its messages not yet sent. */
export async function removeSubscription(
  db: Db,
  where: { id: string; login?: string } | { token: string },
): Promise<Subscription | null> {
  return db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('notification_subscriptions').selectAll();
    if ('token' in where) q = q.where('token', '=', where.token);
    else {
      q = q.where('id', '=', where.id);
      if (where.login !== undefined) q = q.where('login', '=', where.login);
    }
    const row = await q.executeTakeFirst();
    if (!row) return null;
    await trx.deleteFrom('notification_subscriptions').where('id', '=', row.id).execute();
    await trx
      .updateTable('notification_outbox')
      .set({ status: 'cancelled', last_error: 'désabonnement', lease_until: null })
      .where('subscription_id', '=', row.id)
      .where('status', '=', 'pending')
      .execute();
    return fromRow(row);
  });
}

/** Records whether the last alert check found the « en retard » count at or above the threshold. */
export async function setAlertAbove(db: Db, id: string, above: boolean): Promise<void> {
  await db
    .updateTable('notification_subscriptions')
    .set({ alert_above: above ? 1 : 0 })
    .where('id', '=', id)
    .execute();
}
