// The sampling page's real bundle in a real browser (Chromium, stubbed `messenger`): draws over a seeded
// ledger, results against the core functions, narrow (200 % zoom) and print layouts, and the guide's screenshot.
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, requireChromium } from '../support/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoWeekStart, localDay } from '../../src/core/calendar.ts';
import { drawSample, wilsonInterval } from '../../src/core/sampling.ts';
import { replyStatus } from '../../src/core/targets.ts';
import type { LedgerRow } from '../../src/extension/ledger.ts';
import { SAMPLING_MARKER } from '../../src/extension/sampling/panel.ts';
import { percent } from '../../src/extension/sampling/results-view.ts';
import { BALF } from '../extension/helpers.ts';
import {
  buildLedger,
  expectedPopulation,
  firstReplyAt,
  frMessages,
  ROOT,
  tFr,
} from '../extension/sampling-fixtures.ts';

// Each run writes test-results/; the guide's image is refreshed only on request (it changes with the date).
const SCREENSHOT = join(ROOT, 'test-results', 'panneau-sondage.png');
const GUIDE_IMAGE = join(ROOT, 'docs', 'images', 'panneau-sondage.png');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The `messenger` subset the page uses, in the page: real French strings, a managed configuration. */
function stubMessenger(args: {
  messages: Record<string, { message: string }>;
  managed: Record<string, unknown>;
}) {
  const local: Record<string, unknown> = {};
  const opened: unknown[] = [];
  Object.assign(globalThis, {
    __opened: opened,
    messenger: {
      i18n: {
        getMessage: (name: string, subs?: string | string[]) => {
          const list = ([] as string[]).concat(subs ?? []);
          return (args.messages[name]?.message ?? '').replace(
            /\$(\d)/g,
            (_m, d: string) => list[Number(d) - 1] ?? '',
          );
        },
      },
      storage: {
        managed: { get: async () => structuredClone(args.managed) },
        local: {
          get: async (keys: string | string[]) =>
            Object.fromEntries(
              ([] as string[])
                .concat(keys)
                .filter((k) => k in local)
                .map((k) => [k, local[k]]),
            ),
          set: async (items: Record<string, unknown>) => void Object.assign(local, items),
          remove: async () => undefined,
        },
      },
      runtime: {
        getManifest: () => ({ version: '0.1.0', manifest_version: 3 }),
        getBrowserInfo: async () => ({ name: 'Thunderbird', version: '153.0' }),
      },
      messages: { query: async () => ({ id: null, messages: [] }) },
      messageDisplay: { open: async (info: unknown) => void opened.push(info) },
    },
  });
}

describe('page de sondage dans un vrai navigateur', () => {
  let work: string;
  let server: Server;
  let base: string;
  let browser: Browser;
  let page: Page;
  const consoleLines: string[] = [];
  const { rows } = buildLedger(160);

  beforeAll(async () => {
    requireChromium();
    work = await mkdtemp(join(tmpdir(), 'suivi-sampling-page-'));
    const site = join(work, 'site');
    await mkdir(join(site, 'sampling'), { recursive: true });
    await cp(join(ROOT, 'extension', 'sampling'), join(site, 'sampling'), { recursive: true });
    await copyFile(join(ROOT, 'extension', 'pages.css'), join(site, 'pages.css'));
    // Same bundling as scripts/build.mjs (esbuild, iife, browser); plus a seeding script for the ledger.
    const common = {
      absWorkingDir: ROOT,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      logLevel: 'warning',
    } as const;
    await build({
      ...common,
      entryPoints: ['src/extension/sampling/main.ts'],
      outfile: join(site, 'sampling', 'sampling.js'),
    });
    await build({
      ...common,
      stdin: {
        contents: `import { Ledger, openLedgerDb } from './src/extension/ledger.ts';
          globalThis.seedLedger = async (rows) => new Ledger(await openLedgerDb()).addIfAbsent(rows);`,
        resolveDir: ROOT,
        loader: 'ts',
      },
      outfile: join(site, 'seed.js'),
    });
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = join(site, path === '/' ? 'sampling/sampling.html' : path);
      if (!file.startsWith(site) || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--lang=fr-FR'],
    });
    const context = await browser.newContext({
      locale: 'fr-FR',
      timezoneId: 'Europe/Paris',
      viewport: { width: 1360, height: 900 },
    });
    await context.addInitScript(stubMessenger, {
      messages: frMessages,
      managed: {
        balfs: [BALF],
        secret: 'secret-de-deploiement-0123456789',
        logLevel: 'debug',
        allowSpotCheckUpload: true,
        endpoint: 'http://127.0.0.1:9',
        token: 'jeton',
      },
    });
    page = await context.newPage();
    page.on('console', (m) => consoleLines.push(m.text()));
    page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(`${base}/sampling/sampling.html`);
    await page.addScriptTag({ url: `${base}/seed.js` });
    await page.evaluate(async (r) => {
      await (globalThis as unknown as { seedLedger: (x: LedgerRow[]) => Promise<number> }).seedLedger(r);
    }, rows);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('tire le même échantillon que drawSample, avec les statuts de replyStatus, et trace le résultat', async () => {
    const query = `balf=${encodeURIComponent(BALF)}&period=custom&from=2026-11-09&to=2026-11-22&n=12&seed=GUIDE234&stratify=1&draw=1`;
    await page.goto(`${base}/sampling/sampling.html?${query}`);
    await page.waitForSelector('#sample-table tbody tr');
    expect(consoleLines.filter((l) => l.startsWith('pageerror'))).toEqual([]);
    const traceLine = consoleLines.find((l) => l.startsWith(`${SAMPLING_MARKER} `));
    expect(traceLine).toBeDefined();
    const trace = JSON.parse(traceLine!.slice(SAMPLING_MARKER.length + 1)) as {
      keys: string[];
      statuses: string[];
      asOf: string;
      population: number;
    };
    const population = expectedPopulation(rows, '2026-11-09', '2026-11-22');
    expect(trace.population).toBe(population.length);
    const expected = drawSample(population, 12, 'GUIDE234', {
      key: (r) => r.key,
      strata: (r) => isoWeekStart(localDay(r.at, 'metropole')),
    });
    expect(trace.keys).toEqual(expected.map((r) => r.key));
    const target = { id: 'marianne', label: 'Marianne', workingDays: 5 };
    expect(trace.statuses).toEqual(
      expected.map(
        (r) => replyStatus(r.at, firstReplyAt(rows, r.key), trace.asOf, target, 'metropole').status,
      ),
    );
    const shown = await page.$$eval('#sample-table tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-row')),
    );
    expect(shown).toEqual(trace.keys);
  });

  it('les verdicts donnent le taux et l’intervalle de Wilson du cœur ; capture pour le guide', async () => {
    const keys = await page.$$eval('#sample-table tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-row')!),
    );
    const verdicts = ['conforme', 'conforme', 'non_conforme', 'conforme', 'sans_objet', 'conforme'];
    for (const [i, v] of verdicts.entries()) {
      await page.selectOption(`select[data-field="verdict"][data-key="${keys[i]}"]`, v);
    }
    await page.fill(
      `input[data-field="comment"][data-key="${keys[2]}"]`,
      'Réponse incomplète, relance de l’usager',
    );
    const i = wilsonInterval(4, 5);
    await expect
      .poll(() => page.textContent('#rate'))
      .toBe(
        tFr('sampling_rate', [
          percent(0.8, 'fr-FR'),
          percent(i.lower, 'fr-FR'),
          percent(i.upper, 'fr-FR'),
          '4',
          '5',
        ]),
      );
    await page.click('#save');
    await page.waitForSelector('#saved li');
    await mkdir(join(ROOT, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    if (process.env['SUIVI_UPDATE_DOC_IMAGES'] === '1') await copyFile(SCREENSHOT, GUIDE_IMAGE);
  });

  it('à 200 % (fenêtre étroite) : pas de défilement horizontal, chaque message devient une fiche', async () => {
    await page.setViewportSize({ width: 640, height: 900 });
    // Elements sticking out of the viewport (the scroll wrappers of wide tables may scroll inside).
    const outside = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      return [...document.querySelectorAll('body *')]
        .filter((e) => !e.closest('.table-wrap') || e.classList.contains('table-wrap'))
        .filter(
          (e) => e.getBoundingClientRect().right > width + 1 && getComputedStyle(e).position !== 'absolute',
        )
        .map(
          (e) =>
            `${e.tagName.toLowerCase()}#${e.id}.${e.className} → ${Math.round(e.getBoundingClientRect().right)}`,
        );
    });
    expect(outside).toEqual([]);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth),
    ).toBeLessThanOrEqual(0);
    const display = await page.$eval('#sample-table tbody tr', (tr) => getComputedStyle(tr).display);
    expect(display).toBe('block');
    await page.setViewportSize({ width: 1360, height: 900 });
  });

  it('au clavier : la touche Tab atteint les boutons et les listes de verdict', async () => {
    await page.focus('#seed');
    const reached = new Set<string>();
    for (let n = 0; n < 40; n += 1) {
      await page.keyboard.press('Tab');
      reached.add(
        await page.evaluate(
          () => document.activeElement?.getAttribute('data-field') ?? document.activeElement?.id ?? '',
        ),
      );
    }
    expect(reached.has('new-seed')).toBe(true);
    expect(reached.has('verdict')).toBe(true);
  });

  it('impression : formulaire et boutons masqués, tableau et résultats visibles', async () => {
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('#draw-form')).toBe(false);
    expect(await page.isVisible('#save')).toBe(false);
    expect(await page.isVisible('#sample-table')).toBe(true);
    expect(await page.isVisible('#results')).toBe(true);
    await page.emulateMedia({ media: 'screen' });
  });
});
