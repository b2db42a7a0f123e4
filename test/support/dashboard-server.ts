// A collection server on a fixed clock for the dashboard's Chromium tests: demo mail up to "today" (and, if
// asked, around the same days a year earlier), a national user, a department coordinator, a chef de service,
// and a spot-check summary sent as the add-on sends it.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext } from 'playwright-core';
import { addDays, todayIn } from '../../src/core/calendar.ts';
import { PROTOCOL_SCHEMA } from '../../src/core/protocol.ts';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { DEMO_DEPARTMENTS } from '../../src/server/demo/demo-directory.ts';
import { runDemo } from '../../src/server/demo/run-demo.ts';

export const PASSWORD = 'mot-de-passe-de-test-e2e';
export const USERS = {
  national: 'admin.national',
  coordinator: 'coordination.75',
  chef: 'chef.sip.paris15',
} as const;
export type Role = keyof typeof USERS;

/** Paris, and its service with two BALFs (the chef de service's). */
export const DEPARTMENT = '75';
const paris = DEMO_DEPARTMENTS.find((d) => d.code === DEPARTMENT)!;
export const SERVICE = paris.services.find((s) => s.balfs.length > 1)!;

/** A spot-check summary as the add-on sends it: 24 conformes, 4 non conformes, 2 sans objet out of 30. */
export function spotCheckSummary(balf: string, period: { from: string; to: string }, doneAt: Date) {
  return {
    schema: PROTOCOL_SCHEMA,
    id: randomUUID(),
    client: { id: 'e2e-client', addon: '0.1.0', thunderbird: '128.0' },
    balf,
    from: period.from,
    to: period.to,
    doneAt: doneAt.toISOString(),
    seed: 'e2e',
    target: { id: 'marianne', workingDays: 5 },
    population: 200,
    sampleSize: 30,
    verdicts: { conforme: 24, non_conforme: 4, sans_objet: 2 },
    automatic: { answered_in_time: 23, answered_late: 3, pending: 0, overdue: 4 },
    disagreements: 2,
  };
}

export interface DashboardServer {
  base: string;
  app: FastifyInstance;
  store: OpenDb;
  now: Date;
  spotCheckId: string;
  close(): Promise<void>;
}

export interface DashboardServerOptions {
  dir: string;
  now: Date;
  /** Days of demo mail up to today. */
  days: number;
  /** Also that many days of mail ending a year before today (for « même période un an plus tôt »). */
  yearAgoDays?: number;
  /** The period of the spot-check sent (default: from 28 to 7 days before today). */
  spotCheck?: { from: string; to: string };
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const { now } = options;
  const store = await openDatabase({ kind: 'sqlite', file: join(options.dir, 'suivi.sqlite') });
  const today = todayIn('metropole', now);
  await runDemo(store.db, { days: options.days, seed: 'e2e-dashboard', now, until: today });
  if (options.yearAgoDays !== undefined) {
    // The year-ago window ends as many days after today's date a year before as it lasts, so that it covers
    // the month or week compared (« novembre 2025 » against « novembre 2026 »).
    const until = addDays(today, -365 + Math.floor(options.yearAgoDays / 2));
    await runDemo(store.db, { days: options.yearAgoDays, seed: 'e2e-dashboard-n-1', now, until });
  }
  await addUser(store.db, { login: USERS.national, password: PASSWORD, scope: { level: 'national' } });
  await addUser(store.db, {
    login: USERS.coordinator,
    password: PASSWORD,
    scope: { level: 'department', code: DEPARTMENT },
  });
  await addUser(store.db, {
    login: USERS.chef,
    password: PASSWORD,
    scope: { level: 'service', code: SERVICE.code },
  });
  const app = await buildApp({ db: store.db, rateLimit: false, clock: () => now });
  // A spot-check of the chef's first BALF over the last 28 days, sent as the add-on does.
  const { token } = await createToken(store.db, {
    scope: { level: 'department', code: DEPARTMENT },
    canWrite: true,
  });
  const posted = await app.inject({
    method: 'POST',
    url: '/api/v1/spot-checks',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: spotCheckSummary(
      SERVICE.balfs[0]!,
      options.spotCheck ?? { from: addDays(today, -28), to: addDays(today, -7) },
      now,
    ),
  });
  if (posted.statusCode !== 201) throw new Error(`sondage refusé : ${posted.body}`);
  const spotCheckId = (posted.json() as { id: string }).id;
  const base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
  return {
    base,
    app,
    store,
    now,
    spotCheckId,
    async close() {
      await app.close();
      await store.close();
    },
  };
}

/**
 * Runs the pages on the server's fixed clock. The browser's cookie store keeps real time, so a session
 * cookie whose `Expires` the server computed from a past clock would be dropped at once: the login's
 * answer is passed on without it (a cookie for the browser's session).
 */
export async function useFixedClock(context: BrowserContext, now: Date): Promise<void> {
  await context.clock.setFixedTime(now);
  await context.route('**/api/v1/session', async (route) => {
    const response = await route.fetch();
    const headers = { ...response.headers() };
    const cookie = headers['set-cookie'];
    if (cookie !== undefined) headers['set-cookie'] = cookie.replace(/;\s*Expires=[^;]*/gi, '');
    await route.fulfill({ response, headers });
  });
}
