// A scenario's figures end to end up to the screen: `npm run e2e:scenario -- <dir> <out> --db <file>` (real
// Thunderbird, Dovecot, server), then the dashboard in real Chromium on that database shows, for the scenario's
// BALF over its period, exactly the runner's out.json, which holds the scenario's expected.json. Screenshot kept.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../support/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { buildApp } from '../../src/server/app.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import {
  readSeries,
  readTiles,
  seriesOf,
  tilesOf,
  type SeriesRow,
  type TileFigures,
} from '../support/scenario/dashboard-figures.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { REPO_ROOT } from '../support/thunderbird/xpi.ts';
import { subsetDifferences } from './scenarios/match.ts';

/** A rich scenario: same-day, References-only and heuristic replies, two replies, forward, new, overdue. */
const SCENARIO = 'reponses-et-references';
const DIR = join(REPO_ROOT, 'test', 'e2e', 'scenarios', SCENARIO);
const RESULTS = join(REPO_ROOT, 'test-results');
const LOGIN = 'chef.scenario';
const PASSWORD = 'mot-de-passe-du-scenario-e2e';

const scenario = JSON.parse(readFileSync(join(DIR, 'scenario.json'), 'utf8')) as {
  balf: string;
  department: string;
};
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as {
  totals: Partial<StatsAnswer['totals']>;
  series: (Partial<StatsAnswer['series'][number]> & { period: string })[];
};

let work: string;
let out: StatsAnswer;
let store: OpenDb;
let app: FastifyInstance;
let base: string;
let context: BrowserContext;
let page: Page;
const pageProblems: string[] = [];

/** The runner exactly as `npm run e2e:scenario` starts it, keeping its database. */
function runScenario(file: string, db: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn('node', ['scripts/run-ts.mjs', 'scripts/e2e-scenario.ts', DIR, file, '--db', db], {
      cwd: REPO_ROOT,
      env: { ...process.env, SUIVI_SCENARIO_QUIET: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
    child.on('close', (status) => done({ status, stderr }));
  });
}

/** Only the keys the expected subset names, for a readable comparison with the shown figures. */
function pick<T extends object>(shown: T, wanted: object): Partial<T> {
  return Object.fromEntries(Object.keys(wanted).map((k) => [k, shown[k as keyof T]])) as Partial<T>;
}

beforeAll(async () => {
  requireThunderbirdAndDovecot();
  requireChromium();
  work = await mkdtemp(join(tmpdir(), 'suivi-scenario-dashboard-'));
  await mkdir(RESULTS, { recursive: true });
  const outFile = join(work, 'out.json');
  const dbFile = join(work, 'scenario.sqlite');
  const run = await runScenario(outFile, dbFile);
  expect(run.status, `e2e:scenario ${SCENARIO} : ${run.stderr.trim().split('\n').at(-1) ?? ''}`).toBe(0);
  out = JSON.parse(readFileSync(outFile, 'utf8')) as StatsAnswer;

  store = await openDatabase({ kind: 'sqlite', file: dbFile });
  // A chef de service of the scenario's department, as a real reader of these figures would be.
  await addUser(store.db, {
    login: LOGIN,
    password: PASSWORD,
    scope: { level: 'department', code: scenario.department },
  });
  app = await buildApp({ db: store.db, rateLimit: false });
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
  context = await launchChromium(join(work, 'chromium-profile'));
  page = context.pages()[0] ?? (await context.newPage());
  // The anonymous session probe answers 401 by design; anything else failing is a defect.
  const probe = (url: string) => /\/api\/v1\/session$/.test(url);
  page.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && !probe(m.location().url))
      pageProblems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !probe(r.url())) pageProblems.push(`HTTP ${r.status()} ${r.url()}`);
  });
}, 1_700_000);

afterAll(async () => {
  await context?.close();
  await app?.close();
  await store?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe(`tableau de bord du scénario ${SCENARIO} dans Chromium`, () => {
  it('le lanceur a écrit les chiffres attendus du scénario', () => {
    expect(out.level).toBe('balf');
    expect(out.id).toBe(scenario.balf);
    expect(subsetDifferences(out, expected)).toEqual([]);
  });

  it('montre pour la BALF, sur la période du scénario, les chiffres du lanceur', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#login-form');
    await page.fill('#login', LOGIN);
    await page.fill('#password', PASSWORD);
    await page.press('#password', 'Enter');
    await page.waitForSelector(`#stats-page[data-level="department"][data-id="${scenario.department}"]`, {
      timeout: 30_000,
    });
    const hash = new URLSearchParams({
      level: 'balf',
      id: scenario.balf,
      from: out.from,
      to: out.to,
      g: 'day',
    });
    await page.goto(`${base}/#/stats?${hash}`);
    await page.waitForSelector(
      `#stats-page[data-level="balf"][data-id="${scenario.balf}"][data-from="${out.from}"]`,
      { timeout: 30_000 },
    );
    await page.waitForSelector('#app[aria-busy="false"]');
    await page.waitForSelector('#chart canvas');
    expect(await page.getAttribute('#stats-page', 'data-to')).toBe(out.to);
    // Breadcrumbs lead from the department through the scenario's service to the BALF.
    const crumbs = await page.$$eval('#breadcrumbs li', (items) => items.map((li) => li.textContent ?? ''));
    expect(crumbs.at(-1)).toContain(scenario.balf);

    const tiles = await readTiles(page);
    const series = await readSeries(page);
    await page.screenshot({ path: join(RESULTS, `scenario-dashboard-${SCENARIO}.png`), fullPage: true });

    // Shown = the runner's out.json, every tile and every day of the period.
    expect(tiles).toEqual(tilesOf(out.totals));
    expect(series).toEqual(seriesOf(out.series));
    // Shown = the hand-written expected.json, on what it names.
    const wantedTiles = pick(tilesOf({ ...out.totals, ...expected.totals }), expected.totals);
    expect(pick(tiles, expected.totals) as Partial<TileFigures>).toEqual(wantedTiles);
    expect(tiles.received).toBe(expected.totals.received);
    expect(tiles.sent).toBe(expected.totals.sent);
    expect(tiles.overdue).toBe(expected.totals.overdue);
    const byPeriod = new Map(series.map((row) => [row.period, row]));
    for (const day of expected.series) {
      const row = byPeriod.get(day.period);
      expect(row, `jour ${day.period} affiché`).toBeDefined();
      const point = { ...out.series.find((p) => p.period === day.period)!, ...day };
      expect(pick(row!, day) as Partial<SeriesRow>, `jour ${day.period}`).toEqual(
        pick(seriesOf([point])[0]!, day),
      );
    }
    expect(pageProblems).toEqual([]);
  });
});
