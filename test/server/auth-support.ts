// A minimal app for the auth tests: the auth plugin, session and directory routes, two probes.
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { registerAuth, requireIngest, requireRead } from '../../src/server/auth/plugin.ts';
import type { LoginLimits } from '../../src/server/auth/login-throttle.ts';
import { hashPassword } from '../../src/server/auth/password.ts';
import { formatScope, type Scope } from '../../src/server/auth/scope.ts';
import type { Db } from '../../src/server/db/schema.ts';
import { recomputeHooks } from '../../src/server/directory/import.ts';
import directoryRoutes from '../../src/server/routes/directory/index.ts';
import sessionRoutes from '../../src/server/routes/session/index.ts';

export async function authApp(
  db: Db,
  clock: () => Date,
  options: {
    loginsPerMinute?: number;
    limits?: Partial<LoginLimits>;
    secureCookies?: boolean;
    allowHttpLogin?: boolean;
    trustProxy?: string[];
    onBalfChanged?: (db: Db, balf: string) => Promise<void>;
  } = {},
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, ...(options.trustProxy ? { trustProxy: options.trustProxy } : {}) });
  await app.register(registerAuth, { db, clock });
  await app.register(sessionRoutes, {
    db,
    clock,
    loginsPerMinute: options.loginsPerMinute ?? 1000,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.secureCookies ? { secureCookies: true } : {}),
    ...(options.allowHttpLogin ? { allowHttpLogin: true } : {}),
  });
  await app.register(directoryRoutes, {
    db,
    clock,
    ...(options.onBalfChanged
      ? { hooks: { ...recomputeHooks(), onBalfChanged: options.onBalfChanged } }
      : {}),
  });
  app.get('/probe/read', async (request) => ({ principal: requireRead(request) }));
  app.post('/probe/ingest', async (request) => ({ principal: requireIngest(request) }));
  app.post('/probe/write', async (request) => ({ principal: requireRead(request) }));
  app.get('/probe/ip', async (request) => ({ ip: request.ip, protocol: request.protocol }));
  return app;
}

export const PASSWORD = 'correct horse battery';

// scrypt is deliberately slow: hash the shared test password once per file.
let passwordHash: Promise<string> | undefined;

export async function user(db: Db, login: string, scope: Scope): Promise<void> {
  passwordHash ??= hashPassword(PASSWORD);
  await db
    .insertInto('users')
    .values({
      login,
      password_hash: await passwordHash,
      scope: formatScope(scope),
      created_at: '2025-01-01T00:00:00.000Z',
      failed_attempts: 0,
      locked_until: null,
    })
    .execute();
}

export interface Session {
  cookie: string;
  csrfToken: string;
  response: LightMyRequestResponse;
}

export async function login(
  app: FastifyInstance,
  loginName: string,
  password = PASSWORD,
  from?: { remoteAddress?: string; headers?: Record<string, string> },
): Promise<Session> {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/session',
    payload: { login: loginName, password },
    ...(from?.remoteAddress ? { remoteAddress: from.remoteAddress } : {}),
    ...(from?.headers ? { headers: from.headers } : {}),
  });
  const setCookie = response.cookies.find((c) => c.name === 'suivi_session');
  const body = response.json<{ csrfToken?: string }>();
  return {
    cookie: setCookie ? `suivi_session=${setCookie.value}` : '',
    csrfToken: body.csrfToken ?? '',
    response,
  };
}
