// The « Calendrier » page in a real Chromium against the real server (SQLite): a national user sees every
// declared day, a departmental user those of their scope; no console error and no CSP violation.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customsPreset } from '../../src/core/overlay-presets.ts';
import { buildApp } from '../../src/server/app.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { declareOverlays } from '../../src/server/calendar/overlays.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { launchChromium, requireChromium } from '../support/chromium.ts';
import { seedDirectory } from '../server/support.ts';

const PASSWORD = 'mot-de-passe-de-test-e2e';
const RESULTS = join(process.cwd(), 'test-results');

let work: string;
let store: OpenDb;
let app: FastifyInstance;
let base: string;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  requireChromium();
  work = await mkdtemp(join(tmpdir(), 'suivi-balf-calendar-'));
  await mkdir(RESULTS, { recursive: true });
  store = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi.sqlite') });
  await seedDirectory(store.db, [
    { department: '75', region: 'metropole', service: 'SIP75', balfs: ['sip.paris@dgfip.finances.gouv.fr'] },
    { department: '69', region: 'metropole', service: 'SIP69', balfs: ['sip.lyon@dgfip.finances.gouv.fr'] },
    { department: '972', region: 'martinique', service: 'SIP972', balfs: ['sip.fdf@dgfip.finances.gouv.fr'] },
  ]);
  await addUser(store.db, { login: 'admin.national', password: PASSWORD, scope: { level: 'national' } });
  await addUser(store.db, {
    login: 'coordination.75',
    password: PASSWORD,
    scope: { level: 'department', code: '75' },
  });
  const now = new Date('2025-05-02T09:00:00Z');
  await declareOverlays(
    store.db,
    [
      {
        scope: 'nation',
        day: '2025-05-30',
        state: 'closed',
        label: 'Pont de l’Ascension',
        source: 'Circulaire du 2 mai 2025',
      },
      {
        scope: 'service:SIP75',
        day: '2025-06-13',
        state: 'closed',
        label: 'Déménagement du service',
        source: 'Note du directeur',
      },
      {
        scope: 'department:69',
        day: '2025-06-14',
        state: 'open',
        label: 'Permanence du samedi',
        source: 'Décision DDFiP 69',
      },
      ...customsPreset('martinique', 2025),
    ],
    'admin.national',
    now,
  );
  app = await buildApp({ db: store.db, rateLimit: false });
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
  context = await launchChromium(join(work, 'chromium-profile'));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    // The anonymous session probe answers 401 by design.
    if (/\/api\/v1\/session$/.test(message.location().url) && /\b401\b/.test(message.text())) return;
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
}, 600_000);

afterAll(async () => {
  await context?.close();
  await app?.close();
  await store?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function logIn(login: string): Promise<void> {
  await page.goto(`${base}/#/connexion`);
  await page.waitForSelector('#login-form');
  await page.fill('#login', login);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#stats-page', { timeout: 30_000 });
}

const rows = () =>
  page.$$eval('#table-calendar tbody tr', (trs) =>
    trs.map((tr) => [
      tr.getAttribute('data-day'),
      ...[...tr.children].map((c) => c.textContent?.trim() ?? ''),
    ]),
  );

describe('« Calendrier » page in Chromium', () => {
  it('lists every declared day for a national user, in day order, with scope, state, reason and source', async () => {
    await logIn('admin.national');
    await page.click('a[href="#/calendrier"]');
    await page.waitForSelector('#calendar-page');
    await page.waitForSelector('#app[aria-busy="false"]');
    expect(await page.textContent('h1')).toBe('Calendrier');
    expect(await page.title()).toBe('Calendrier — Suivi BALF');
    const shown = await rows();
    expect(shown.map((r) => r[0])).toEqual([
      '2025-03-04',
      '2025-03-05',
      '2025-04-18',
      '2025-05-30',
      '2025-06-13',
      '2025-06-14',
      '2025-11-02',
    ]);
    expect(shown[3]).toEqual([
      '2025-05-30',
      'vendredi 30 mai 2025',
      'Toute la France',
      'Fermé : ne compte pas',
      'Pont de l’Ascension',
      'Circulaire du 2 mai 2025',
    ]);
    expect(shown[0]!.slice(2, 5)).toEqual(['Région Martinique', 'Fermé : ne compte pas', 'Mardi gras']);
    expect(shown[5]!.slice(2, 5)).toEqual(['Département 69', 'Ouvert : compte', 'Permanence du samedi']);
    await page.screenshot({ path: join(RESULTS, 'dashboard-calendrier.png'), fullPage: true });
    await page.click('#logout');
    await page.waitForSelector('#login-form');
  });

  it('shows a departmental user the days of their scope only', async () => {
    await logIn('coordination.75');
    await page.click('a[href="#/calendrier"]');
    await page.waitForSelector('#table-calendar');
    expect((await rows()).map((r) => `${r[0]} ${r[2]}`)).toEqual([
      '2025-05-30 Toute la France',
      '2025-06-13 Service SIP75',
    ]);
  });

  it('logged no console error and no CSP violation', () => {
    expect(problems).toEqual([]);
  });
});
