// Screenshots of the real dashboard in Chromium (playwright-core) against a running demo server: login page,
// national view, a department, a service, the directory page, and the CSV link.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { todayIn } from '../../../src/core/calendar.ts';
import { parseDay, presetPeriod } from '../../../src/dashboard/period.ts';
import { launchChromium, requireChromium } from '../chromium.ts';
import { REPO_ROOT } from '../thunderbird/xpi.ts';
import { DEMO_DEPARTMENT, DEMO_LOGIN, DEMO_PASSWORD, type DemoServer } from './demo-server.ts';

/** File names written by `captureDashboard`, stable: the guides refer to them. */
export const DASHBOARD_SHOTS = {
  login: 'tableau-de-bord-connexion.png',
  national: 'tableau-de-bord-national.png',
  department: 'tableau-de-bord-departement.png',
  service: 'tableau-de-bord.png',
  csv: 'export-csv.png',
  directory: 'tableau-de-bord-annuaire.png',
} as const;

async function waitForView(page: Page, level: string, id?: string, from?: string): Promise<void> {
  const idSelector = id === undefined ? '' : `[data-id="${id}"]`;
  const fromSelector = from === undefined ? '' : `[data-from="${from}"]`;
  await page.waitForSelector(`#stats-page[data-level="${level}"]${idSelector}${fromSelector}`, {
    timeout: 30_000,
  });
  await page.waitForSelector('#app[aria-busy="false"]');
  // The chart draws after the tables; a screenshot before it shows an empty frame.
  await page.waitForSelector('#chart canvas', { timeout: 30_000 });
  await page.waitForTimeout(300);
}

/** Writes the dashboard's PNGs into `outDir`; returns their paths. Builds the dashboard bundle first. */
export async function captureDashboard(server: DemoServer, outDir: string): Promise<string[]> {
  requireChromium();
  execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const profile = await mkdtemp(join(tmpdir(), 'suivi-balf-captures-chromium-'));
  const context = await launchChromium(profile, { timezoneId: 'Europe/Paris' });
  const written: string[] = [];
  const shot = async (page: Page, name: string, fullPage = true) => {
    const path = join(outDir, name);
    await page.screenshot({ path, fullPage });
    written.push(path);
  };
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.base}/`);
    await page.waitForSelector('#login-form');
    await shot(page, DASHBOARD_SHOTS.login, false);

    await page.fill('#login', DEMO_LOGIN);
    await page.fill('#password', DEMO_PASSWORD);
    await page.click('#login-submit');
    // Views are captured at a fixed height: header, key figures, chart and the top of the tables (the full
    // daily tables would make pictures several screens long).
    await page.setViewportSize({ width: 1280, height: 1500 });
    await waitForView(page, 'national', 'national');
    // The dashboard opens on this month (Paris time, as the browser here): in a month's first week it holds
    // little mail — on 1 December at 00:08 none, and no service had any to show. The pictures show last month then.
    const today = todayIn('metropole', new Date());
    if (Number(today.slice(8)) <= 7) {
      const month = presetPeriod('last-month', parseDay(today) as Date);
      await page.goto(`${server.base}/#/stats?level=national&id=national&from=${month.from}&to=${month.to}`);
      await waitForView(page, 'national', 'national', month.from);
    }
    await shot(page, DASHBOARD_SHOTS.national, false);

    await page.click(`#table-children tr[data-level="department"][data-id="${DEMO_DEPARTMENT}"] a`);
    await waitForView(page, 'department', DEMO_DEPARTMENT);
    await shot(page, DASHBOARD_SHOTS.department, false);

    // The first service of the department that has mail in the period.
    const service = await page.$$eval('#table-children tr[data-level="service"]', (rows) =>
      rows
        .map((r) => ({
          id: r.getAttribute('data-id') ?? '',
          received: Number(
            (r.querySelector('[data-metric="received"]')?.textContent ?? '0').replace(/\D/g, ''),
          ),
        }))
        .find((r) => r.id !== 'unattached' && r.received > 0),
    );
    if (!service) throw new Error(`aucun service avec des messages dans le département ${DEMO_DEPARTMENT}`);
    await page.click(`#table-children tr[data-id="${service.id}"] a`);
    await waitForView(page, 'service', service.id);
    await shot(page, DASHBOARD_SHOTS.service, false);

    // The CSV link and the table above it, as the chef de service sees them.
    const csv = page.locator('#csv-export');
    await csv.scrollIntoViewIfNeeded();
    const box = await csv.boundingBox();
    if (!box) throw new Error('lien d’export CSV invisible');
    const path = join(outDir, DASHBOARD_SHOTS.csv);
    await page.screenshot({
      path,
      clip: { x: 0, y: Math.max(0, box.y - 75), width: 1280, height: 75 + box.height + 35 },
    });
    written.push(path);

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click('a[href="#/annuaire"]');
    await page.waitForSelector('#directory-page');
    await page.waitForSelector('#table-unattached, #unattached-empty');
    await page.waitForSelector('#app[aria-busy="false"]');
    await shot(page, DASHBOARD_SHOTS.directory);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
  return written;
}
