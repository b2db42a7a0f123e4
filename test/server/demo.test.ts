// The demo on SQLite and PostgreSQL: sent through the ingest as up-to-date add-ons send it (schema 2,
// received mail classified with its headers), its figures are the generator's and none is provisional.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import type { StorageView } from '../../src/core/storage-protocol.ts';
import { applyDirectory } from '../../src/server/directory/import.ts';
import { demoBalfs, demoDirectory } from '../../src/server/demo/demo-directory.ts';
import { runDemoStorage } from '../../src/server/demo/demo-storage.ts';
import { runDemo, type DemoSummary } from '../../src/server/demo/run-demo.ts';
import { recomputeBalf } from '../../src/server/ingest/recompute.ts';
import { rollupTables } from './rollup-tables.ts';
import { databaseKinds, getStats, harness, token, type Harness } from './support.ts';

/** GET /api/v1/storage with a national reading token, answered 200. */
async function storageView(h: Harness, query: Record<string, string>): Promise<StorageView> {
  const read = await token(h.db, { level: 'national' }, false);
  const res = await h.app.inject({
    method: 'GET',
    url: '/api/v1/storage',
    query,
    headers: { authorization: `Bearer ${read}` },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe.each(databaseKinds)('demo on %s', (kind) => {
  let h: Harness;
  let summary: DemoSummary;
  beforeAll(async () => {
    h = await harness(kind, { now: '2025-06-30T10:00:00Z' });
    summary = await runDemo(h.db, { days: 6, seed: 'essai', now: h.now.value, until: '2025-06-27' });
  }, 120_000);
  afterAll(async () => h.close());

  it('counts every generated message once, in its category, none provisional', async () => {
    const read = await token(h.db, { level: 'national' }, false);
    // Until now: replies to the last days' mail are sent after the generated period.
    const res = await getStats(h.app, read, { level: 'national', from: summary.from, to: '2025-06-30' });
    expect(res.statusCode, res.body).toBe(200);
    const { totals } = res.json() as StatsAnswer;
    const generated = (key: string) => summary.byCategory[key] ?? 0;
    expect(totals.receivedByCategory).toEqual({
      usager: generated('in:usager'),
      interne: generated('in:interne'),
      auto: generated('in:auto'),
      junk: generated('in:junk'),
    });
    expect(totals.sentByCategory).toEqual({
      reply: generated('out:reply'),
      forward: generated('out:forward'),
      new: generated('out:new'),
      auto: generated('out:auto'),
    });
    expect(totals.received).toBeGreaterThan(100);
    expect(totals.unrefined).toBe(0);
    expect(summary.accepted).toBe(summary.records);
  });

  const storage = (query: Record<string, string>) => storageView(h, query);

  it('gives the « Stockage » block BALFs at 80 % and 95 % or more, one full, and some without quota', async () => {
    // A reading a day for every BALF of the directory (the unattached one has none).
    expect(summary.storageSamples).toBe((demoBalfs().length - 1) * 6);
    const national = await storage({ level: 'national' });
    expect({ above80: national.above80, above95: national.above95, unknown: national.unknown }).toEqual({
      above80: 5,
      above95: 3,
      unknown: 2,
    });
    // Every department shows at least one BALF at 80 % or more; the closest to saturation is the full one.
    for (const child of national.children ?? []) expect(child.above80, child.label).toBeGreaterThan(0);
    expect(national.closest?.[0]).toMatchObject({ percent: 100, daysLeft: 0 });
    // A service view: its BALF's bytes and band from the readings, « quota inconnu » never 0 %.
    const paris = await storage({ level: 'service', id: '0750115' });
    const critical = paris.balfs?.find((b) => b.balf.startsWith('sip.paris-15e@'));
    expect(critical?.percent).toBeGreaterThanOrEqual(95);
    expect(critical?.percent).toBeLessThan(100);
    const strasbourg = await storage({ level: 'service', id: '0670301' });
    expect(strasbourg.balfs).toEqual([
      expect.objectContaining({ usedBytes: null, percent: null, unknown: 'not_given' }),
    ]);
  });

  it('keeps rollups equal to a rebuild from the stored records', async () => {
    const before = await rollupTables(h.db);
    for (const balf of demoBalfs()) await recomputeBalf(h.db, balf.address);
    expect(await rollupTables(h.db)).toEqual(before);
  });
});

describe.each(databaseKinds)('demo storage over two months on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(kind, { now: '2025-06-30T10:00:00Z' });
    await applyDirectory(h.db, demoDirectory());
    const attached = new Set(demoDirectory().balfs.map((b) => b.address));
    await runDemoStorage(
      h.db,
      demoBalfs().filter((b) => attached.has(b.address)),
      {
        from: '2025-05-01',
        to: '2025-06-30',
        now: h.now.value,
        seed: 'essai',
        principal: { kind: 'token', id: 'demo', scope: { level: 'national' }, canWrite: true },
      },
    );
  }, 120_000);
  afterAll(async () => h.close());

  it('shows BALFs growing towards saturation, a clean-up that is no trend, and quiet ones', async () => {
    const paris = (await storageView(h, { level: 'department', id: '75' })).closest ?? [];
    const byName = (name: string) => paris.find((b) => b.balf.startsWith(`${name}@`));
    // At 95 % or more, growing: saturation within a few weeks, after today.
    expect(byName('sip.paris-15e')).toMatchObject({ growthBytesPerDay: expect.any(Number) });
    expect(byName('sip.paris-15e')!.growthBytesPerDay).toBeGreaterThan(0);
    expect(byName('sip.paris-15e')!.daysLeft).toBeGreaterThan(3);
    expect(byName('sip.paris-15e')!.daysLeft).toBeLessThan(40);
    expect(byName('sie.paris-8e-europe')!.percent).toBeGreaterThanOrEqual(80);
    // Archived three weeks ago (a third of the quota freed): the growth stays the inflow's, never negative.
    const cleaned = (await storageView(h, { level: 'service', id: '0690501' })).balfs?.[0];
    expect(cleaned?.balf).toMatch(/^sip-sie\.villefranche@/);
    expect(cleaned?.growthBytesPerDay).toBeGreaterThan(0);
    expect(cleaned?.percent).toBeLessThan(80);
    const history = cleaned?.history ?? [];
    const falls = history.slice(1).filter((p, i) => history[i]!.percent - p.percent >= 20);
    expect(falls).toHaveLength(1);
  });
});
