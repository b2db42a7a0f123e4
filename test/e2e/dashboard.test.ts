// The dashboard in a real Chromium against the real server (SQLite, demo data): login, periods,
// drill-down national → department → service → BALF, CSV download, figures equal to the API's, the
// « Stockage » block from quota readings sent as the add-on sends them, no console error and no CSP
// violation; screenshots under test-results/.

import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../support/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import type { QuotaEntry, StorageView } from '../../src/core/storage-protocol.ts';
import { formatCountDelta } from '../../src/dashboard/format.ts';
import {
  comparisonPeriod,
  dayOf,
  homePeriod,
  periodLabel,
  presetPeriod,
  shiftPeriod,
} from '../../src/dashboard/period.ts';
import { formatDay, formatPercent, UNKNOWN_TEXT } from '../../src/dashboard/views/blocks/storage.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { DEMO_DEPARTMENTS, DEMO_UNATTACHED_BALF } from '../../src/server/demo/demo-directory.ts';
import {
  DEPARTMENT,
  PASSWORD,
  SERVICE,
  startDashboardServer,
  USERS,
  type DashboardServer,
} from '../support/dashboard-server.ts';

const LOGIN = USERS.national;
const RESULTS = join(process.cwd(), 'test-results');

let work: string;
let server: DashboardServer;
let base: string;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];
/** URLs whose 4xx answer a step expects (e.g. a department user asking for the national view). */
const expectedFailures: RegExp[] = [/\/api\/v1\/session$/];
const expected = (url: string) => expectedFailures.some((re) => re.test(url));
let spotCheckId: string;
const DEPARTMENT_LOGIN = USERS.coordinator;

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
  text === '—'
    ? null
    : Number(
        text
          .replace(/\(indicatif\)/, '')
          .replace(/[\s\u00a0\u202f%]/g, '')
          .replace(',', '.'),
      );
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
  // Periods starting after today are not shown (they hold no mail yet, not zeros).
  const past = answer.series.filter((s) => s.period <= dayOf(new Date()));
  expect(series).toEqual(past.map((s) => [s.period, expect.anything(), expect.anything()]));
  series.forEach(([, received, sent], i) => {
    expect(count(received!)).toBe(past[i]!.received);
    expect(count(sent!)).toBe(past[i]!.sent);
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
  work = await mkdtemp(join(tmpdir(), 'suivi-balf-dashboard-'));
  await mkdir(RESULTS, { recursive: true });
  // Enough history for "mois dernier" and its previous month; a chef de service's spot-check of last month.
  server = await startDashboardServer({
    dir: work,
    now: new Date(),
    days: 75,
    spotCheck: presetPeriod('last-month', new Date()),
  });
  base = server.base;
  spotCheckId = server.spotCheckId;
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
  await server?.close();
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
    expectedFailures.push(/\/api\/v1\/directory\/preview$/);
    await page.setInputFiles('#directory-file', {
      name: 'annuaire-errone.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${header}75;DRFiP Île-de-France et Paris;0750199;;SIP;${DEMO_UNATTACHED_BALF}\n`),
    });
    await page.click('#preview-submit');
    await page.waitForSelector('#import-result .fr-alert--error');
    expect(await page.textContent('#import-result')).toMatch(/Fichier refusé.*Ligne 2/s);
    // A valid file is previewed, then applied: the BALF leaves the list of unattached BALFs.
    await page.setInputFiles('#directory-file', {
      name: 'annuaire.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        `${header}75;DRFiP Île-de-France et Paris;0750199;SIP Paris nouveau service;SIP;${DEMO_UNATTACHED_BALF}\n`,
      ),
    });
    await page.click('#preview-submit');
    await page.waitForSelector(`#preview-balfs-added tr[data-balf="${DEMO_UNATTACHED_BALF}"]`);
    await page.click('#import-apply');
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

  it('stays usable at 200 % zoom (640 px wide): logout under « Menu », no horizontal scroll outside tables', async () => {
    await page.setViewportSize({ width: 640, height: 900 });
    await page.goBack();
    await waitForView('national', 'national');
    expect(await page.isVisible('#logout')).toBe(false);
    await page.click('#menu-button');
    expect(await page.getAttribute('#menu-button', 'aria-expanded')).toBe('true');
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

  it('shows the « Stockage » block: use, 80 / 95 % badges, « quota inconnu » never 0 %, the day of saturation', async () => {
    // Readings as the add-on sends them, one a day over two weeks: the chef's first BALF fills up
    // (89.5 % → 96.5 %), a Paris BALF stays at 82 %, another at 40 %, the chef's second BALF has no quota.
    const GiB = 1024 ** 3;
    const [filling, noQuota] = SERVICE.balfs as [string, string];
    const others = DEMO_DEPARTMENTS.find((d) => d.code === DEPARTMENT)!
      .services.filter((s) => s.code !== SERVICE.code)
      .map((s) => s.balfs[0]!);
    const [steady, low] = others as [string, string];
    const stored = (percent: number): QuotaEntry[] => [
      { type: 'STORAGE', unit: 'byte', used: Math.round((percent / 100) * 10 * GiB), limit: 10 * GiB },
    ];
    const samples = Array.from({ length: 15 }, (_, k) => {
      const at = new Date(Date.now() - (14 - k) * 86_400_000 - 3_600_000).toISOString();
      return [
        { balf: filling, at, quota: stored(89.5 + 0.5 * k) },
        { balf: steady, at, quota: stored(82) },
        { balf: low, at, quota: stored(40) },
        { balf: noQuota, at, quota: [] },
      ];
    }).flat();
    // The demo's own year of readings gives way to these: the counts below are this test's.
    await server.store.db.deleteFrom('storage_samples').execute();
    await server.store.db.deleteFrom('storage_days').execute();
    const { token } = await createToken(server.store.db, {
      scope: { level: 'department', code: DEPARTMENT },
      canWrite: true,
    });
    const posted = await server.app.inject({
      method: 'POST',
      url: '/api/v1/quota-samples',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: { schema: 1, client: { id: 'e2e-client', addon: '0.2.0', thunderbird: '153.8' }, samples },
    });
    expect(posted.statusCode, posted.body).toBe(200);
    expect(posted.json()).toMatchObject({ stored: samples.length, rejected: 0 });
    const storageApi = async (level: string, id: string): Promise<StorageView> => {
      const response = await context.request.get(`${base}/api/v1/storage?level=${level}&id=${id}`);
      expect(response.status(), await response.text()).toBe(200);
      return (await response.json()) as StorageView;
    };

    await page.fill('#login', DEPARTMENT_LOGIN);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await waitForView('department', DEPARTMENT);
    // The side menu leads to the block and puts the focus on its title.
    await page.click('#sidemenu a[data-block="stockage"]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('titre-stockage');
    const department = await storageApi('department', DEPARTMENT);
    expect([department.above80, department.above95]).toEqual([2, 1]);
    expect(department.unknown).toBeGreaterThanOrEqual(1);
    const summary = await page.$eval('#storage-summary', (p) =>
      ['above80', 'above95', 'unknown'].map((k) => Number(p.getAttribute(`data-${k}`))),
    );
    expect(summary).toEqual([department.above80, department.above95, department.unknown]);
    const closest = (balf: string) => page.locator(`#table-storage-closest tr[data-balf="${balf}"]`);
    const band = async (balf: string) =>
      (await closest(balf).locator('[data-band]').count()) === 0
        ? null
        : await closest(balf).locator('[data-band]').textContent();
    expect([await band(filling), await band(steady), await band(low)]).toEqual([
      '95 % ou plus',
      '80 % ou plus',
      null,
    ]);
    for (const b of department.closest!) {
      expect(await closest(b.balf).locator('.sb-storage-percent').textContent()).toBe(
        formatPercent(b.percent!),
      );
    }
    // A BALF without a quota is no « 0 % »: it is not among the closest, and counted as unknown.
    expect(await closest(noQuota).count()).toBe(0);
    const serviceRow = page.locator(`#table-storage-children tr[data-child="${SERVICE.code}"]`);
    expect(await serviceRow.locator('[data-metric="above95"]').textContent()).toBe('1');
    expect(await serviceRow.locator('[data-metric="unknown"]').textContent()).toBe('1');

    await serviceRow.locator('a').click();
    await waitForView('service', SERVICE.code);
    await page.waitForSelector('#table-storage');
    const service = await storageApi('service', SERVICE.code);
    const shown = (balf: string, metric: string) =>
      page.locator(`#table-storage tr[data-balf="${balf}"] [data-metric="${metric}"]`);
    expect(await shown(noQuota, 'use').textContent()).toBe(UNKNOWN_TEXT.not_given);
    expect(await shown(noQuota, 'use').locator('meter').count()).toBe(0);
    const full = service.balfs!.find((b) => b.balf === filling)!;
    expect(full.percent).toBeGreaterThanOrEqual(95);
    expect(full.daysLeft).toBeGreaterThan(1);
    expect(await shown(filling, 'use').locator('meter').getAttribute('value')).toBe(String(full.percent));
    expect(await shown(filling, 'use').locator('[data-band]').textContent()).toBe('95 % ou plus');
    expect(await shown(filling, 'saturation').textContent()).toBe(
      `saturation prévue le ${formatDay(full.fullOn!)} (dans ${full.daysLeft} jours ouvrés)`,
    );
    await page.locator('#bloc-stockage').screenshot({ path: join(RESULTS, 'dashboard-stockage.png') });
    await page.click('#logout');
    await page.waitForSelector('#login-form');
  });

  it('logged no console error, no failed request and no CSP violation', () => {
    expect(consoleErrors).toEqual([]);
  });
});
