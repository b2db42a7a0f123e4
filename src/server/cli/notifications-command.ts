/** `suivi-balf notifications list|outbox`: who is subscribed to what, and every message with its attempts. */
import { parseArgs } from 'node:util';
import { listSubscriptions } from '../notifications/subscriptions.ts';
import { MAIL_OFF_REASON, parseMailConfig, redactSmtpUrl } from '../notifications/config.ts';
import { parsePublicUrl } from '../config.ts';
import { UsageError, table, withDatabase, type Io } from './support.ts';

const STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;

function mailState(io: Io): string {
  try {
    const mail = parseMailConfig(io.env, parsePublicUrl(io.env['SUIVI_PUBLIC_URL']));
    return mail
      ? `Relais SMTP : ${redactSmtpUrl(mail.smtpUrl)}, expéditeur ${mail.from}.\n`
      : `${MAIL_OFF_REASON}\n`;
  } catch (e) {
    return `Configuration des courriels invalide : ${(e as Error).message}\n`;
  }
}

export async function notificationsCommand(args: string[], io: Io): Promise<number> {
  const [action, ...rest] = args;
  if (action === 'list') {
    const { values } = parseArgs({
      args: rest,
      options: { db: { type: 'string' }, login: { type: 'string' } },
    });
    const subs = await withDatabase(values.db, io, ({ db }) => listSubscriptions(db, values.login));
    io.err(mailState(io));
    if (subs.length === 0) io.out('Aucun abonnement.\n');
    else
      io.out(
        table(
          ['id', 'identifiant', 'adresse', 'niveau', 'nœud', 'synthèse', 'seuil d’alerte', 'créé'],
          subs.map((s) => [
            s.id,
            s.login,
            s.email,
            s.level,
            s.subjectId,
            s.digest ? 'oui' : 'non',
            s.alertThreshold === null ? '' : String(s.alertThreshold),
            s.createdAt,
          ]),
        ),
      );
    return 0;
  }
  if (action === 'outbox') {
    const { values } = parseArgs({
      args: rest,
      options: { db: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } },
    });
    const status = values.status;
    if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
      throw new UsageError(`État inconnu « ${status} » : ${STATUSES.join(', ')}.`);
    const limit = values.limit === undefined ? 100 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw new UsageError('--limit : un entier positif est attendu.');
    const rows = await withDatabase(values.db, io, ({ db }) => {
      let q = db
        .selectFrom('notification_outbox')
        .select([
          'id',
          'kind',
          'email',
          'status',
          'attempts',
          'next_attempt_at',
          'sent_at',
          'last_error',
          'created_at',
        ])
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(limit);
      if (status !== undefined) q = q.where('status', '=', status as (typeof STATUSES)[number]);
      return q.execute();
    });
    io.err(mailState(io));
    if (rows.length === 0) io.out('Aucun message.\n');
    else
      io.out(
        table(
          [
            'message',
            'type',
            'destinataire',
            'état',
            'essais',
            'prochain essai',
            'envoyé',
            'dernière erreur',
          ],
          rows.map((r) => [
            r.id,
            r.kind === 'digest' ? 'synthèse' : 'alerte',
            r.email,
            r.status,
            String(r.attempts),
            r.status === 'pending' ? r.next_attempt_at : '',
            r.sent_at ?? '',
            (r.last_error ?? '').replace(/\s+/g, ' '),
          ]),
        ),
      );
    return 0;
  }
  throw new UsageError(
    'Usage : suivi-balf notifications list [--login ID] | notifications outbox [--status ÉTAT] [--limit N]',
  );
}
