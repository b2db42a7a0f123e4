/** Dashboard login and logout: `POST/GET/DELETE /api/v1/session` with an HttpOnly cookie. */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../../auth/plugin.ts';
import { SESSION_COOKIE, createSession, deleteSession } from '../../auth/sessions.ts';
import { parseScope } from '../../auth/scope.ts';
import { authenticate } from '../../auth/users.ts';
import type { Db } from '../../db/schema.ts';
import { LoginLimiter } from './login-limiter.ts';

export interface SessionRoutesOptions {
  db: Db;
  clock?: () => Date;
  /** Failed logins allowed per client address and minute (default 10). */
  loginsPerMinute?: number;
}

const LOGIN_FAILED =
  'Identifiant ou mot de passe incorrect (après 5 échecs, le compte est verrouillé 15 minutes).';

const loginSchema = {
  body: {
    type: 'object',
    required: ['login', 'password'],
    additionalProperties: false,
    properties: {
      login: { type: 'string', minLength: 1, maxLength: 64 },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
    },
  },
} as const;

function secureCookie(request: FastifyRequest): boolean {
  return request.protocol === 'https' || process.env['SUIVI_SECURE_COOKIES'] === '1';
}

const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, options) => {
  const { db } = options;
  const clock = options.clock ?? (() => new Date());
  const limiter = new LoginLimiter(options.loginsPerMinute ?? 10, 60_000);

  app.post<{ Body: { login: string; password: string } }>(
    '/api/v1/session',
    { schema: loginSchema, config: { csrfExempt: true } },
    async (request, reply) => {
      const now = clock();
      const wait = limiter.wait(request.ip, now.getTime());
      if (wait > 0) {
        reply.header('retry-after', String(Math.ceil(wait / 1000)));
        return reply.code(429).send({
          error: 'rate_limited',
          message: 'Trop de tentatives de connexion : réessayez dans une minute.',
        });
      }
      const user = await authenticate(db, request.body.login, request.body.password, now);
      if (!user) {
        limiter.fail(request.ip, now.getTime());
        return reply.code(401).send({ error: 'unauthorized', message: LOGIN_FAILED });
      }
      // A previous session of this browser ends with the new login.
      const previous = request.cookies[SESSION_COOKIE];
      if (previous) await deleteSession(db, previous);
      const session = await createSession(db, user.login, now);
      reply.setCookie(SESSION_COOKIE, session.id, {
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookie(request),
        path: '/',
        expires: session.expiresAt,
      });
      return { login: user.login, scope: parseScope(user.scope), csrfToken: session.csrfToken };
    },
  );

  // The auth plugin has already looked the cookie up.
  app.get('/api/v1/session', async (request) => {
    const { principal, session } = request;
    if (!session || principal?.kind !== 'user') throw new AuthError(401, 'Non connecté.');
    return { login: principal.id, scope: principal.scope, csrfToken: session.csrfToken };
  });

  // CSRF for this DELETE is checked by the auth plugin, like every cookie-authenticated write.
  app.delete('/api/v1/session', async (request, reply: FastifyReply) => {
    const id = request.cookies[SESSION_COOKIE];
    if (id) await deleteSession(db, id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });
};

export default sessionRoutes;
