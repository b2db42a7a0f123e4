// The dashboard in a real Chromium against the real server (SQLite, demo data): login, periods,
// drill-down national → department → service → BALF, CSV download, figures equal to the API's,
// no console error and no CSP violation; screenshots under test-results/.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../support/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_SCHEMA, type StatsAnswer } from '../../src/core/protocol.ts';
import { formatCountDelta } from '../../src/dashboard/format.ts';
import {
  comparisonPeriod,
  homePeriod,
  periodLabel,
  presetPeriod,
  shiftPeriod,
} from '../../src/dashboard/period.ts';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { DEMO_UNATTACHED_BALF, demoBalfs } from '../../src/server/demo/demo-directory.ts';
import { runDemo } from '../../src/server/demo/run-demo.ts';

const LOGIN = 'admin.national';
const PASSWORD = 'mot-de-passe-de-test-e2e';
const RESULTS = join(process.cwd(), 'test-results');

let work: string;
let store: OpenDb;
let app: FastifyInstance;
let base: string;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
/** URLs whose 4xx answer a step expects (e.g. a department user asking for the national view). */
const expectedFailures: RegExp[] = [/\/api\/v1\/session$/];
const expected = (url: string) => expectedFailures.some((re) => re.test(url));
let spotCheckId: string;
const DEPARTMENT_LOGIN = 'coordination.75';

/** Figures of the children table as shown (text), keyed by child id. */
async function shownChildren(p: Page) {
  return p.$$eval('#table-children tbody tr', (rows) =>
    rows.map((row) => {
      const text = (metric: string) => row.querySelector(`[data-metric="${metric}"]`)?.textContent ?? '';
      return {
        level: row.getAttribute('data-level'),
        id: row.getAttribute('data-id'),
        name: row.querySelector('th')?.textContent ?? '',
        received: text('received'),
        sent: text('sent'),
        complianceRate: text('complianceRate'),
        overdue: text('overdue'),
      };
    }),
  );
}

const count = (text: string) => Number(text.replace(/[\s\u00a0\u202f]/g, ''));
/** « 84,7 % » → 84.7; « — » → null. */
const percent = (text: string) =>
  text === '—' ? null : Number(text.replace(/[\s\u00a0\u202f%]/g, '').replace(',', '.'));
const rounded = (rate: number | null) => (rate === null ? null : Math.round(rate * 1000) / 10);

async function api(query: string): Promise<StatsAnswer> {
  const response = await context.request.get(`${base}/api/v1/stats?${query}`);
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as StatsAnswer;
}

/** The query of the view currently shown, read from the page's own CSV link. */
async function shownQuery(): Promise<URLSearchParams> {
  const href = await page.getAttribute('#csv-export', 'href');
  const params = new URL(href ?? '', base).searchParams;
  params.delete('format');
  return params;
}

/** Checks that the table, the series and the tiles show exactly the API's figures for the same query. */
async function expectShownEqualsApi(): Promise<StatsAnswer> {
  const answer = await api((await shownQuery()).toString());
  const shown = await shownChildren(page);
  expect(shown.map((c) => c.id)).toEqual(answer.children.map((c) => c.id));
  answer.children.forEach((child, i) => {
    const row = shown[i]!;
    expect(row.name).toBe(child.name);
    expect(count(row.received), `${child.id} reçus`).toBe(child.received);
    expect(count(row.sent), `${child.id} envoyés`).toBe(child.sent);
    expect(count(row.overdue), `${child.id} en retard`).toBe(child.overdue);
    expect(percent(row.complianceRate), `${child.id} conformité`).toBe(rounded(child.complianceRate));
  });
  const series = await page.$$eval('#table-series tbody tr', (rows) =>
    rows.map((r) => [
      r.getAttribute('data-period'),
      r.querySelector('[data-metric="received"]')?.textContent ?? '',
      r.querySelector('[data-metric="sent"]')?.textContent ?? '',
    ]),
  );
  expect(series).toEqual(answer.series.map((s) => [s.period, expect.anything(), expect.anything()]));
  series.forEach(([, received, sent], i) => {
    expect(count(received!)).toBe(answer.series[i]!.received);
    expect(count(sent!)).toBe(answer.series[i]!.sent);
  });
  const tile = async (metric: string) =>
    (await page.textContent(`.sb-tile[data-metric="${metric}"] .sb-tile__value`)) ?? '';
  expect(count(await tile('received'))).toBe(answer.totals.received);
  expect(count(await tile('sent'))).toBe(answer.totals.sent);
  expect(count(await tile('overdue'))).toBe(answer.totals.overdue);
  expect(percent(await tile('complianceRate'))).toBe(rounded(answer.totals.complianceRate));
  return answer;
}

async function waitForView(level: string, id: string, from?: string): Promise<void> {
  const fromSelector = from === undefined ? '' : `[data-from="${from}"]`;
  await page.waitForSelector(`#stats-page[data-level="${level}"][data-id="${id}"]${fromSelector}`, {
    timeout: 30_000,
  });
  await page.waitForSelector('#app[aria-busy="false"]');
}

beforeAll(async () => {
  requireChromium();
  execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { stdio: 'inherit' });
  work = await mkdtemp(join(tmpdir(), 'suivi-balf-dashboard-'));
  await mkdir(RESULTS, { recursive: true });
  store = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi.sqlite') });
  // Enough history for "mois dernier" and its previous month.
  await runDemo(store.db, { days: 75, seed: 'e2e-dashboard', now: new Date() });
  await addUser(store.db, { login: LOGIN, password: PASSWORD, scope: { level: 'national' } });
  await addUser(store.db, {
    login: DEPARTMENT_LOGIN,
    password: PASSWORD,
    scope: { level: 'department', code: '75' },
  });
  app = await buildApp({ db: store.db, rateLimit: false });
  // A chef de service's spot-check summary, sent as the add-on does, for a Paris BALF last month.
  const { token } = await createToken(store.db, {
    scope: { level: 'department', code: '75' },
    canWrite: true,
  });
  const paris = demoBalfs().find((b) => b.departmentCode === '75')!;
  const lastMonth = presetPeriod('last-month', new Date());
  spotCheckId = randomUUID();
  const posted = await app.inject({
    method: 'POST',
    url: '/api/v1/spot-checks',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    payload: {
      schema: PROTOCOL_SCHEMA,
      id: spotCheckId,
      client: { id: 'e2e-client', addon: '0.1.0', thunderbird: '128.0' },
      balf: paris.address,
      from: lastMonth.from,
      to: lastMonth.to,
      doneAt: new Date().toISOString(),
      seed: 'e2e',
      target: { id: 'marianne-5j', workingDays: 5 },
      population: 200,
      sampleSize: 30,
      verdicts: { conforme: 24, non_conforme: 4, sans_objet: 2 },
      automatic: { answered_in_time: 23, answered_late: 3, pending: 0, overdue: 4 },
      disagreements: 2,
    },
  });
  expect(posted.statusCode, posted.body).toBe(201);
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
  context = await launchChromium(join(work, 'chromium-profile'), { acceptDownloads: true });
  // Registered before any page script, outside the page's CSP.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    // Expected: the anonymous session probe and the wrong-password attempt answer 401 by design.
    if (expected(message.location().url) && /\b4\d\d\b/.test(message.text())) return;
    consoleErrors.push(`${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400 && !expected(response.url()))
      consoleErrors.push(`HTTP ${response.status()} ${response.url()}`);
  });
}, 600_000);

afterAll(async () => {
  await context?.close();
  await app?.close();
  await store?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('dashboard in Chromium', () => {
  it('serves the shell with a strict CSP and asks for a login', async () => {
    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
    await page.waitForSelector('#login-form');
    expect(page.url()).toMatch(/#\/connexion$/);
    expect(await page.textContent('.fr-header__service-title')).toContain('Suivi BALF');
    // Keyboard: the first Tab stop is the skip link.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Contenu');
  });

  it('refuses a wrong password with the server’s French message, then logs in', async () => {
    await page.fill('#login', LOGIN);
    await page.fill('#password', 'mauvais-mot-de-passe');
    await page.click('#login-submit');
    await page.waitForSelector('#login-error .fr-alert--error');
    expect(await page.textContent('#login-error')).toMatch(/Connexion impossible/);
    await page.fill('#password', PASSWORD);
    await page.press('#password', 'Enter');
    await waitForView('national', 'national');
    expect(await page.textContent('#current-user')).toContain(LOGIN);
    expect(await page.textContent('h1')).toBe('Vue nationale');
    // The default period is this month (the month just ended in a month's first week); the chart is drawn.
    const home = homePeriod(new Date());
    expect(await page.getAttribute('#stats-page', 'data-from')).toBe(home.from);
    expect(await page.getAttribute('#stats-page', 'data-to')).toBe(home.to);
    await page.waitForSelector('#chart canvas');
    await expectShownEqualsApi();
  });

  it('changes the period (preset, then previous) and the figures follow', async () => {
    // This month, still running: its deltas compare with as many days of last month, not all of it.
    const thisMonth = presetPeriod('this-month', new Date());
    const compared = comparisonPeriod(thisMonth, new Date());
    await page.selectOption('#preset', 'this-month');
    await page.click('#period-form button[type="submit"]');
    await waitForView('national', 'national', thisMonth.from);
    expect(await page.textContent('#comparison-note')).toContain(`(${periodLabel(compared)})`);
    const current = await expectShownEqualsApi();
    const query = await shownQuery();
    query.set('from', compared.from);
    query.set('to', compared.to);
    const comparedAnswer = await api(query.toString());
    for (const metric of ['received', 'sent'] as const) {
      expect(await page.textContent(`.sb-tile[data-metric="${metric}"] .sb-tile__delta`)).toContain(
        formatCountDelta(current.totals[metric], comparedAnswer.totals[metric]),
      );
    }
    const lastMonth = presetPeriod('last-month', new Date());
    await page.selectOption('#preset', 'last-month');
    await page.selectOption('#granularity', 'week');
    await page.click('#period-form button[type="submit"]');
    // By weeks: the home period may already be last month (first week of a month).
    await page.waitForSelector('#stats-page[data-granularity="week"]');
    await waitForView('national', 'national', lastMonth.from);
    expect(page.url()).toContain(`from=${lastMonth.from}`);
    expect(page.url()).toContain('g=week');
    const answer = await expectShownEqualsApi();
    expect(answer.totals.received).toBeGreaterThan(0);
    // Deltas against the month before are shown.
    expect(await page.textContent('.sb-tile[data-metric="received"] .sb-tile__delta')).toMatch(
      /Évolution par rapport à/,
    );
    // Another delay target recomputes the verdicts; the page asks for it and shows the API's figures.
    const targets = (await (await context.request.get(`${base}/api/v1/targets`)).json()) as {
      id: string;
      primary: boolean;
    }[];
    const other = targets.find((t) => !t.primary);
    expect(other, 'a second target (2 jours ouvrés) is configured by default').toBeDefined();
    await page.selectOption('#target', other!.id);
    await page.click('#period-form button[type="submit"]');
    await page.waitForFunction(
      (id) => document.querySelector('#csv-export')?.getAttribute('href')?.includes(`target=${id}`),
      other!.id,
    );
    await waitForView('national', 'national', lastMonth.from);
    expect((await expectShownEqualsApi()).target.id).toBe(other!.id);
    await page.goBack();
    await page.waitForFunction(
      () => !document.querySelector('#csv-export')?.getAttribute('href')?.includes('target='),
    );
    await waitForView('national', 'national', lastMonth.from);
    // A custom range, day by day.
    const custom = {
      from: shiftPeriod(lastMonth, -1).to.slice(0, 8) + '20',
      to: lastMonth.from.slice(0, 8) + '05',
    };
    await page.fill('#from', custom.from);
    await page.fill('#to', custom.to);
    expect(await page.inputValue('#preset')).toBe('custom');
    await page.selectOption('#granularity', 'day');
    await page.click('#period-form button[type="submit"]');
    await waitForView('national', 'national', custom.from);
    expect((await expectShownEqualsApi()).series.length).toBeGreaterThanOrEqual(16);
    await page.goBack();
    await waitForView('national', 'national', lastMonth.from);
    const before = shiftPeriod(lastMonth, -1);
    await page.click('#period-previous');
    await waitForView('national', 'national', before.from);
    await expectShownEqualsApi();
    // Back returns to last month (state in the URL).
    await page.goBack();
    await waitForView('national', 'national', lastMonth.from);
    await page.screenshot({ path: join(RESULTS, 'dashboard-national.png'), fullPage: true });
  });

  it('drills down national → department → service → BALF and downloads the CSV', async () => {
    const lastMonth = presetPeriod('last-month', new Date());
    // The spot-check sent for a Paris BALF last month is listed at national level.
    const spot = page.locator(`#table-spot-checks tr[data-id="${spotCheckId}"]`);
    expect(await spot.locator('[data-metric="conforme"]').textContent()).toBe('24');
    expect(await spot.locator('[data-metric="sampleSize"]').textContent()).toMatch(/^30 \/ 200$/);
    const path: string[] = [];
    for (const [from, to] of [
      ['national', 'department'],
      ['department', 'service'],
      ['service', 'balf'],
    ] as const) {
      const children = await shownChildren(page);
      const child = children.find((c) => c.level === to && c.id !== 'unattached' && count(c.received) > 0);
      expect(child, `un élément ${to} avec des messages sous ${from}`).toBeDefined();
      if (from === 'national') {
        // Keyboard: the row link is focusable and Enter follows it; focus then lands on the new title.
        await page.focus(`#table-children tr[data-id="${child!.id}"] a`);
        await page.keyboard.press('Enter');
      } else {
        await page.click(`#table-children tr[data-id="${child!.id}"] a`);
      }
      await waitForView(to, child!.id ?? '', lastMonth.from);
      path.push(child!.name);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('page-title');
      const crumbs = await page.$$eval('#breadcrumbs li', (items) => items.map((li) => li.textContent));
      expect(crumbs.slice(1)).toEqual(path);
      if (to !== 'balf') await expectShownEqualsApi();
    }
    // BALF level: no children table, the series still equals the API.
    expect(await page.$('#table-children')).toBeNull();
    const query = await shownQuery();
    const answer = await api(query.toString());
    const shownReceived = await page.textContent('.sb-tile[data-metric="received"] .sb-tile__value');
    expect(count(shownReceived ?? '')).toBe(answer.totals.received);
    await page.screenshot({ path: join(RESULTS, 'dashboard-balf.png'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-export')]);
    const file = await download.path();
    const csv = await readFile(file, 'utf8');
    const fromApi = await (await context.request.get(`${base}/api/v1/stats?${query}&format=csv`)).text();
    expect(csv).toBe(fromApi);
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    const total = csv
      .split('\r\n')
      .find((line) => line.startsWith('total;'))!
      .split(';');
    expect(Number(total[5])).toBe(answer.totals.received);
    expect(Number(total[10])).toBe(answer.totals.sent);
    expect(download.suggestedFilename()).toMatch(/^suivi-balf-balf-.*\.csv$/);

    // The breadcrumb leads back up.
    await page.click('#breadcrumbs li:first-child a');
    await waitForView('national', 'national', lastMonth.from);
  });

  it('shows the directory page with the unattached BALFs', async () => {
    await page.click('a[href="#/annuaire"]');
    await page.waitForSelector('#directory-page');
    await page.waitForSelector('#table-unattached, #unattached-empty');
    const list = (
      (await (await context.request.get(`${base}/api/v1/directory/unattached`)).json()) as {
        balfs: { balf: string; records: number }[];
      }
    ).balfs;
    expect(list.length).toBeGreaterThan(0);
    const rows = await page.$$eval('#table-unattached tbody tr', (trs) =>
      trs.map((tr) => [
        tr.getAttribute('data-balf'),
        tr.querySelector('[data-metric="records"]')?.textContent ?? '',
      ]),
    );
    expect(rows.map(([balf, records]) => [balf, count(records!)])).toEqual(
      list.map((b) => [b.balf, b.records]),
    );
    expect(rows.map(([balf]) => balf)).toContain(DEMO_UNATTACHED_BALF);

    // A file with a bad row is refused whole, with the line number.
    const header = 'department_code;department_name;service_code;service_name;service_kind;balf_address\n';
    expectedFailures.push(/\/api\/v1\/directory\/import$/);
    await page.setInputFiles('#directory-file', {
      name: 'annuaire-errone.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${header}75;DRFiP Île-de-France et Paris;0750199;;SIP;${DEMO_UNATTACHED_BALF}\n`),
    });
    await page.click('#import-form button[type="submit"]');
    await page.waitForSelector('#import-result .fr-alert--error');
    expect(await page.textContent('#import-result')).toMatch(/Import refusé.*Ligne 2/s);
    // A valid file attaches the BALF: it leaves the list of unattached BALFs.
    await page.setInputFiles('#directory-file', {
      name: 'annuaire.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `${header}75;DRFiP Île-de-France et Paris;0750199;SIP Paris nouveau service;SIP;${DEMO_UNATTACHED_BALF}\n`,
      ),
    });
    await page.click('#import-form button[type="submit"]');
    await page.waitForSelector('#import-result .fr-alert--success');
    await page.waitForFunction(
      (balf) => document.querySelector(`#unattached tr[data-balf="${balf}"]`) === null,
      DEMO_UNATTACHED_BALF,
    );
    const after = (
      (await (await context.request.get(`${base}/api/v1/directory/unattached`)).json()) as {
        balfs: { balf: string }[];
      }
    ).balfs;
    expect(after.map((b) => b.balf)).not.toContain(DEMO_UNATTACHED_BALF);
    await page.screenshot({ path: join(RESULTS, 'dashboard-annuaire.png'), fullPage: true });
  });

  it('stays usable at 200 % zoom (640 px wide): logout reachable, no horizontal scroll outside tables', async () => {
    await page.setViewportSize({ width: 640, height: 900 });
    await page.goBack();
    await waitForView('national', 'national');
    expect(await page.isVisible('#logout')).toBe(true);
    await page.screenshot({ path: join(RESULTS, 'dashboard-200-pourcent.png'), fullPage: true });
    // Data tables may scroll inside their own wrapper (WCAG 1.4.10 exception); the page itself may not.
    const overflowing = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      return [...document.querySelectorAll('body *')]
        .filter(
          (el) => el.getBoundingClientRect().right > width + 0.5 && el.closest('.fr-table__wrapper') === null,
        )
        .map(
          (el) =>
            `${el.tagName.toLowerCase()}#${el.id}.${el.className} → ${el.getBoundingClientRect().right}`,
        )
        .slice(0, 10);
    });
    expect(overflowing).toEqual([]);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    ).toBeLessThanOrEqual(0);
    await page.click('#logout');
    await page.waitForSelector('#login-form');
  });

  it('takes a department user to their department and refuses the national view', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    // A shared link opened while logged out leads, after the login, to that very view.
    const lastMonth = presetPeriod('last-month', new Date());
    await page.goto(
      `${base}/#/stats?level=department&id=75&from=${lastMonth.from}&to=${lastMonth.to}&g=week`,
    );
    await page.waitForSelector('#login-form');
    expect(page.url()).toContain('#/connexion?suite=');
    await page.fill('#login', DEPARTMENT_LOGIN);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await waitForView('department', '75', lastMonth.from);
    expect(await page.getAttribute('#stats-page', 'data-granularity')).toBe('week');
    expect(await page.$('a[href="#/annuaire"]')).toBeNull();
    await expectShownEqualsApi();
    const refused = await context.request.get(
      `${base}/api/v1/stats?level=national&id=national&from=2026-01-01&to=2026-01-31&granularity=day`,
    );
    expect(refused.status()).toBe(403);
    const { message } = (await refused.json()) as { message: string };
    // Every block of the page asks in parallel; each is refused.
    expectedFailures.push(/\/api\/v1\/(stats|spot-checks|storage|directory\/path)\?level=national/);
    await page.evaluate(() => {
      location.hash = '#/stats?level=national&id=national';
    });
    await page.waitForSelector('#app .fr-alert--error');
    expect(await page.textContent('#app .fr-alert--error')).toContain(message);
    await page.click('#logout');
    await page.waitForSelector('#login-form');
  });

  it('logged no console error, no failed request and no CSP violation', () => {
    expect(consoleErrors).toEqual([]);
  });
});
