// The « Mes notifications » page in a real Chromium against the real server (SQLite): with e-mail off the
// server's reason and no form; with a loopback SMTP relay configured, subscribe (row shown, API has it)
// and unsubscribe (gone); no console error and no CSP violation.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { MAIL_OFF_REASON, parseMailConfig } from '../../src/server/notifications/config.ts';
import { listSubscriptions } from '../../src/server/notifications/subscriptions.ts';
import { launchChromium, requireChromium, watchProblems } from '../support/chromium.ts';
import { startSmtpServer, type SmtpServer } from '../support/smtp/smtp-server.ts';
import { seedDirectory } from '../server/support.ts';

const PASSWORD = 'mot-de-passe-de-test-e2e';
const RESULTS = join(process.cwd(), 'test-results');
const CHEF = 'chef.75@dgfip.finances.gouv.fr';

let work: string;
let store: OpenDb;
let smtp: SmtpServer;
let mailOff: FastifyInstance;
let mailOn: FastifyInstance;
let context: BrowserContext;
let page: Page;
let problems: string[] = [];

async function listen(app: FastifyInstance): Promise<string> {
  return (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
}

beforeAll(async () => {
  requireChromium();
  work = await mkdtemp(join(tmpdir(), 'suivi-balf-notifications-'));
  await mkdir(RESULTS, { recursive: true });
  store = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi.sqlite') });
  await seedDirectory(store.db, [
    { department: '75', region: 'metropole', service: 'SIP75A', balfs: ['sip.a@dgfip.finances.gouv.fr'] },
    { department: '75', region: 'metropole', service: 'SIP75B', balfs: ['sip.b@dgfip.finances.gouv.fr'] },
  ]);
  await addUser(store.db, {
    login: 'chef.75',
    password: PASSWORD,
    scope: { level: 'department', code: '75' },
  });
  smtp = await startSmtpServer();
  const config = loadConfig();
  // Two servers on one database: the same dashboard without a relay, then with the loopback one.
  mailOff = await buildApp({ db: store.db, rateLimit: false, config: { ...config, mail: null } });
  const mail = parseMailConfig(
    { SUIVI_SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, SUIVI_MAIL_FROM: 'suivi-balf@dgfip.finances.gouv.fr' },
    'https://suivi-balf.exemple.gouv.fr',
  );
  mailOn = await buildApp({ db: store.db, rateLimit: false, config: { ...config, mail } });
  context = await launchChromium(join(work, 'chromium-profile'));
  page = context.pages()[0] ?? (await context.newPage());
  // The refused subscription is a 400 the test asks for.
  problems = await watchProblems(context, page, [
    { url: /\/api\/v1\/notifications\/subscriptions$/, status: 400 },
  ]);
}, 600_000);

afterAll(async () => {
  await context?.close();
  await mailOff?.close();
  await mailOn?.close();
  await smtp?.close();
  await store?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function openPage(app: FastifyInstance): Promise<void> {
  const base = await listen(app);
  await page.goto(`${base}/#/connexion`);
  await page.waitForSelector('#login-form');
  await page.fill('#login', 'chef.75');
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#stats-page', { timeout: 30_000 });
  await page.click('a[href="#/notifications"]');
  await page.waitForSelector('#notifications-page');
  await page.waitForSelector('#app[aria-busy="false"]');
}

const rows = () =>
  page.$$eval('#table-notifications tbody tr', (trs) =>
    trs.map((tr) => [...tr.children].map((c) => c.textContent?.trim() ?? '')),
  );

/** What the server answers the page's own session (GET /api/v1/notifications/subscriptions). */
const listed = () =>
  page.evaluate(async () => {
    const r = await fetch('/api/v1/notifications/subscriptions', { credentials: 'same-origin' });
    return (await r.json()) as { enabled: boolean; subscriptions: { subjectId: string; email: string }[] };
  });

describe('« Mes notifications » page in Chromium', () => {
  it('says why e-mail is off and shows no form on a server without a relay', async () => {
    await openPage(mailOff);
    expect(await page.textContent('h1')).toBe('Mes notifications');
    expect(await page.title()).toBe('Mes notifications — Suivi BALF');
    expect(await page.textContent('#notif-disabled .fr-alert--info')).toContain(MAIL_OFF_REASON);
    expect(await page.$('#notif-form')).toBeNull();
    await page.click('#logout');
    await page.waitForSelector('#login-form');
  });

  it('subscribes to a service of the scope, then unsubscribes, with a relay configured', async () => {
    await openPage(mailOn);
    expect(await page.$('#notif-empty')).not.toBeNull();
    await page.selectOption('#notif-node', 'service:SIP75B');
    await page.fill('#notif-email', CHEF);
    await page.fill('#notif-threshold', '4');
    await page.click('#notif-submit');
    await page.waitForSelector('#notif-feedback .fr-alert--success');
    expect(await page.evaluate(() => document.activeElement?.closest('#notif-feedback') !== null)).toBe(true);
    expect(await rows()).toEqual([['Service SIP75B', CHEF, 'Oui', '4', 'Se désabonner']]);
    expect((await listed()).subscriptions).toMatchObject([{ subjectId: 'SIP75B', email: CHEF }]);
    expect(await listSubscriptions(store.db, 'chef.75')).toMatchObject([
      { level: 'service', subjectId: 'SIP75B', digest: true, alertThreshold: 4 },
    ]);

    // A refusal of the server is shown beside the form, in French.
    await page.selectOption('#notif-node', 'department:75');
    await page.fill('#notif-email', 'pas-une-adresse');
    await page.click('#notif-submit');
    await page.waitForSelector('#notif-feedback .fr-alert--error');
    expect(await page.textContent('#notif-email-messages')).toBe('adresse électronique invalide');
    await page.screenshot({ path: join(RESULTS, 'dashboard-notifications.png'), fullPage: true });

    await page.click('#table-notifications button:has-text("Se désabonner")');
    await page.waitForSelector('#notif-empty');
    expect(await page.textContent('#notif-feedback .fr-alert--success')).toContain('« Service SIP75B »');
    expect((await listed()).subscriptions).toEqual([]);
    expect(await listSubscriptions(store.db, 'chef.75')).toEqual([]);
    expect(smtp.messages).toEqual([]);
  });

  it('logged no console error and no CSP violation', () => {
    expect(problems).toEqual([]);
  });
});
