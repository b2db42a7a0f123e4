/**
 * Authentication for every route: resolves `request.principal` from a bearer token or the session
 * cookie, enforces the access each route declares (`config.access`) before its body is read,
 * enforces CSRF on cookie-authenticated writes, and offers the checks handlers call.
 */
import { timingSafeEqual } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Db } from '../db/schema.ts';
import { canSee, notFoundInScope, parseScope, type Placement, type Principal, type Scope } from './scope.ts';
import { SESSION_COOKIE, findSession } from './sessions.ts';
import { principalForToken } from './tokens.ts';

export { canSee, notFoundInScope };
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
    /** Who may call the route, checked as soon as the headers are read (required under /api/). */
    access?: Access;
  }
}

/**
 * What a route requires of its caller: `ingest` an upload token, `read` a user or read token,
 * `user` a logged-in user, `national` one of national scope, `national-user` a logged-in national
 * user, `public` nothing.
 */
export type Access = 'public' | 'ingest' | 'read' | 'user' | 'national' | 'national-user';

const CHECKS: Record<Exclude<Access, 'public'>, (request: FastifyRequest) => Principal> = {
  ingest: (request) => requireIngest(request),
  read: (request) => requireRead(request),
  user: (request) => requireUser(request),
  national: (request) => requireNational(request),
  'national-user': (request) => requireNationalUser(request),
};

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

  // An API route that says nothing of its access would be open by mistake: refused at start.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.config?.access === undefined) {
      throw new Error(
        `Route ${String(route.method)} ${route.url} : config.access manquant (voir auth/plugin.ts).`,
      );
    }
  });

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

  // Before the body is read: a large upload from an unknown caller, or a forged cross-site write,
  // costs nothing.
  app.addHook('onRequest', async (request, reply) => {
    if (request.session && !SAFE_METHODS.has(request.method) && !request.routeOptions.config?.csrfExempt) {
      const sent = request.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, request.session.csrfToken))
        throw new AuthError(403, 'Jeton CSRF manquant ou invalide (en-tête x-csrf-token).', 'csrf');
    }
    const access = request.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;
    try {
      CHECKS[access](request);
    } catch (error) {
      if (error instanceof AuthError && error.statusCode === 401)
        reply.header('www-authenticate', 'Bearer realm="suivi-balf"');
      throw error;
    }
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

/** A logged-in user (dashboard session), of any scope: writes that a token must not make. */
export function requireUser(request: FastifyRequest): Principal {
  const principal = authenticated(request);
  if (principal.kind !== 'user')
    throw new AuthError(403, 'Réservé aux utilisateurs connectés au tableau de bord (pas aux jetons).');
  return principal;
}

/** A logged-in user of national scope (not a token: e.g. the directory import). */
export function requireNationalUser(request: FastifyRequest): Principal {
  const principal = requireNational(request);
  if (principal.kind !== 'user')
    throw new AuthError(
      403,
      'Réservé aux utilisateurs nationaux connectés au tableau de bord (pas aux jetons).',
    );
  return principal;
}

/** Throws `notFoundInScope` unless the placement is known and within the principal's scope. */
export function requireVisible(principal: Principal, placement: Placement | null, what: string): void {
  if (placement === null || !canSee(principal.scope, placement)) throw notFoundInScope(what);
}
