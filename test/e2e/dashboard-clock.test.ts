// The dashboard in Chromium against the real server, both on a fixed clock — a Monday mid-month, a month's last
// day, 1 January — as a national user, a department coordinator and a chef de service, at 1280 and 375 px:
// days after today, what a rate rests on, the target cues, compared periods, refused and future periods,
// scoped breadcrumbs, tables at 375 px, the chef de service's week and spot-checks, the CSV, the directory
// import with its preview, and one journey with the keyboard only.

import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { formatCount, formatCountDelta, formatDecided } from '../../src/dashboard/format.ts';
import { comparisonPeriod, lastYearPeriod, periodLabel } from '../../src/dashboard/period.ts';
import { DEMO_UNATTACHED_BALF } from '../../src/server/demo/demo-directory.ts';
import { launchChromium, requireChromium } from '../support/chromium.ts';
import {
  PASSWORD,
  SERVICE,
  startDashboardServer,
  useFixedClock,
  USERS,
  type DashboardServer,
  type Role,
} from '../support/dashboard-server.ts';

const RESULTS = join(process.cwd(), 'test-results');
const count = (text: string) => Number(text.replace(/[\s\u00a0\u202f]/g, ''));

interface Clock {
  name: string;
  /** The instant (UTC) and the day it is in Paris. */
  now: Date;
  today: string;
  yearAgoDays?: number;
}

const MONDAY: Clock = {
  name: 'lundi 16 novembre 2026',
  now: new Date('2026-11-16T09:00:00Z'),
  today: '2026-11-16',
  yearAgoDays: 40,
};
const LAST_DAY: Clock = {
  name: 'mercredi 30 septembre 2026',
  now: new Date('2026-09-30T13:00:00Z'),
  today: '2026-09-30',
};
const NEW_YEAR: Clock = {
  name: 'vendredi 1er janvier 2027',
  now: new Date('2027-01-01T09:00:00Z'),
  today: '2027-01-01',
};

/** One server and one Chromium per clock, shared by that clock's tests. */
class Session {
  server!: DashboardServer;
  context!: BrowserContext;
  page!: Page;
  work!: string;
  readonly problems: string[] = [];
  /** URLs whose 4xx answer a step expects. */
  readonly expected: RegExp[] = [/\/api\/v1\/session$/];

  constructor(readonly clock: Clock) {}

  async start(): Promise<void> {
    this.work = await mkdtemp(join(tmpdir(), 'suivi-balf-dashboard-clock-'));
    this.server = await startDashboardServer({
      dir: this.work,
      now: this.clock.now,
      days: 60,
      ...(this.clock.yearAgoDays === undefined ? {} : { yearAgoDays: this.clock.yearAgoDays }),
    });
    this.context = await launchChromium(join(this.work, 'chromium'), {
      timezoneId: 'Europe/Paris',
      acceptDownloads: true,
    });
    await useFixedClock(this.context, this.clock.now);
    this.page = this.context.pages()[0] ?? (await this.context.newPage());
    const isExpected = (url: string) => this.expected.some((re) => re.test(url));
    this.page.on('console', (m) => {
      if (m.type() !== 'error' && m.type() !== 'warning') return;
      if (isExpected(m.location().url) && /\b4\d\d\b/.test(m.text())) return;
      this.problems.push(`${m.type()}: ${m.text()} (${m.location().url})`);
    });
    this.page.on('pageerror', (e) => this.problems.push(`pageerror: ${e.message}`));
    this.page.on('response', (r) => {
      if (r.status() >= 400 && !isExpected(r.url())) this.problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
  }

  async stop(): Promise<void> {
    await this.context?.close();
    await this.server?.close();
    if (this.work) await rm(this.work, { recursive: true, force: true });
  }

  async login(role: Role, width: number): Promise<void> {
    const { page } = this;
    await this.context.clearCookies();
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${this.server.base}/`);
    await page.waitForSelector('#login-form');
    await page.fill('#login', USERS[role]);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await this.view();
  }

  /** Waits for a statistics view to be shown (and its charts drawn). */
  async view(selector = ''): Promise<void> {
    await this.page.waitForSelector(`#stats-page${selector}`, { timeout: 60_000 });
    await this.page.waitForSelector('#app[aria-busy="false"]');
  }

  async api<T = StatsAnswer>(path: string): Promise<T> {
    const response = await this.context.request.get(`${this.server.base}${path}`);
    expect(response.status(), await response.text()).toBe(200);
    return (await response.json()) as T;
  }

  /** The stats API's answer for the query the page shows (read from its CSV link). */
  async shown(): Promise<StatsAnswer> {
    const href = (await this.page.getAttribute('#csv-export', 'href')) ?? '';
    const params = new URL(href, this.server.base).searchParams;
    for (const key of ['format', 'previous', 'lastYear']) params.delete(key);
    return this.api(`/api/v1/stats?${params}`);
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(RESULTS, `dashboard-${name}.png`), fullPage: true });
  }
}

/** What every view must satisfy, whoever and wherever: no future rows, numbers right-aligned, tables usable. */
async function checkView(s: Session, scopeLevel: 'national' | 'department' | 'service'): Promise<void> {
  const { page } = s;
  const periods = await page.$$eval('#table-series tbody tr', (rows) =>
    rows.map((r) => r.getAttribute('data-period') ?? ''),
  );
  expect(periods.length).toBeGreaterThan(0);
  expect(
    periods.filter((p) => p > s.clock.today),
    'no period after today',
  ).toEqual([]);
  const aligned = await page.$$eval('#blocks td.sb-num', (cells) => [
    ...new Set(cells.map((c) => getComputedStyle(c).textAlign)),
  ]);
  expect(aligned).toEqual(['right']);
  // The legends name their lines; no « -- » of values waiting for a pointer.
  const legends = await page.$$eval('.u-legend', (ls) => ls.map((l) => l.textContent ?? ''));
  expect(legends.length).toBe(2);
  for (const legend of legends) expect(legend).not.toContain('--');
  expect(legends[1]).toMatch(/Objectif : \d+ j ouvrés/);
  const crumbs = await page.$$eval('#breadcrumbs li', (items) => items.map((li) => li.textContent));
  if (scopeLevel !== 'national') expect(crumbs).not.toContain('National');
  // Every table wider than its box says so and can be scrolled with the keyboard; nothing else overflows.
  const tables = await page.$$eval('.fr-table', (ts) =>
    ts.map((t) => {
      const box = t.querySelector('.fr-table__container') as HTMLElement;
      const hint = t.querySelector('.sb-scroll-hint') as HTMLElement;
      return {
        id: t.id,
        scrolls: box.scrollWidth > box.clientWidth + 1,
        hint: getComputedStyle(hint).display !== 'none',
        focusable: box.getAttribute('tabindex') === '0',
      };
    }),
  );
  for (const t of tables)
    expect({ id: t.id, hint: t.hint, focusable: t.focusable }).toEqual({
      id: t.id,
      hint: t.scrolls,
      focusable: t.scrolls,
    });
  expect(
    await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
  ).toBeLessThanOrEqual(0);
}

beforeAll(() => {
  requireChromium();
  return mkdir(RESULTS, { recursive: true }).then(() => undefined);
}, 600_000);

describe(`on ${MONDAY.name}`, () => {
  const s = new Session(MONDAY);
  beforeAll(() => s.start(), 900_000);
  afterAll(() => s.stop());

  it('national, 1280 px: a running month cut at today, rates with what they rest on, targets, both comparisons', async () => {
    await s.login('national', 1280);
    const { page } = s;
    expect(await page.getAttribute('#stats-page', 'data-from')).toBe('2026-11-01');
    expect(await page.textContent('#period-lead')).toMatch(
      /^novembre 2026 \(période en cours, au lundi 16 novembre 2026\)/,
    );
    await checkView(s, 'national');
    const answer = await s.shown();
    const rows = await page.$$eval('#table-series tbody tr', (r) =>
      r.map((x) => [x.getAttribute('data-period'), x.getAttribute('data-running')]),
    );
    expect(rows[rows.length - 1]).toEqual(['2026-11-16', 'true']);
    expect(rows).toHaveLength(16);
    // « Période suivante » does not walk into December.
    expect(await page.getAttribute('#period-next', 'aria-disabled')).toBe('true');
    expect(await page.getAttribute('#period-next', 'href')).toBeNull();
    // The rate and what it rests on.
    const t = answer.totals;
    expect(await page.textContent('.sb-tile[data-metric="complianceRate"] [data-detail="decided"]')).toBe(
      `sur ${formatDecided(t.answeredInTime + t.answeredLate + t.overdue, t.pending)}`,
    );
    expect(await page.textContent('.sb-tile[data-metric="received"] [data-detail="categories"]')).toContain(
      `${t.receivedByCategory.usager}`.replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f'),
    );
    // The delay tiles say where they stand against 5 working days.
    const p90 = await page.textContent('.sb-tile[data-metric="p90DelayDays"] [data-verdict]');
    expect(p90).toBe(t.p90DelayDays! <= 5 ? 'Dans l’objectif (5 j)' : 'Au-delà de l’objectif (5 j)');
    // Both comparisons, cut to the 16 days run, with the API's figures.
    const previous = comparisonPeriod({ from: '2026-11-01', to: '2026-11-30' }, MONDAY.now);
    const yearAgo = lastYearPeriod({ from: '2026-11-01', to: '2026-11-30' }, MONDAY.now);
    expect(yearAgo).toEqual({ from: '2025-11-01', to: '2025-11-16' });
    expect(await page.textContent('#comparison-note')).toBe(
      `Évolutions par rapport au début de la période précédente (${periodLabel(previous)}) et à la même période un an plus tôt (${periodLabel(yearAgo)}) : autant de jours que la période en cours en compte à ce jour.`,
    );
    const before = await s.api(`/api/v1/stats?level=national&from=${yearAgo.from}&to=${yearAgo.to}`);
    expect(before.totals.received).toBeGreaterThan(0);
    expect(await page.textContent('.sb-tile[data-metric="received"] [data-compare="lastYear"]')).toContain(
      formatCountDelta(t.received, before.totals.received),
    );
    // Sorting by the target cue puts the department furthest below 90 % first.
    await page.click('#table-children button[data-sort="verdict"]');
    const rated = answer.children
      .filter((c) => c.complianceRate !== null && c.answeredInTime + c.answeredLate + c.overdue >= 30)
      .sort((a, b) => a.complianceRate! - b.complianceRate!);
    const order = await page.$$eval('#table-children tbody tr', (r) =>
      r.map((x) => x.getAttribute('data-id')),
    );
    expect(order.slice(0, rated.length)).toEqual(rated.map((c) => c.id));
    expect(await page.getAttribute('#table-children th:has(button[data-sort="verdict"])', 'aria-sort')).toBe(
      'ascending',
    );
    const ranked = rated.filter((c) => c.complianceRate! < 0.9 && c.id !== 'unattached').slice(0, 5);
    const ranking = await page.$$eval('#table-ranking tbody tr', (r) =>
      r.map((x) => x.getAttribute('data-id')),
    );
    expect(ranking).toEqual(ranked.map((c) => c.id));
    // The chart's points carry their values: the last one (today) through the keyboard.
    await page.focus('#chart-surface');
    await page.keyboard.press('End');
    const last = answer.series.find((p) => p.period === '2026-11-16')!;
    expect(await page.textContent('#chart .sb-chart__readout')).toBe(
      `lun. 16 nov. 2026 (en cours) — Reçus (tous) : ${formatCount(last.received)} ; ` +
        `Reçus d’usagers : ${formatCount(last.receivedByCategory.usager)} ; Envoyés : ${formatCount(last.sent)}`,
    );
    await page.keyboard.press('ArrowLeft');
    expect(await page.textContent('#chart .sb-chart__readout')).toMatch(/^dim\. 15 nov\. 2026 — /);
    await s.shot('horloge-lundi-national');
  });

  it('national: the CSV holds rounded rates, the compared periods and the spot-checks', async () => {
    const { page } = s;
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-export')]);
    const csv = await readFile(await download.path(), 'utf8');
    const [figures, spots] = csv.slice(1).split('\r\n\r\n');
    const lines = figures!.split('\r\n').map((l) => l.split(';'));
    const rate = lines[0]!.indexOf('Taux de conformité (%)');
    for (const line of lines.slice(1)) expect(line[rate]).toMatch(/^(\d+(,\d)?)?$/);
    expect(
      lines
        .filter((l) => l[0] === 'période')
        .map((l) => l[4])
        .pop(),
    ).toBe('2026-11-16');
    expect(
      lines.some((l) => l[0] === 'comparaison : période précédente' && l[4] === '2026-10-01 au 2026-10-16'),
    ).toBe(true);
    expect(
      lines.some(
        (l) => l[0] === 'comparaison : même période un an plus tôt' && l[4] === '2025-11-01 au 2025-11-16',
      ),
    ).toBe(true);
    expect(spots).toContain(s.server.spotCheckId);
  });

  it('national: a period the server refuses keeps the form and shows its reason; a future one says so', async () => {
    const { page } = s;
    // The period, the one before and the one a year earlier are all refused (400).
    s.expected.push(/\/api\/v1\/stats\?level=national&id=national&from=(2020-01-01|2019-01-01|2013-02-14)&/);
    await page.selectOption('#preset', 'custom');
    await page.fill('#from', '2020-01-01');
    await page.fill('#to', '2026-11-16');
    await page.click('#period-form button[type="submit"]');
    await s.view('[data-state="refused"]');
    expect(await page.textContent('#form-error .fr-alert--error')).toMatch(
      /Période refusée par le serveur.*période trop longue \(2512 jours ; au plus 1098\)/s,
    );
    expect(await page.inputValue('#from')).toBe('2020-01-01');
    expect(await page.textContent('h1')).toBe('Vue nationale');
    await page.evaluate(() => {
      location.hash = '#/stats?level=national&id=national&from=2027-01-01&to=2027-01-31';
    });
    await s.view('[data-state="future"]');
    expect(await page.textContent('#future-notice')).toMatch(/Cette période n’a pas encore commencé/);
  });

  it('national, keyboard only: login, side menu, sort, drill down, chart points, breadcrumb, logout', async () => {
    const { page } = s;
    await s.context.clearCookies();
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${s.server.base}/`);
    await page.waitForSelector('#login-form');
    const active = () =>
      page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return {
          id: el?.id ?? '',
          text: (el?.textContent ?? '').trim(),
          outline: el ? getComputedStyle(el).outlineStyle : '',
        };
      });
    /** Tabs until the focused element matches; every stop must show a focus outline. */
    const tabTo = async (match: (a: { id: string; text: string }) => boolean, shift = false) => {
      for (let i = 0; i < 120; i++) {
        await page.keyboard.press(shift ? 'Shift+Tab' : 'Tab');
        const a = await active();
        if (match(a)) {
          expect(a.outline, `focus visible on ${a.id || a.text}`).not.toBe('none');
          return;
        }
      }
      throw new Error('élément jamais atteint au clavier');
    };
    await tabTo((a) => a.id === 'login');
    await page.keyboard.type(USERS.national);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await s.view('[data-level="national"]');
    await tabTo((a) => a.text === 'Départements' && a.id === '');
    await page.keyboard.press('Enter');
    expect((await active()).id).toBe('titre-detail');
    await tabTo((a) => a.text.startsWith('Trier par « Repère »'));
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#table-children th:has(button[data-sort="verdict"])', 'aria-sort')).toBe(
      'ascending',
    );
    await tabTo((a) => a.text.startsWith('DRFiP'));
    const target = (await active()).text;
    await page.keyboard.press('Enter');
    await s.view('[data-level="department"]');
    expect((await active()).id).toBe('page-title');
    expect(await page.textContent('h1')).toBe(`Département ${target}`);
    await tabTo((a) => a.text === 'Flux de messages' && a.id === '');
    await page.keyboard.press('Enter');
    await tabTo((a) => a.id === 'chart-surface');
    await page.keyboard.press('ArrowLeft');
    expect(await page.textContent('#chart .sb-chart__readout')).toMatch(
      /^dim\. 15 nov\. 2026 — Reçus \(tous\) : \d/,
    );
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.focus('#page-title');
    await tabTo((a) => a.text === 'National', true);
    await page.keyboard.press('Enter');
    await s.view('[data-level="national"]');
    await page.focus('#page-title');
    await tabTo((a) => a.id === 'logout', true);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#login-form');
  });

  it('coordinator, 375 px: header links under « Menu », tables scroll with a hint, nothing above the department', async () => {
    await s.login('coordinator', 375);
    const { page } = s;
    await s.view('[data-level="department"][data-id="75"]');
    await checkView(s, 'department');
    expect(await page.isVisible('#logout')).toBe(false);
    await page.click('#menu-button');
    expect(await page.isVisible('#logout')).toBe(true);
    await page.keyboard.press('Escape');
    expect(await page.isVisible('#logout')).toBe(false);
    expect(await page.$$eval('#breadcrumbs li', (li) => li.map((x) => x.textContent))).toEqual([
      'DRFiP Île-de-France et Paris',
    ]);
    expect(await page.isVisible('#table-children .sb-scroll-hint')).toBe(true);
    // The side menu folds under its button at this width.
    expect(await page.isVisible('#sidemenu .fr-sidemenu__link')).toBe(false);
    await page.click('#sidemenu .fr-sidemenu__btn');
    await page.click('#sidemenu a[data-block="classement"]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('titre-classement');
    await s.shot('horloge-lundi-coordination-375');
    // A view above the scope: the server's reason, in words, and the way back.
    s.expected.push(/\/api\/v1\/(stats|spot-checks|storage|directory\/path)\?level=national/);
    await page.evaluate(() => {
      location.hash = '#/stats?level=national&id=national';
    });
    await page.waitForSelector('#app .fr-alert--error');
    expect(await page.textContent('#app .fr-alert--error')).toContain(
      'La vue nationale n’est pas dans votre périmètre (le département 75).',
    );
    expect(await page.textContent('#app a[href="#/"]')).toBe('Revenir à votre tableau de bord');
  });

  it('chef de service, 1280 px: this week, the spot-check beside the automatic rates, nothing cut', async () => {
    await s.login('chef', 1280);
    const { page } = s;
    await s.view(`[data-level="service"][data-id="${SERVICE.code}"]`);
    await checkView(s, 'service');
    expect(await page.$$eval('#breadcrumbs li', (li) => li.map((x) => x.textContent))).toEqual([
      SERVICE.name,
    ]);
    expect(await page.$$eval('#blocks > section', (b) => b.map((x) => x.id).slice(0, 3))).toEqual([
      'bloc-cette-semaine',
      'bloc-chiffres-cles',
      'bloc-sondages',
    ]);
    const week = await s.api(
      `/api/v1/stats?level=service&id=${SERVICE.code}&from=2026-09-28&to=2026-11-16&granularity=week`,
    );
    const tileValue = (metric: string) =>
      page.textContent(`#bloc-cette-semaine [data-metric="${metric}"] .sb-tile__value`);
    expect(count((await tileValue('weekPending'))!)).toBe(week.totals.pending);
    expect(count((await tileValue('weekOverdue'))!)).toBe(week.totals.overdue);
    expect(count((await tileValue('weekReceived'))!)).toBe(
      week.series.find((p) => p.period === '2026-11-16')!.receivedByCategory.usager,
    );
    const row = page.locator(`#table-spot-checks tr[data-id="${s.server.spotCheckId}"]`);
    expect(await row.locator('[data-metric="rate"]').textContent()).toMatch(
      /^85,7.%IC 95 % : 68,5.% – 94,3.%$/,
    );
    expect(await row.locator('[data-metric="sampleAutomatic"]').textContent()).toMatch(
      /^76,7.%dans l’intervalle$/,
    );
    expect(await row.locator('[data-metric="balfAutomatic"]').textContent()).toMatch(
      /^\d+,\d.%(dans|hors de) l’intervalle$/,
    );
    expect(await row.locator('[data-metric="targets"]').textContent()).toBe(
      'sondage : 5 j ouvréscalcul : 5 j ouvrés',
    );
    // The spot-check table fits at 1280 px.
    expect(
      await page.$eval('#table-spot-checks .fr-table__container', (b) => b.scrollWidth <= b.clientWidth + 1),
    ).toBe(true);
    await s.shot('horloge-lundi-chef-1280');
  });

  it('national: the directory with its codes, template and export; a Windows-1252 file previewed then applied', async () => {
    await s.login('national', 1280);
    const { page } = s;
    await page.click('a[href="#/annuaire"]');
    await page.waitForSelector('#table-directory');
    expect(await page.textContent('#directory-file-name')).toBe('Aucun fichier choisi');
    expect(await page.textContent('label[for="directory-file"]')).toBe('Choisir un fichier');
    for (const [id, file] of [
      ['#directory-template', 'modele-annuaire-suivi-balf.csv'],
      ['#directory-export', 'annuaire-suivi-balf.csv'],
    ] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
      expect(download.suggestedFilename()).toBe(file);
    }
    await page.selectOption('#directory-department', '75');
    expect(await page.textContent(`#table-directory tr[data-service="${SERVICE.code}"] th`)).toBe(
      SERVICE.code,
    );
    // Excel's « CSV (séparateur : point-virgule) »: Windows-1252, « Î » is the byte 0xCE.
    const text =
      'department_code;department_name;service_code;service_name;service_kind;balf_address\r\n' +
      `75;DRFiP Île-de-France et Paris;${SERVICE.code};${SERVICE.name} – accueil;SIP;${DEMO_UNATTACHED_BALF}\r\n` +
      `75;DRFiP Île-de-France et Paris;${SERVICE.code};${SERVICE.name} – accueil;SIP;${SERVICE.balfs[0]}\r\n`;
    const bytes = Buffer.from([...text].map((c) => (c === '–' ? 0x96 : c.charCodeAt(0))));
    await page.setInputFiles('#directory-file', {
      name: 'annuaire-excel.csv',
      mimeType: 'text/csv',
      buffer: bytes,
    });
    expect(await page.textContent('#directory-file-name')).toBe('Fichier choisi : annuaire-excel.csv');
    await page.click('#preview-submit');
    await page.waitForSelector('#preview');
    expect(await page.textContent('#preview-encoding')).toMatch(/^Encodage reconnu : Windows-1252/);
    expect(
      await page.textContent(
        `#preview-balfs-added tr[data-balf="${DEMO_UNATTACHED_BALF}"] [data-metric="history"]`,
      ),
    ).toMatch(/^[\d\u202f]+ messages du .* au .*, jusqu’ici « non rattachés » : ils rejoignent ce service$/);
    expect(await page.textContent('#preview-services-changed')).toContain(
      `« ${SERVICE.name} » → « ${SERVICE.name} – accueil »`,
    );
    await page.click('#import-apply');
    await page.waitForSelector('#import-result .fr-alert--success');
    const listing = await s.api<{
      departments: { code: string; name: string; services: { code: string; name: string }[] }[];
    }>('/api/v1/directory/entries');
    const paris = listing.departments.find((d) => d.code === '75')!;
    expect(paris.name).toBe('DRFiP Île-de-France et Paris');
    expect(paris.services.find((x) => x.code === SERVICE.code)?.name).toBe(`${SERVICE.name} – accueil`);
    // A workbook saved under a .csv name is refused with what to do.
    s.expected.push(/\/api\/v1\/directory\/preview$/);
    await page.setInputFiles('#directory-file', {
      name: 'annuaire.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00]),
    });
    await page.click('#preview-submit');
    await page.waitForSelector('#import-result .fr-alert--error');
    expect(await page.textContent('#import-result')).toMatch(/classeur Excel.*CSV UTF-8/s);
    await s.shot('horloge-lundi-annuaire');
  });

  it('logged no console error, no failed request and no CSP violation', () => {
    expect(s.problems).toEqual([]);
  });
});

describe(`on ${LAST_DAY.name}`, () => {
  const s = new Session(LAST_DAY);
  beforeAll(() => s.start(), 900_000);
  afterAll(() => s.stop());

  it('national, 1280 px: the month ends today; no year-ago data is said, not shown as a rise; a year grouped by month', async () => {
    await s.login('national', 1280);
    const { page } = s;
    expect(await page.getAttribute('#stats-page', 'data-from')).toBe('2026-09-01');
    await checkView(s, 'national');
    const periods = await page.$$eval('#table-series tbody tr', (r) =>
      r.map((x) => x.getAttribute('data-period')),
    );
    expect(periods[periods.length - 1]).toBe('2026-09-30');
    expect(await page.getAttribute('#period-next', 'aria-disabled')).toBe('true');
    // The last day: the whole of August is the period before.
    expect(await page.textContent('#comparison-note')).toMatch(
      /^Évolutions par rapport à la période précédente \(août 2026\) et à la même période un an plus tôt \(septembre 2025 : aucune donnée\)\./,
    );
    expect(await page.textContent('.sb-tile[data-metric="received"] [data-compare="lastYear"]')).toMatch(
      /aucune donnée$/,
    );
    // « Cette année »: grouped by month without asking, and nothing after September.
    await page.selectOption('#preset', 'year');
    expect(await page.inputValue('#granularity')).toBe('auto');
    await page.click('#period-form button[type="submit"]');
    await s.view('[data-from="2026-01-01"][data-granularity="month"]');
    expect(page.url()).not.toContain('g=');
    const months = await page.$$eval('#table-series tbody tr', (r) =>
      r.map((x) => x.getAttribute('data-period')),
    );
    expect(months).toEqual(['01', '02', '03', '04', '05', '06', '07', '08', '09'].map((m) => `2026-${m}-01`));
    await s.shot('horloge-fin-de-mois-national');
  });

  it('chef de service, 375 px: the page fits, its tables scroll with a hint', async () => {
    await s.login('chef', 375);
    await checkView(s, 'service');
    await s.shot('horloge-fin-de-mois-chef-375');
  });

  it('logged no console error, no failed request and no CSP violation', () => {
    expect(s.problems).toEqual([]);
  });
});

describe(`on ${NEW_YEAR.name}`, () => {
  const s = new Session(NEW_YEAR);
  beforeAll(() => s.start(), 900_000);
  afterAll(() => s.stop());

  it('national, 375 px: opens on December, then January holds one day, and February is not offered', async () => {
    await s.login('national', 375);
    const { page } = s;
    expect(await page.getAttribute('#stats-page', 'data-from')).toBe('2026-12-01');
    await checkView(s, 'national');
    expect(await page.$('#running-notice')).toBeNull();
    await page.click('#period-next');
    await s.view('[data-from="2027-01-01"]');
    expect(
      await page.$$eval('#table-series tbody tr', (r) =>
        r.map((x) => [x.getAttribute('data-period'), x.getAttribute('data-running')]),
      ),
    ).toEqual([['2027-01-01', 'true']]);
    expect(await page.textContent('#period-lead')).toMatch(
      /^janvier 2027 \(période en cours, au vendredi 1er janvier 2027\)/,
    );
    expect(await page.getAttribute('#period-next', 'aria-disabled')).toBe('true');
    await s.shot('horloge-1er-janvier-national-375');
  });

  it('coordinator, 1280 px: this week stops on Friday 1 January', async () => {
    await s.login('coordinator', 1280);
    const { page } = s;
    await page.selectOption('#preset', 'this-week');
    await page.click('#period-form button[type="submit"]');
    await s.view('[data-from="2026-12-28"]');
    await checkView(s, 'department');
    const days = await page.$$eval('#table-series tbody tr', (r) =>
      r.map((x) => x.getAttribute('data-period')),
    );
    expect(days).toEqual(['2026-12-28', '2026-12-29', '2026-12-30', '2026-12-31', '2027-01-01']);
  });

  it('chef de service, 1280 px: the week block starts on Monday 28 December', async () => {
    await s.login('chef', 1280);
    const { page } = s;
    await checkView(s, 'service');
    const weeks = await page.$$eval('#table-week tbody tr', (r) =>
      r.map((x) => x.getAttribute('data-period')),
    );
    expect(weeks.every((w) => w! <= '2026-12-28')).toBe(true);
    expect(await page.textContent('#bloc-cette-semaine p')).toMatch(/^État au vendredi 1er janvier 2027/);
  });

  it('logged no console error, no failed request and no CSP violation', () => {
    expect(s.problems).toEqual([]);
  });
});
