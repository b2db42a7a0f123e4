/**
 * « Mes notifications »: a logged-in user's subscriptions to the weekly digest and « en retard »
 * alerts of the nodes within their scope, and the one-click unsubscribe link of every message
 * (RFC 8058: a POST from the mail client, no session; a GET only shows a confirmation button).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { levels } from '../../../core/protocol.ts';
import { requireUser } from '../../auth/plugin.ts';
import type { ServerConfig } from '../../config.ts';
import type { Db } from '../../db/schema.ts';
import { HttpError, zodIssues } from '../../http-error.ts';
import { MAIL_OFF_REASON } from '../../notifications/config.ts';
import {
  listSubscriptions,
  removeSubscription,
  saveSubscription,
  subjectForUser,
  type Subscription,
} from '../../notifications/subscriptions.ts';
import { resolveSubject } from '../../stats/subject.ts';
import { subjectIdOf } from '../../stats/params.ts';

export interface NotificationRouteOptions {
  db: Db;
  clock: () => Date;
  config: ServerConfig;
}

const subscriptionSchema = z.object({
  id: z.string(),
  level: z.enum(levels),
  subjectId: z.string(),
  label: z.string().describe('nom du nœud ; « (hors de votre périmètre) » quand il ne l’est plus'),
  email: z.string(),
  digest: z.boolean(),
  alertThreshold: z.number().int().nullable(),
  inScope: z.boolean(),
});

const listAnswer = z.object({
  enabled: z.boolean(),
  /** Why e-mail is off; null when on. */
  reason: z.string().nullable(),
  subscriptions: z.array(subscriptionSchema),
});

const saveBody = z
  .object({
    level: z.enum(levels, { message: `niveau inconnu (attendu : ${levels.join(', ')})` }),
    id: z.string().trim().min(1).max(254).optional(),
    email: z.email({ message: 'adresse électronique invalide' }).max(254),
    digest: z.boolean(),
    alertThreshold: z
      .number()
      .int({ message: 'nombre entier attendu' })
      .min(1, { message: 'au moins 1 (null : pas d’alerte)' })
      .max(1_000_000)
      .nullable(),
  })
  .strict();

const tokenQuery = z.object({
  t: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'lien de désabonnement invalide'),
});

const ERROR = 'Abonnement invalide.';

function unsubscribeToken(query: unknown): string {
  const parsed = tokenQuery.safeParse(query);
  if (!parsed.success)
    throw new HttpError(
      400,
      'invalid_query',
      'Lien de désabonnement invalide.',
      zodIssues(parsed.error.issues),
    );
  return parsed.data.t;
}

async function describe(db: Db, s: Subscription) {
  const subject = await subjectForUser(db, s.login, s.level, s.subjectId);
  return {
    id: s.id,
    level: s.level,
    subjectId: s.subjectId,
    label: subject?.name ?? `${s.subjectId} (hors de votre périmètre)`,
    email: s.email,
    digest: s.digest,
    alertThreshold: s.alertThreshold,
    inScope: subject !== null,
  };
}

function htmlPage(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title} — Suivi BALF</title></head><body><main><h1>${title}</h1>${body}</main></body></html>\n`;
}

export default async function notificationRoutes(
  app: FastifyInstance,
  { db, clock, config }: NotificationRouteOptions,
): Promise<void> {
  // RFC 8058 mail clients post `List-Unsubscribe=One-Click` as a form; the token in the URL decides.
  for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data'])
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) =>
      done(null, body),
    );

  app.get(
    '/api/v1/notifications/subscriptions',
    {
      config: {
        access: 'user',
        openapi: {
          summary: 'Mes notifications : mes abonnements à la synthèse hebdomadaire et aux alertes',
          description:
            'enabled=false (avec reason) quand le serveur n’a pas de relais SMTP (SUIVI_SMTP_URL).',
          tag: 'notifications',
          response: listAnswer,
        },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const subscriptions = await listSubscriptions(db, principal.id);
      return {
        enabled: config.mail !== null,
        reason: config.mail ? null : MAIL_OFF_REASON,
        subscriptions: await Promise.all(subscriptions.map((s) => describe(db, s))),
      };
    },
  );

  app.put(
    '/api/v1/notifications/subscriptions',
    {
      config: {
        access: 'user',
        openapi: {
          summary: 'S’abonner à un nœud de mon périmètre, ou changer cet abonnement',
          description:
            'Un abonnement par utilisateur et par nœud. digest : synthèse du lundi 7 h (fuseau du nœud). ' +
            'alertThreshold : alerte quand le nombre de messages « en retard » atteint ce seuil (une par jour au ' +
            'plus) ; null : pas d’alerte. 409 quand le serveur n’envoie pas de courriel.',
          tag: 'notifications',
          body: saveBody,
          response: subscriptionSchema,
          errors: { 404: 'Nœud inconnu ou hors du périmètre', 409: 'Courriels désactivés sur ce serveur' },
        },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      if (!config.mail) throw new HttpError(409, 'notifications_disabled', MAIL_OFF_REASON);
      const parsed = saveBody.safeParse(request.body);
      if (!parsed.success) throw new HttpError(400, 'invalid_body', ERROR, zodIssues(parsed.error.issues));
      const b = parsed.data;
      const id = subjectIdOf(b.level, b.id, (path, message) => {
        throw new HttpError(400, 'invalid_body', ERROR, [{ path, message }]);
      });
      const subject = await resolveSubject(db, b.level, id, principal.scope);
      if (!b.digest && b.alertThreshold === null)
        throw new HttpError(400, 'invalid_body', ERROR, [
          { path: 'digest', message: 'ni synthèse ni alerte : supprimez plutôt l’abonnement' },
        ]);
      const saved = await saveSubscription(db, {
        login: principal.id,
        email: b.email,
        level: subject.level,
        subjectId: subject.id,
        digest: b.digest,
        alertThreshold: b.alertThreshold,
        now: clock(),
      });
      request.log.info(
        { by: principal.id, subscription: saved.id },
        'abonnement aux notifications enregistré',
      );
      return describe(db, saved);
    },
  );

  app.delete<{ Querystring: { id?: string } }>(
    '/api/v1/notifications/subscriptions',
    {
      config: {
        access: 'user',
        openapi: {
          summary: 'Supprimer un de mes abonnements (les messages non encore envoyés sont annulés)',
          tag: 'notifications',
          query: z.object({ id: z.string() }),
          response: z.object({ id: z.string(), removed: z.literal(true) }),
          errors: { 404: 'Abonnement inconnu (ou d’un autre utilisateur)' },
        },
      },
    },
    async (request) => {
      const principal = requireUser(request);
      const id = request.query.id ?? '';
      const removed = id ? await removeSubscription(db, { id, login: principal.id }) : null;
      if (!removed)
        throw new HttpError(404, 'not_found', `Abonnement introuvable : ${id || '(id manquant)'}.`);
      return { id, removed: true as const };
    },
  );

  const unsubscribeDoc = {
    tag: 'notifications',
    query: tokenQuery,
    response: { contentType: 'text/html', description: 'page de confirmation en français' },
  };

  app.get<{ Querystring: { t?: string } }>(
    '/api/v1/notifications/unsubscribe',
    {
      config: {
        access: 'public',
        openapi: {
          ...unsubscribeDoc,
          summary:
            'Lien de désabonnement ouvert dans un navigateur : demande confirmation (ne désabonne pas)',
        },
      },
    },
    async (request, reply) => {
      const token = unsubscribeToken(request.query);
      // A link preview or a security scanner fetching the URL must not unsubscribe: only the POST does.
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          htmlPage(
            'Se désabonner',
            '<p>Vous ne recevrez plus les courriels de cet abonnement (synthèse hebdomadaire et alertes).</p>' +
              `<form method="post" action="?t=${encodeURIComponent(token)}">` +
              '<input type="hidden" name="List-Unsubscribe" value="One-Click">' +
              '<button type="submit">Confirmer le désabonnement</button></form>',
          ),
        );
    },
  );

  app.post<{ Querystring: { t?: string } }>(
    '/api/v1/notifications/unsubscribe',
    {
      config: {
        access: 'public',
        // Sent by the recipient's mail client, with no session: the secret token is the authority.
        csrfExempt: true,
        openapi: {
          ...unsubscribeDoc,
          summary: 'Désabonnement en un clic (RFC 8058, corps List-Unsubscribe=One-Click)',
          description:
            'Répond 200 même pour un abonnement déjà supprimé (un client de messagerie peut renvoyer la requête).',
          body: {
            contentType: 'application/x-www-form-urlencoded',
            description: 'List-Unsubscribe=One-Click',
          },
        },
      },
    },
    async (request, reply) => {
      const token = unsubscribeToken(request.query);
      const removed = await removeSubscription(db, { token });
      if (removed)
        request.log.info({ login: removed.login, subscription: removed.id }, 'désabonnement en un clic');
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          htmlPage(
            'Désabonnement effectué',
            removed
              ? '<p>Vous êtes désabonné(e) : vous ne recevrez plus ces courriels. Vous pouvez vous réabonner depuis le tableau de bord.</p>'
              : '<p>Cet abonnement n’existe plus : vous ne recevez plus ces courriels.</p>',
          ),
        );
    },
  );
}
