// The « À traiter » block in a real Chromium against the real server (SQLite): figures equal to the API's
// at every level, a department of one BALF withheld, sorting by lateness, drill-down; no console error.

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backlogAge, waitingOn, type BacklogAnswer } from '../../src/core/backlog.ts';
import { localDay, type Region } from '../../src/core/calendar.ts';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { launchChromium, requireChromium } from '../support/chromium.ts';
import { batch, newKey, seedDirectory, type RecordInput } from '../server/support.ts';

const LOGIN = 'admin.national';
const PASSWORD = 'mot-de-passe-de-test-e2e';
const RESULTS = join(process.cwd(), 'test-results');
const PARIS = 'sip.paris1@dgfip.finances.gouv.fr';
const PARIS_2 = 'sie.paris2@dgfip.finances.gouv.fr';
const STRAS = 'sip.strasbourg@dgfip.finances.gouv.fr';

let work: string;
let store: OpenDb;
let app: FastifyInstance;
let base: string;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

/** Every uploaded usager message, to compute what the block must show on its day. */
const uploaded: { balf: string; region: Region; at: string; answeredAt: string | null }[] = [];

/** Received usager messages `daysAgo` days before now, none answered but the ones marked. */
function received(balf: string, region: Region, daysAgo: number[], answered: number[] = []): RecordInput[] {
  const now = Date.now();
  return daysAgo.flatMap((d, i) => {
    const k = newKey();
    const at = new Date(now - d * 86_400_000 - 3_600_000).toISOString();
    const out: RecordInput[] = [{ k, dir: 'in', at, cat: 'usager' }];
    const answeredAt = answered.includes(i) ? new Date(now - 60_000).toISOString() : null;
    if (answeredAt) out.push({ k: newKey(), dir: 'out', at: answeredAt, cat: 'reply', re: [k] });
    uploaded.push({ balf, region, at, answeredAt });
    return out;
  });
}

/** The waiting messages of `balfs` on `asOf`, read one by one: how many, and the oldest age. */
function waiting(asOf: string, balfs: string[]): { total: number; oldest: number | null } {
  const ages = uploaded
    .filter((m) => balfs.includes(m.balf))
    .filter((m) =>
      waitingOn(localDay(m.at, m.region), m.answeredAt && localDay(m.answeredAt, m.region), asOf),
    )
    .map((m) => backlogAge(localDay(m.at, m.region), asOf, m.region)!);
  return { total: ages.length, oldest: ages.length === 0 ? null : Math.max(...ages) };
}

async function api(query: string): Promise<BacklogAnswer> {
  const response = await context.request.get(`${base}/api/v1/backlog?${query}`);
  expect(response.status(), await response.text()).toBe(200);
  return (await response.json()) as BacklogAnswer;
}

const count = (text: string | null) => Number((text ?? '').replace(/[\s\u00a0\u202f]/g, ''));

/** Checks the block shows the API's figures for its own query (read from its CSV link). */
async function expectBlockEqualsApi(): Promise<BacklogAnswer> {
  await page.waitForSelector('#backlog-as-of');
  const href = (await page.getAttribute('#backlog-csv', 'href')) ?? '';
  const params = new URL(href, base).searchParams;
  params.delete('format');
  const answer = await api(params.toString());
  for (const b of ['inTime', 'dueSoon', 'overdue'] as const) {
    expect(count(await page.textContent(`#backlog [data-bucket="${b}"] .sb-tile__value`)), b).toBe(
      answer.buckets![b],
    );
  }
  const rows = await page.$$eval('#table-backlog tbody tr', (trs) =>
    trs.map((tr) => ({
      id: tr.getAttribute('data-id'),
      overdue: tr.querySelector('[data-metric="overdue"]')?.textContent ?? null,
      withheld: tr.querySelector('[data-metric="withheld"]') !== null,
    })),
  );
  expect(rows.map((r) => r.id)).toEqual(answer.children.map((c) => c.id));
  answer.children.forEach((c, i) => {
    expect(rows[i]!.withheld, c.id).toBe(c.withheld);
    if (!c.withheld) expect(count(rows[i]!.overdue), c.id).toBe(c.buckets!.overdue);
  });
  return answer;
}

beforeAll(async () => {
  requireChromium();
  work = await mkdtemp(join(tmpdir(), 'suivi-balf-backlog-'));
  await mkdir(RESULTS, { recursive: true });
  store = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi.sqlite') });
  await seedDirectory(store.db, [
    { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [PARIS] },
    { department: '75', region: 'metropole', service: 'SIE-PARIS-2', balfs: [PARIS_2] },
    { department: '67', region: 'alsace-moselle', service: 'SIP-STRAS', balfs: [STRAS] },
  ]);
  await addUser(store.db, { login: LOGIN, password: PASSWORD, scope: { level: 'national' } });
  app = await buildApp({ db: store.db, rateLimit: false });
  const { token } = await createToken(store.db, { scope: { level: 'national' }, canWrite: true });
  for (const [balf, records] of [
    [PARIS, received(PARIS, 'metropole', [0, 1, 2, 9, 20, 30], [1])],
    [PARIS_2, received(PARIS_2, 'metropole', [0, 3, 6, 7, 8, 14, 15, 16])],
    [STRAS, received(STRAS, 'alsace-moselle', [2, 12])],
  ] as const) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/tallies',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify(batch(balf, records)),
    });
    expect(res.statusCode, res.body).toBe(200);
  }
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
  context = await launchChromium(join(work, 'chromium-profile'));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    // The anonymous session probe answers 401 by design.
    if (/\/api\/v1\/session$/.test(message.location().url) && /\b401\b/.test(message.text())) return;
    consoleErrors.push(`${message.type()}: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
}, 300_000);

afterAll(async () => {
  await context?.close();
  await app?.close();
  await store?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('« À traiter » in Chromium', () => {
  it('shows the national backlog as the API answers it, the one-BALF department withheld', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#login-form');
    await page.fill('#login', LOGIN);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#stats-page[data-level="national"]');
    const answer = await expectBlockEqualsApi();
    // The day is the end of the period shown (the month just ended in a month's first days) or today.
    const to = (await page.getAttribute('#stats-page', 'data-to'))!;
    expect(answer.asOf).toBe(to < localDay(new Date(), 'metropole') ? to : localDay(new Date(), 'metropole'));
    const all = waiting(answer.asOf, [PARIS, PARIS_2, STRAS]);
    expect(all.total).toBeGreaterThan(0);
    expect(answer.buckets!.inTime + answer.buckets!.dueSoon + answer.buckets!.overdue).toBe(all.total);
    expect(answer.oldestAgeDays).toBe(all.oldest);
    expect(answer.children.find((c) => c.id === '67')?.withheld).toBe(true);
    expect(await page.textContent('#table-backlog tr[data-id="67"]')).toContain('moins de deux BALF');
    await page.screenshot({ path: join(RESULTS, 'dashboard-backlog-national.png'), fullPage: true });
  });

  it('sorts the children by lateness, then drills down to the services of a department', async () => {
    await page.click('#table-backlog tr[data-id="75"] a');
    await page.waitForSelector('#stats-page[data-level="department"][data-id="75"]');
    const answer = await expectBlockEqualsApi();
    const byOverdue = [...answer.children]
      .sort((a, b) => b.buckets!.overdue - a.buckets!.overdue)
      .map((c) => c.id);
    await page.click('#backlog-sort-overdue');
    expect(await page.getAttribute('#table-backlog th[aria-sort]', 'aria-sort')).toBe('descending');
    expect(
      await page.$$eval('#table-backlog tbody tr', (trs) => trs.map((t) => t.getAttribute('data-id'))),
    ).toEqual(byOverdue);
    await page.click(`#table-backlog tr[data-id="SIE-PARIS-2"] a`);
    await page.waitForSelector('#stats-page[data-level="service"][data-id="SIE-PARIS-2"]');
    const service = await expectBlockEqualsApi();
    expect(service.children.map((c) => c.id)).toEqual([PARIS_2]);
    expect(service.oldestAgeDays).toBe(waiting(service.asOf, [PARIS_2]).oldest);
    expect(consoleErrors).toEqual([]);
  });
});
