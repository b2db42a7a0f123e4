/**
 * Authentication for every route: resolves `request.principal` from a bearer token or the session
 * cookie, enforces CSRF on cookie-authenticated writes, and offers the checks routes call.
 */
import { timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Db } from '../db/schema.ts';
import { canSee, parseScope, type Placement, type Principal, type Scope } from './scope.ts';
import { SESSION_COOKIE, findSession } from './sessions.ts';
import { principalForToken } from './tokens.ts';

export { canSee };
export type { Placement, Principal, Scope };

export interface AuthOptions {
  db: Db;
  clock?: () => Date;
}

/** A 401/403 with a French message meant for the caller. */
export class AuthError extends Error {
  readonly statusCode: 401 | 403;
  readonly code: 'unauthorized' | 'forbidden' | 'csrf';
  constructor(statusCode: 401 | 403, message: string, code?: 'csrf') {
    super(message);
    this.name = 'AuthError';
    this.statusCode = statusCode;
    this.code = code ?? (statusCode === 401 ? 'unauthorized' : 'forbidden');
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Set when the principal came from the session cookie. */
    session: { id: string; csrfToken: string } | null;
    /** Why a presented credential was refused (for the 401 message). */
    authProblem: string | null;
  }
  interface FastifyContextConfig {
    /** The login route: no session yet, hence no CSRF token to check. */
    csrfExempt?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const plugin: FastifyPluginAsync<AuthOptions> = async (app: FastifyInstance, options: AuthOptions) => {
  const clock = options.clock ?? (() => new Date());
  if (!app.hasDecorator('parseCookie')) await app.register(fastifyCookie);
  app.decorateRequest('principal', null);
  app.decorateRequest('session', null);
  app.decorateRequest('authProblem', null);

  app.addHook('onRequest', async (request) => {
    request.principal = null;
    request.session = null;
    request.authProblem = null;
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const principal = match?.[1] ? await principalForToken(options.db, match[1]) : null;
      if (principal) request.principal = principal;
      else request.authProblem = 'Jeton inconnu, révoqué ou mal formé.';
      return;
    }
    const sessionId = request.cookies[SESSION_COOKIE];
    if (sessionId) {
      const session = await findSession(options.db, sessionId, clock());
      if (!session) {
        request.authProblem = 'Session expirée : reconnectez-vous.';
        return;
      }
      request.principal = {
        kind: 'user',
        id: session.login,
        scope: parseScope(session.scope),
        canWrite: true,
      };
      request.session = { id: sessionId, csrfToken: session.csrfToken };
    }
  });

  // preParsing: refused before a (possibly large) body is read.
  app.addHook('preParsing', async (request, _reply, payload) => {
    if (!request.session || SAFE_METHODS.has(request.method) || request.routeOptions.config.csrfExempt)
      return payload;
    const sent = request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameSecret(sent, request.session.csrfToken)) {
      throw new AuthError(403, 'Jeton CSRF manquant ou invalide (en-tête x-csrf-token).', 'csrf');
    }
    return payload;
  });
};
// Same effect as fastify-plugin: the decorators and hooks apply to the whole application.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'suivi-auth';
export const registerAuth = plugin;

function authenticated(request: FastifyRequest): Principal {
  if (!request.principal) {
    throw new AuthError(
      401,
      request.authProblem ?? 'Authentification requise : jeton (Authorization: Bearer) ou session.',
    );
  }
  return request.principal;
}

/** The caller may upload tallies: a token created without `--read`. */
export function requireIngest(request: FastifyRequest): Principal {
  const principal = authenticated(request);
  if (principal.kind !== 'token' || !principal.canWrite) {
    throw new AuthError(403, 'Ce jeton ne permet pas l’envoi de données (jeton d’envoi requis).');
  }
  return principal;
}

/** The caller may read statistics: a logged-in user or a token created with `--read`. */
export function requireRead(request: FastifyRequest): Principal {
  const principal = authenticated(request);
  if (principal.kind === 'token' && principal.canWrite) {
    throw new AuthError(
      403,
      'Ce jeton sert à l’envoi de données ; la lecture demande un jeton créé avec --read.',
    );
  }
  return principal;
}

/** A logged-in user (or read token) of national scope. */
export function requireNational(request: FastifyRequest): Principal {
  const principal = requireRead(request);
  if (principal.scope.level !== 'national')
    throw new AuthError(403, 'Réservé aux utilisateurs de portée nationale.');
  return principal;
}

/** Throws 403 unless the principal's scope covers the placement. */
export function requireSee(principal: Principal, placement: Placement, what = 'cet élément'): void {
  if (!canSee(principal.scope, placement))
    throw new AuthError(403, `Accès refusé : ${what} est hors de votre périmètre.`);
}
