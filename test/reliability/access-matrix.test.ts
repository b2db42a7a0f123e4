// Every route (enumerated from the running app) × every role: who may read, write, import; CSRF on every cookie write.
import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/server/auth/scope.ts';
import { createToken, revokeToken } from '../../src/server/auth/tokens.ts';
import { addDays } from '../../src/core/calendar.ts';
import { declareOverlays } from '../../src/server/calendar/overlays.ts';
import { login, user } from '../server/auth-support.ts';
import { batch, harness, newKey, seedDirectory, type Harness } from '../server/support.ts';

const A1 = 'sip.a1@dgfip.finances.gouv.fr';
const A2 = 'sip.a2@dgfip.finances.gouv.fr';
const B1 = 'sip.b1@dgfip.finances.gouv.fr';

type Kind = 'anonymous' | 'user' | 'read' | 'ingest' | 'revoked' | 'stale-session';
interface Role {
  name: string;
  kind: Kind;
  scope?: Scope;
  headers: Record<string, string>;
  csrf?: string;
}

/** A directory node a scoped route is asked about, with where it sits. */
interface Subject {
  level: 'national' | 'department' | 'service' | 'balf';
  id: string;
  department: string | null;
  service: string | null;
}
const SUBJECTS: Subject[] = [
  { level: 'national', id: 'national', department: null, service: null },
  { level: 'department', id: '67', department: '67', service: null },
  { level: 'department', id: '75', department: '75', service: null },
  { level: 'service', id: 'SIP-A1', department: '67', service: 'SIP-A1' },
  { level: 'service', id: 'SIP-A2', department: '67', service: 'SIP-A2' },
  { level: 'service', id: 'SIP-B1', department: '75', service: 'SIP-B1' },
  { level: 'balf', id: A1, department: '67', service: 'SIP-A1' },
  { level: 'balf', id: B1, department: '75', service: 'SIP-B1' },
];

function sees(scope: Scope | undefined, s: Subject): boolean {
  if (!scope) return false;
  if (scope.level === 'national') return true;
  if (scope.level === 'department') return s.department === scope.code;
  return s.service === scope.code;
}

/** Overlay scopes a declaration is asked for, with where they sit. */
const DECLARABLE: { scope: string; department: string | null }[] = [
  { scope: 'nation', department: null },
  { scope: 'region:metropole', department: null },
  { scope: 'department:67', department: '67' },
  { scope: 'department:75', department: '75' },
  { scope: 'service:SIP-A1', department: '67' },
  { scope: 'service:SIP-B1', department: '75' },
];

/**
 * Declaring and withdrawing: users only (403 for tokens and service users); nation and regions for
 * national users (403 otherwise); a department or service outside a departmental user's answers as
 * unknown (404).
 */
function declares(r: Role, d: (typeof DECLARABLE)[number]): number | 'ok' {
  if (r.kind !== 'user' || !r.scope || r.scope.level === 'service') return 403;
  if (r.scope.level === 'national') return 'ok';
  if (d.department === null) return 403;
  return d.department === r.scope.code ? 'ok' : 404;
}

/** Declaration ids seeded per role name and scope (see beforeAll); unknown before seeding. */
const seeded = new Map<string, string>();
const seededFor = (r: Role, scope: string): string => seeded.get(`${r.name}\u0000${scope}`) ?? 'non-semé';

const isReader = (r: Role) => r.kind === 'user' || r.kind === 'read';
/** 401 for no or a refused credential, else `whenAuthenticated`. */
const gate = (r: Role, whenAuthenticated: number | 'ok'): number | 'ok' =>
  r.kind === 'anonymous' || r.kind === 'revoked' || r.kind === 'stale-session' ? 401 : whenAuthenticated;

interface Case {
  label: string;
  request: InjectOptions;
  expected: number | 'ok';
}

/** The requests of one route for one role, with the answer the access rules demand. */
function casesFor(route: string, r: Role): Case[] {
  const q = (s: Subject) =>
    s.level === 'national' ? 'level=national' : `level=${s.level}&id=${encodeURIComponent(s.id)}`;
  const scoped = (url: (s: Subject) => string): Case[] =>
    SUBJECTS.map((s) => ({
      label: `${s.level} ${s.id}`,
      request: { method: 'GET', url: url(s) },
      // Out of scope answers as unknown (404), but the national view always exists (403).
      expected: gate(r, !isReader(r) ? 403 : sees(r.scope, s) ? 'ok' : s.level === 'national' ? 403 : 404),
    }));
  const ingest = (url: string, body: (balf: string) => unknown): Case[] =>
    [A1, B1].map((balf) => ({
      label: balf,
      request: {
        method: 'POST',
        url,
        payload: body(balf) as object,
        headers: { 'content-type': 'application/json' },
      },
      // Outside the token's scope the upload is held in quarantine (2xx), counted nowhere.
      expected: gate(r, r.kind !== 'ingest' ? 403 : 'ok'),
    }));
  const national = (method: 'GET' | 'POST', url: string, usersOnly = false, payload?: string): Case => ({
    label: 'national only',
    request: {
      method,
      url,
      ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'text/csv' } }),
    },
    expected: gate(
      r,
      !isReader(r) || r.scope?.level !== 'national' || (usersOnly && r.kind !== 'user') ? 403 : 'ok',
    ),
  });
  switch (route) {
    case 'GET /healthz':
      return [{ label: 'public', request: { method: 'GET', url: route.slice(4) }, expected: 'ok' }];
    case 'GET /metrics':
      // Operational counters: a national read token (Prometheus) or a national user.
      return [national('GET', '/metrics')];
    case 'GET /addon/suivi-balf.xpi':
    case 'GET /addon/suivi-balf-mv2.xpi':
    case 'GET /addon/updates.json':
    case 'GET *':
    case 'GET /':
    case 'GET /index.html':
      // Public files (200, or 404/503 when not built here): never an auth refusal.
      return [
        {
          label: 'public',
          request: { method: 'GET', url: route === 'GET *' ? '/' : route.slice(4) },
          expected: -1,
        },
      ];
    case 'POST /api/v1/session':
      return [
        {
          label: 'bad login',
          request: {
            method: 'POST',
            url: '/api/v1/session',
            // One login per role: five failures of one login from one address suspend it.
            payload: { login: `nobody.${r.name.replace(/[^A-Za-z0-9]/g, '')}`, password: 'x'.repeat(12) },
          },
          expected: 401,
        },
      ];
    case 'GET /api/v1/session':
      return [
        {
          label: 'who am I',
          request: { method: 'GET', url: '/api/v1/session' },
          expected: r.kind === 'user' ? 'ok' : 401,
        },
      ];
    case 'DELETE /api/v1/session':
      return []; // Run last, separately (it ends the session).
    case 'GET /api/v1/targets':
      return [
        {
          label: 'targets',
          request: { method: 'GET', url: '/api/v1/targets' },
          expected: gate(r, isReader(r) ? 'ok' : 403),
        },
      ];
    case 'GET /api/v1/stats':
      return scoped((s) => `/api/v1/stats?${q(s)}&from=2025-06-01&to=2025-06-30`);
    case 'GET /api/v1/backlog':
      return scoped((s) => `/api/v1/backlog?${q(s)}&asOf=2025-06-20`);
    case 'GET /api/v1/spot-checks':
      return scoped((s) => `/api/v1/spot-checks?${q(s)}&from=2025-06-01&to=2025-06-30`);
    case 'GET /api/v1/storage':
      return scoped((s) => `/api/v1/storage?${q(s)}`);
    case 'POST /api/v1/quota-samples':
      return ingest('/api/v1/quota-samples', (balf) => ({
        schema: 1,
        client: { id: 'c', addon: '0.1.0', thunderbird: '153.8' },
        samples: [
          { balf, at: '2025-06-02T08:00:00Z', quota: [{ type: 'STORAGE', unit: 'byte', used: 1, limit: 2 }] },
        ],
      }));
    case 'GET /api/v1/directory/path':
      return scoped((s) => `/api/v1/directory/path?${s.level === 'national' ? 'level=national' : q(s)}`);
    case 'GET /api/v1/directory/unattached':
    case 'GET /api/v1/directory/export':
    case 'GET /api/v1/directory/entries':
    case 'GET /api/v1/directory/template':
      return [national('GET', route.slice(4))];
    case 'POST /api/v1/directory/preview':
      // Reads only; a file without the expected header is refused (400) once allowed.
      return [
        {
          ...national('POST', route.slice(5), false, 'x'),
          expected: gate(r, isReader(r) && r.scope?.level === 'national' ? 400 : 403),
        },
      ];
    case 'POST /api/v1/directory/import':
      // An empty-but-valid import would change nothing harmful; a header-only CSV is refused (400) once allowed.
      return [
        {
          ...national('POST', route.slice(5), true, 'x'),
          expected: gate(r, r.kind === 'user' && r.scope?.level === 'national' ? 400 : 403),
        },
      ];
    case 'GET /api/v1/directory/quarantine':
      return [
        {
          label: 'held uploads of the scope',
          request: { method: 'GET', url: route.slice(4) },
          expected: gate(r, isReader(r) ? 'ok' : 403),
        },
      ];
    case 'POST /api/v1/directory/attach':
      return [
        {
          label: 'attach to an unknown service',
          request: {
            method: 'POST',
            url: route.slice(5),
            payload: { balf: 'absente@exemple.fr', service: 'INCONNU' },
            headers: { 'content-type': 'application/json' },
          },
          expected: gate(r, r.kind !== 'user' || r.scope?.level === 'service' ? 403 : 404),
        },
      ];
    case 'DELETE /api/v1/directory/quarantine':
      return [
        {
          label: 'drop nothing held',
          request: { method: 'DELETE', url: `${route.slice(7)}?balf=absente@exemple.fr` },
          expected: gate(r, r.kind !== 'user' ? 403 : 404),
        },
      ];
    case 'GET /api/v1/notifications/subscriptions':
      // A user's own subscriptions: tokens have none.
      return [
        {
          label: 'my subscriptions',
          request: { method: 'GET', url: route.slice(4) },
          expected: gate(r, r.kind === 'user' ? 'ok' : 403),
        },
      ];
    case 'PUT /api/v1/notifications/subscriptions':
      // This app has no SMTP relay: a user is told so (409), a token is refused.
      return [
        {
          label: 'subscribe (e-mail off)',
          request: {
            method: 'PUT',
            url: route.slice(4),
            payload: {
              level: 'service',
              id: 'SIP-A1',
              email: 'chef@exemple.fr',
              digest: true,
              alertThreshold: null,
            },
            headers: { 'content-type': 'application/json' },
          },
          expected: gate(r, r.kind === 'user' ? 409 : 403),
        },
      ];
    case 'DELETE /api/v1/notifications/subscriptions':
      return [
        {
          label: 'remove an unknown subscription',
          request: { method: 'DELETE', url: `${route.slice(7)}?id=${randomUUID()}` },
          expected: gate(r, r.kind === 'user' ? 404 : 403),
        },
      ];
    case 'GET /api/v1/notifications/unsubscribe':
    case 'POST /api/v1/notifications/unsubscribe':
      // The mail's one-click link: its secret is the authority, whoever (and whatever session) calls.
      return [
        {
          label: 'unknown link',
          request: {
            method: route.startsWith('GET') ? 'GET' : 'POST',
            url: `${route.slice(route.indexOf(' ') + 1)}?t=${'A'.repeat(32)}`,
          },
          expected: 'ok',
        },
      ];
    case 'GET /api/v1/openapi.json':
      return [{ label: 'public', request: { method: 'GET', url: route.slice(4) }, expected: 'ok' }];
    case 'POST /api/v1/tallies':
      return ingest('/api/v1/tallies', (balf) =>
        batch(balf, [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
      );
    case 'POST /api/v1/spot-checks':
      return ingest('/api/v1/spot-checks', (balf) => ({
        schema: 1,
        id: randomUUID(),
        client: { id: 'c', addon: '0.1.0', thunderbird: '128.5' },
        balf,
        from: '2025-05-01',
        to: '2025-05-31',
        doneAt: '2025-06-03T09:00:00+02:00',
        seed: 'abc',
        target: { id: 'marianne', workingDays: 5 },
        population: 10,
        sampleSize: 5,
        verdicts: { conforme: 5, non_conforme: 0, sans_objet: 0 },
        automatic: { answered_in_time: 5, answered_late: 0, pending: 0, overdue: 0 },
        disagreements: 0,
      }));
    case 'GET /api/v1/calendar/overlays':
      // Every reader reads the declarations of their scope; an upload token reads nothing here.
      return [
        {
          label: 'declared days of the scope',
          request: { method: 'GET', url: route.slice(4) },
          expected: gate(r, isReader(r) ? 'ok' : 403),
        },
      ];
    case 'POST /api/v1/calendar/overlays':
      return DECLARABLE.map((d) => ({
        label: `declare for ${d.scope}`,
        request: {
          method: 'POST',
          url: route.slice(5),
          payload: {
            overlays: [{ scope: d.scope, day: '2025-06-13', state: 'closed', label: 'Pont', source: 'Note' }],
          },
          headers: { 'content-type': 'application/json' },
        },
        expected: gate(r, declares(r, d)),
      }));
    case 'DELETE /api/v1/calendar/overlays':
      // Each role withdraws declarations seeded for it alone, so that no role's answer depends on another's.
      return [
        ...DECLARABLE.map((d) => ({
          label: `withdraw for ${d.scope}`,
          request: {
            method: 'DELETE' as const,
            url: `${route.slice(7)}?id=${encodeURIComponent(seededFor(r, d.scope))}`,
          },
          expected: gate(r, declares(r, d)),
        })),
        {
          label: 'withdraw an unknown id',
          request: { method: 'DELETE', url: `${route.slice(7)}?id=${randomUUID()}` },
          expected: gate(r, r.kind === 'user' && r.scope?.level !== 'service' ? 404 : 403),
        },
      ];
    case 'POST /api/v1/calendar/presets':
      return [
        {
          label: 'overseas customs preset',
          request: {
            method: 'POST',
            url: route.slice(5),
            payload: { region: 'martinique', years: [2025] },
            headers: { 'content-type': 'application/json' },
          },
          expected: gate(r, r.kind === 'user' && r.scope?.level === 'national' ? 'ok' : 403),
        },
      ];
    default:
      throw new Error(`Route sans règle d'accès dans ce test : ${route} — ajoutez-la à la matrice.`);
  }
}

describe('access matrix over every route', () => {
  let h: Harness;
  let routes: string[];
  const roles: Role[] = [];

  beforeAll(async () => {
    h = await harness('sqlite');
    await seedDirectory(h.db, [
      { department: '67', region: 'metropole', service: 'SIP-A1', balfs: [A1] },
      { department: '67', region: 'metropole', service: 'SIP-A2', balfs: [A2] },
      { department: '75', region: 'metropole', service: 'SIP-B1', balfs: [B1] },
    ]);
    const users: [string, Scope][] = [
      ['national', { level: 'national' }],
      ['dept-67', { level: 'department', code: '67' }],
      ['service-A1', { level: 'service', code: 'SIP-A1' }],
    ];
    roles.push({ name: 'anonymous', kind: 'anonymous', headers: {} });
    for (const [name, scope] of users) {
      await user(h.db, name, scope);
      const s = await login(h.app, name);
      expect(s.cookie).not.toBe('');
      roles.push({
        name: `user ${name}`,
        kind: 'user',
        scope,
        headers: { cookie: s.cookie },
        csrf: s.csrfToken,
      });
    }
    const tok = async (scope: Scope, canWrite: boolean) =>
      (await createToken(h.db, { scope, canWrite })).token;
    const d67: Scope = { level: 'department', code: '67' };
    roles.push({
      name: 'ingest token 67',
      kind: 'ingest',
      scope: d67,
      headers: { authorization: `Bearer ${await tok(d67, true)}` },
    });
    roles.push({
      name: 'ingest token national',
      kind: 'ingest',
      scope: { level: 'national' },
      headers: { authorization: `Bearer ${await tok({ level: 'national' }, true)}` },
    });
    roles.push({
      name: 'read token 67',
      kind: 'read',
      scope: d67,
      headers: { authorization: `Bearer ${await tok(d67, false)}` },
    });
    roles.push({
      name: 'read token national',
      kind: 'read',
      scope: { level: 'national' },
      headers: { authorization: `Bearer ${await tok({ level: 'national' }, false)}` },
    });
    const revoked = await createToken(h.db, { scope: { level: 'national' }, canWrite: true });
    await revokeToken(h.db, revoked.id);
    roles.push({
      name: 'revoked token',
      kind: 'revoked',
      headers: { authorization: `Bearer ${revoked.token}` },
    });
    roles.push({
      name: 'stale session',
      kind: 'stale-session',
      headers: { cookie: `suivi_session=${'A'.repeat(43)}` },
    });
    // One active declaration per scope and day: each role gets its own day for each scope.
    for (const [i, role] of roles.entries()) {
      const day = addDays('2025-01-06', i);
      const stored = await declareOverlays(
        h.db,
        DECLARABLE.map((d) => ({ scope: d.scope, day, state: 'closed', label: 'Fermeture', source: 'Test' })),
        'seed',
        new Date('2025-06-01T00:00:00Z'),
      );
      for (const o of stored) seeded.set(`${role.name}\u0000${o.scope}`, o.id);
    }
    await h.app.ready();
    routes = h.app
      .printRoutes({ commonPrefix: false })
      .split('\n')
      .flatMap((line) => {
        const m = /── (\S+) \(([^)]+)\)/.exec(line);
        // When '/' itself is a route (dashboard not built: a 503 page), the tree prints the
        // other routes as its children without their leading slash.
        const path = m && (m[1]!.startsWith('/') || m[1] === '*' ? m[1]! : `/${m[1]!}`);
        return m
          ? m[2]!
              .split(', ')
              .filter((x) => x !== 'HEAD')
              .map((method) => `${method} ${path}`)
          : [];
      });
  });
  afterAll(async () => h?.close());

  it('enumerates the routes of the app (a new route must be added to this matrix)', () => {
    expect(routes.length).toBeGreaterThanOrEqual(15);
    for (const route of routes) expect(() => casesFor(route, roles[0]!), route).not.toThrow();
  });

  it('answers every role exactly as its scope allows', async () => {
    const failures: string[] = [];
    let checked = 0;
    for (const route of routes)
      for (const role of roles)
        for (const c of casesFor(route, role)) {
          const headers = { ...(c.request.headers as Record<string, string>), ...role.headers };
          if (role.csrf && c.request.method !== 'GET') headers['x-csrf-token'] = role.csrf;
          const res = await h.app.inject({ ...c.request, headers });
          checked++;
          const ok =
            c.expected === 'ok'
              ? res.statusCode >= 200 && res.statusCode < 300
              : c.expected === -1
                ? (![401, 403].includes(res.statusCode) && res.statusCode < 500) || res.statusCode === 503
                : res.statusCode === c.expected;
          if (!ok)
            failures.push(
              `${route} [${c.label}] as ${role.name}: expected ${c.expected}, got ${res.statusCode} ${res.body.slice(0, 120)}`,
            );
        }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  });

  it('refuses every state-changing cookie request without the CSRF token, before the body is read', async () => {
    // Exempt: the login (no session yet) and the one-click unsubscribe (posted by a mail client).
    const writes = routes.filter(
      (r) =>
        !r.startsWith('GET ') &&
        r !== 'POST /api/v1/session' &&
        r !== 'POST /api/v1/notifications/unsubscribe',
    );
    expect(writes.length).toBeGreaterThanOrEqual(4);
    const national = roles.find((r) => r.name === 'user national')!;
    for (const route of writes) {
      const [method, url] = route.split(' ') as ['POST' | 'PUT' | 'DELETE', string];
      for (const csrf of [undefined, 'wrong', `${national.csrf}x`]) {
        const res = await h.app.inject({
          method,
          url,
          headers: {
            ...national.headers,
            'content-type': 'application/json',
            ...(csrf ? { 'x-csrf-token': csrf } : {}),
          },
          payload: '{}',
        });
        expect(res.statusCode, `${route} csrf=${csrf}`).toBe(403);
        expect(res.json().message, route).toMatch(/CSRF/);
      }
    }
    // The national user's session still works (no write happened), and logout itself needs the token.
    const out = await h.app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { ...national.headers, 'x-csrf-token': national.csrf! },
    });
    expect(out.statusCode).toBeLessThan(300);
    const after = await h.app.inject({ method: 'GET', url: '/api/v1/session', headers: national.headers });
    expect(after.statusCode).toBe(401);
  });
});
