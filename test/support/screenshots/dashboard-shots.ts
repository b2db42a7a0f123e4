// Screenshots of the real dashboard in Chromium (playwright-core) against a running demo server: login page,
// national view, a department with its ranking, what is waiting and its storage, a service with its week and
// spot-check, the delays chart, the CSV link, a phone-width view, and the directory page with an import preview.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { addDays, todayIn } from '../../../src/core/calendar.ts';
import { MAX_STORAGE_SAMPLES, type QuotaEntry } from '../../../src/core/storage-protocol.ts';
import { DEMO_UNATTACHED_BALF, demoBalfs } from '../../../src/server/demo/demo-directory.ts';
import { parseDay, presetPeriod } from '../../../src/dashboard/period.ts';
import { launchChromium, requireChromium } from '../chromium.ts';
import { spotCheckSummary } from '../dashboard-server.ts';
import { DEMO_DEPARTMENT, DEMO_LOGIN, DEMO_PASSWORD, type DemoServer } from './demo-server.ts';

/** File names written by `captureDashboard`, stable: the guides refer to them. */
export const DASHBOARD_SHOTS = {
  login: 'tableau-de-bord-connexion.png',
  national: 'tableau-de-bord-national.png',
  department: 'tableau-de-bord-departement.png',
  service: 'tableau-de-bord.png',
  csv: 'export-csv.png',
  directory: 'tableau-de-bord-annuaire.png',
  ranking: 'tableau-de-bord-classement.png',
  delays: 'tableau-de-bord-delais.png',
  spotChecks: 'tableau-de-bord-sondages.png',
  phone: 'tableau-de-bord-mobile.png',
  preview: 'tableau-de-bord-annuaire-apercu.png',
  backlog: 'tableau-de-bord-a-traiter.png',
  storage: 'tableau-de-bord-stockage.png',
} as const;

/** A chef de service's spot-check summary of the demo BALF, sent as the add-on sends it. */
async function sendSpotCheck(server: DemoServer, today: string): Promise<void> {
  const response = await fetch(`${server.base}/api/v1/spot-checks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(
      spotCheckSummary(server.balf, { from: addDays(today, -35), to: addDays(today, -7) }, new Date()),
    ),
  });
  if (!response.ok) throw new Error(`sondage de démonstration refusé : ${await response.text()}`);
}

/**
 * A month of daily quota readings of the department's BALFs, sent as the add-on sends them: one filling up
 * past 95 %, one past 80 %, the others steady, the last without a quota (a server without QUOTA).
 */
async function sendQuotaReadings(server: DemoServer): Promise<void> {
  const GiB = 1024 ** 3;
  const balfs = demoBalfs()
    .filter((b) => b.departmentCode === DEMO_DEPARTMENT && b.address !== DEMO_UNATTACHED_BALF)
    .map((b) => b.address);
  const quota = (i: number, day: number): QuotaEntry[] => {
    if (i === balfs.length - 1) return [];
    const percent = i === 0 ? 82 + day * 0.5 : i === 1 ? 70 + day * 0.4 : 35 + 5 * i;
    return [{ type: 'STORAGE', unit: 'byte', used: Math.round((percent / 100) * 5 * GiB), limit: 5 * GiB }];
  };
  const samples = Array.from({ length: 30 }, (_, day) => {
    const at = new Date(Date.now() - (29 - day) * 86_400_000 - 3_600_000).toISOString();
    return balfs.map((balf, i) => ({ balf, at, quota: quota(i, day) }));
  }).flat();
  // The server takes at most MAX_STORAGE_SAMPLES readings a request.
  for (let start = 0; start < samples.length; start += MAX_STORAGE_SAMPLES) {
    const response = await fetch(`${server.base}/api/v1/quota-samples`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        schema: 1,
        client: { id: 'captures', addon: '0.2.0', thunderbird: '153.8' },
        samples: samples.slice(start, start + MAX_STORAGE_SAMPLES),
      }),
    });
    const answer = (await response.json()) as { rejected?: number };
    // Readings are refused one by one under a 2xx: any refusal is a mistake of this picture's data.
    if (!response.ok || answer.rejected !== 0)
      throw new Error(`relevés de quota de démonstration refusés : ${JSON.stringify(answer)}`);
  }
}

/** A section of the page, from the top of one block to the bottom of another. */
async function blocks(
  page: Page,
  first: string,
  last = first,
): Promise<{ x: number; y: number; width: number; height: number }> {
  await page.locator(`#bloc-${first}`).scrollIntoViewIfNeeded();
  const top = await page.locator(`#bloc-${first}`).boundingBox();
  const bottom = await page.locator(`#bloc-${last}`).boundingBox();
  if (!top || !bottom) throw new Error(`bloc ${first} invisible`);
  const scroll = await page.evaluate(() => window.scrollY);
  return {
    x: top.x - 16,
    y: top.y + scroll - 16,
    width: top.width + 32,
    height: bottom.y + bottom.height - top.y + 24,
  };
}

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

/** Writes the dashboard's PNGs into `outDir`; returns their paths. The dashboard must be built (build/dashboard). */
export async function captureDashboard(server: DemoServer, outDir: string): Promise<string[]> {
  requireChromium();
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
    await sendSpotCheck(server, todayIn('metropole', new Date()));
    await sendQuotaReadings(server);
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
    // The ranking and the sortable table, sorted by the target cue, as a coordinator reads them.
    await page.click('#table-children button[data-sort="verdict"]');
    const rankingPath = join(outDir, DASHBOARD_SHOTS.ranking);
    await page.screenshot({
      path: rankingPath,
      fullPage: true,
      clip: await blocks(page, 'classement', 'detail'),
    });
    written.push(rankingPath);
    const delaysPath = join(outDir, DASHBOARD_SHOTS.delays);
    await page.screenshot({ path: delaysPath, fullPage: true, clip: await blocks(page, 'delais') });
    written.push(delaysPath);
    // What is waiting (loaded after the page) and the storage, as a coordinator reads them.
    await page.waitForSelector('#backlog-as-of');
    for (const [block, name] of [
      ['a-traiter', DASHBOARD_SHOTS.backlog],
      ['stockage', DASHBOARD_SHOTS.storage],
    ] as const) {
      const blockPath = join(outDir, name);
      await page.screenshot({ path: blockPath, fullPage: true, clip: await blocks(page, block) });
      written.push(blockPath);
    }
    await page.evaluate(() => window.scrollTo(0, 0));

    await page.click(`#table-children tr[data-id="${service.id}"] a`);
    await waitForView(page, 'service', service.id);
    await shot(page, DASHBOARD_SHOTS.service, false);
    const spotPath = join(outDir, DASHBOARD_SHOTS.spotChecks);
    await page.screenshot({ path: spotPath, fullPage: true, clip: await blocks(page, 'sondages') });
    written.push(spotPath);

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

    // The same service at a phone's width: header links under « Menu », the side menu folded.
    await page.setViewportSize({ width: 375, height: 1100 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(300);
    await shot(page, DASHBOARD_SHOTS.phone, false);

    await page.setViewportSize({ width: 1280, height: 900 });
    await page.click('a[href="#/annuaire"]');
    await page.waitForSelector('#directory-page');
    await page.waitForSelector('#table-unattached, #unattached-empty');
    await page.waitForSelector('#table-directory');
    await page.waitForSelector('#app[aria-busy="false"]');
    await shot(page, DASHBOARD_SHOTS.directory);
    // An import previewed: the unattached BALF joins a new service, with the mail it already sent.
    await page.setInputFiles('#directory-file', {
      name: 'annuaire-75.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'department_code;department_name;service_code;service_name;service_kind;balf_address\r\n' +
          `75;DRFiP Île-de-France et Paris;0750199;SIP Paris nouveau service;SIP;${DEMO_UNATTACHED_BALF}\r\n`,
        'utf8',
      ),
    });
    await page.click('#preview-submit');
    await page.waitForSelector('#preview');
    const preview = await page.locator('#preview').boundingBox();
    if (!preview) throw new Error('aperçu de l’import invisible');
    const previewPath = join(outDir, DASHBOARD_SHOTS.preview);
    const scroll = await page.evaluate(() => window.scrollY);
    await page.screenshot({
      path: previewPath,
      fullPage: true,
      clip: { x: 0, y: preview.y + scroll - 180, width: 1280, height: preview.height + 200 },
    });
    written.push(previewPath);
  } finally {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  }
  return written;
}
