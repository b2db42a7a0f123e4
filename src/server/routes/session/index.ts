/** Dashboard login and logout: `POST/GET/DELETE /api/v1/session` with an HttpOnly cookie. */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../../auth/plugin.ts';
import { DEFAULT_LOGIN_LIMITS, reserveLoginAttempt, type LoginLimits } from '../../auth/login-throttle.ts';
import { SESSION_COOKIE, createSession, deleteSession } from '../../auth/sessions.ts';
import { parseScope } from '../../auth/scope.ts';
import { authenticate } from '../../auth/users.ts';
import type { Db } from '../../db/schema.ts';
import { z } from 'zod';
import { HttpError, zodIssues } from '../../http-error.ts';
import { isLoopback } from './loopback.ts';

export interface SessionRoutesOptions {
  db: Db;
  clock?: () => Date;
  /** Failed logins allowed per client address and minute (default 10). */
  loginsPerMinute?: number;
  /** Other limits of the login throttle (tests shorten them). */
  limits?: Partial<LoginLimits>;
  /** Cookie marked Secure over plain HTTP too (TLS ends at a proxy that does not say so). */
  secureCookies?: boolean;
  /** Logins accepted over plain HTTP from another machine. */
  allowHttpLogin?: boolean;
}

const LOGIN_FAILED =
  'Identifiant ou mot de passe incorrect (après 5 échecs depuis un même poste, les essais sont suspendus 15 minutes).';

const loginBody = z
  .object({ login: z.string().min(1).max(64), password: z.string().min(1).max(1024) })
  .strict();
const sessionAnswer = z.object({
  login: z.string(),
  scope: z.object({ level: z.enum(['national', 'department', 'service']), code: z.string().optional() }),
  csrfToken: z.string().describe('à renvoyer dans l’en-tête x-csrf-token des écritures'),
});

const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, options) => {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());
  const limits: LoginLimits = {
    ...DEFAULT_LOGIN_LIMITS,
    address: {
      ...DEFAULT_LOGIN_LIMITS.address,
      max: options.loginsPerMinute ?? DEFAULT_LOGIN_LIMITS.address.max,
    },
    ...options.limits,
  };
  const secureCookies = options.secureCookies ?? false;

  /**
   * A password and a session cookie sent over plain HTTP can be read on the way: refused unless the
   * browser is on this machine, the connection is HTTPS (here or at a trusted proxy), or the
   * administrator said so.
   */
  function requireSafeTransport(request: FastifyRequest): void {
    if (request.protocol === 'https' || secureCookies || options.allowHttpLogin) return;
    if (isLoopback(request.ip)) return;
    throw new HttpError(
      403,
      'https_required',
      'Connexion refusée en HTTP simple : ouvrez le tableau de bord en HTTPS (voir le guide du coordinateur, § 2.4). ' +
        'Derrière un mandataire HTTPS, déclarez-le dans SUIVI_TRUST_PROXY ; pour un essai sur un réseau sûr, SUIVI_ALLOW_HTTP_LOGIN=1.',
    );
  }

  app.post(
    '/api/v1/session',
    {
      config: {
        csrfExempt: true,
        access: 'public',
        openapi: {
          summary: 'Connexion au tableau de bord (cookie de session)',
          description:
            'Les essais sont comptés avant la vérification du mot de passe : 5 échecs d’un identifiant depuis une ' +
            'adresse suspendent cet identifiant depuis cette adresse 15 minutes (429 et Retry-After).',
          tag: 'session',
          body: loginBody,
          response: sessionAnswer,
          errors: { 401: 'Identifiant ou mot de passe incorrect', 403: 'Connexion refusée en HTTP simple' },
        },
      },
    },
    async (request, reply) => {
      requireSafeTransport(request);
      const parsed = loginBody.safeParse(request.body);
      if (!parsed.success)
        throw new HttpError(
          400,
          'invalid',
          'Requête invalide : voir details.',
          zodIssues(parsed.error.issues),
        );
      const body = parsed.data;
      const now = clock();
      const attempt = await reserveLoginAttempt(db, body.login, request.ip, now, limits);
      if (!attempt.allowed) {
        const minutes = Math.ceil(attempt.retryAfterMs / 60_000);
        reply.header('retry-after', String(Math.ceil(attempt.retryAfterMs / 1000)));
        return reply.code(429).send({
          error: 'rate_limited',
          message: `Trop de tentatives de connexion : réessayez dans ${minutes} minute${minutes > 1 ? 's' : ''}.`,
        });
      }
      const user = await authenticate(db, body.login, body.password);
      if (!user) return reply.code(401).send({ error: 'unauthorized', message: LOGIN_FAILED });
      await attempt.succeeded();
      // A previous session of this browser ends with the new login.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) await deleteSession(db, previous);
      const session = await createSession(db, user.login, now);
      reply.setCookie(SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'strict',
        secure: request.protocol === 'https' || secureCookies,
        path: '/',
        expires: session.expiresAt,
      });
      return { login: user.login, scope: parseScope(user.scope), csrfToken: session.csrfToken };
    },
  );

  // The auth plugin has already looked the cookie up.
  app.get(
    '/api/v1/session',
    {
      config: {
        access: 'public',
        openapi: {
          summary: 'Session en cours',
          tag: 'session',
          response: sessionAnswer,
          errors: { 401: 'Non connecté' },
        },
      },
    },
    async (request) => {
      const { principal, session } = request;
      if (!session || principal?.kind !== 'user') throw new AuthError(401, 'Non connecté.');
      return { login: principal.id, scope: principal.scope, csrfToken: session.csrfToken };
    },
  );

  // CSRF for this DELETE is checked by the auth plugin, like every cookie-authenticated write.
  app.delete(
    '/api/v1/session',
    { config: { access: 'public', openapi: { summary: 'Déconnexion', tag: 'session', status: 204 } } },
    async (request, reply: FastifyReply) => {
      const id = request.cookies[SESSION_COOKIE];
      if (id) await deleteSession(db, id);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send();
    },
  );
};

export default sessionRoutes;
