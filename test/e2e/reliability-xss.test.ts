// Directory names carrying HTML/JS are shown as text by the dashboard in real Chromium: no element injected, no script run.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, requireChromium } from '../support/chromium.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';

const PASSWORD = 'mot-de-passe-xss-e2e';
const HOSTILE = [
  '<img src=x onerror="window.__xss=1">',
  '<script>window.__xss=2</script>',
  '"><svg onload="window.__xss=3">',
  "javascript:window.__xss=4//<a href='javascript:window.__xss=4'>",
];

let work: string;
let store: OpenDb;
let app: FastifyInstance;
let base: string;
let context: BrowserContext;
let page: Page;
const dialogs: string[] = [];

beforeAll(async () => {
  requireChromium();
  work = await mkdtemp(join(tmpdir(), 'suivi-balf-xss-'));
  store = await openDatabase({ kind: 'sqlite', file: join(work, 'xss.sqlite') });
  for (const [i, name] of HOSTILE.entries()) {
    const code = `${20 + i}`;
    await store.db.insertInto('departments').values({ code, name, region: 'metropole' }).execute();
    await store.db
      .insertInto('services')
      .values({ code: `SIP-X${i}`, name, kind: 'SIP', department_code: code, region: null })
      .execute();
    await store.db
      .insertInto('balfs')
      .values({ address: `sip.x${i}@dgfip.finances.gouv.fr`, service_code: `SIP-X${i}` })
      .execute();
  }
  await addUser(store.db, { login: 'admin.xss', password: PASSWORD, scope: { level: 'national' } });
  app = await buildApp({ db: store.db, rateLimit: false });
  const { token } = await createToken(store.db, { scope: { level: 'national' }, canWrite: true });
  const yesterday = new Date(Date.now() - 86_400_000).toISOString();
  for (let i = 0; i < HOSTILE.length; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/tallies',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: {
        schema: 1,
        batchId: randomUUID(),
        client: { id: 'xss', addon: '0.1.0', thunderbird: '128.5' },
        balf: `sip.x${i}@dgfip.finances.gouv.fr`,
        records: [
          { k: randomBytes(16).toString('base64url').slice(0, 22), dir: 'in', at: yesterday, cat: 'usager' },
        ],
      },
    });
    expect(res.statusCode, res.body).toBe(200);
  }
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
  context = await launchChromium(join(work, 'profile'));
  page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
}, 300_000);

afterAll(async () => {
  await context?.close();
  await app?.close();
  await store?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function expectInert(p: Page): Promise<void> {
  expect(await p.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(await p.$$('img[src="x"], svg[onload], script:not([src])')).toEqual([]);
  expect(dialogs).toEqual([]);
}

describe('hostile directory names in the dashboard', () => {
  it('national view: department names are text in the children table', async () => {
    await page.goto(`${base}/`);
    await page.waitForSelector('#login-form');
    await page.fill('#login', 'admin.xss');
    await page.fill('#password', PASSWORD);
    await page.press('#password', 'Enter');
    await page.waitForSelector('#table-children tbody tr[data-level="department"]', { timeout: 30_000 });
    const names = await page.$$eval('#table-children tbody tr th', (ths) =>
      ths.map((th) => th.textContent?.trim() ?? ''),
    );
    for (const name of HOSTILE) expect(names).toContain(name);
    await expectInert(page);
  });

  it('department view and breadcrumbs: service names are text too', async () => {
    await page.click(`#table-children tbody tr[data-id="20"] a, #table-children tbody tr[data-id="20"] th`);
    await page.waitForSelector('#table-children tbody tr[data-level="service"]', { timeout: 30_000 });
    const text = (await page.textContent('main')) ?? '';
    expect(text).toContain(HOSTILE[0]);
    await expectInert(page);
  });
});
