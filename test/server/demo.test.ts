// The demo on SQLite and PostgreSQL: sent through the ingest as up-to-date add-ons send it (schema 2,
// received mail classified with its headers), its figures are the generator's and none is provisional.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { demoBalfs } from '../../src/server/demo/demo-directory.ts';
import { runDemo, type DemoSummary } from '../../src/server/demo/run-demo.ts';
import { recomputeBalf } from '../../src/server/ingest/recompute.ts';
import { rollupTables } from './rollup-tables.ts';
import { databaseKinds, getStats, harness, token, type Harness } from './support.ts';

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

  it('keeps rollups equal to a rebuild from the stored records', async () => {
    const before = await rollupTables(h.db);
    for (const balf of demoBalfs()) await recomputeBalf(h.db, balf.address);
    expect(await rollupTables(h.db)).toEqual(before);
  });
});
