// The panel's summary against the real collection server (in-process Fastify on 127.0.0.1, SQLite): accepted,
// idempotent on the version id, and listed back with the rate and Wilson interval of the chef's verdicts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wilsonInterval } from '../../src/core/sampling.ts';
import { newVersion } from '../../src/extension/sampling/audit.ts';
import { drawFromRows } from '../../src/extension/sampling/draw.ts';
import { summaryOf, uploadSummary } from '../../src/extension/sampling/export.ts';
import type { Decision } from '../../src/extension/sampling/results.ts';
import { harness, token, type Harness } from '../server/support.ts';
import { BALF } from './helpers.ts';
import { buildLedger, config, NOW } from './sampling-fixtures.ts';

describe('envoi du résumé au vrai serveur de collecte', () => {
  let h: Harness;
  let base: string;

  beforeAll(async () => {
    h = await harness('sqlite', { now: NOW.toISOString() });
    base = (await h.app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => h?.close());

  it('201 puis rejeu 200 ; la liste du serveur redonne les comptes, le taux et l’intervalle', async () => {
    const draw = drawFromRows(
      buildLedger(160).rows,
      {
        balf: BALF,
        from: '2026-11-02',
        to: '2026-11-22',
        seed: 'SERVEUR2',
        size: { kind: 'count', n: 30 },
        stratifyByWeek: false,
        target: config.primaryTarget,
      },
      { region: 'metropole', whitMondayWorked: false, now: NOW },
    );
    const decisions: Record<string, Decision> = {};
    draw.rows.forEach((r, i) => {
      decisions[r.key] = { verdict: i % 4 === 0 ? 'non_conforme' : i % 7 === 0 ? 'sans_objet' : 'conforme' };
    });
    const saved = newVersion(draw, decisions, {
      previous: null,
      preset: 'last-month',
      region: 'metropole',
      whitMondayWorked: false,
      now: NOW,
      uuid: () => crypto.randomUUID(),
    });
    const summary = summaryOf(saved, { id: 'installation-1', addon: '0.1.0', thunderbird: '153.0' });
    const write = await token(h.db, { level: 'national' });
    expect(await uploadSummary(fetch, base, write, summary)).toEqual({ result: 'ok', status: 201 });
    expect(await uploadSummary(fetch, base, write, summary)).toEqual({ result: 'ok', status: 200 });
    const refused = await uploadSummary(fetch, base, 'jeton-inconnu', summary);
    expect(refused).toMatchObject({ result: 'error', status: 401 });
    expect(refused.message).toBeTruthy();

    const read = await token(h.db, { level: 'national' }, false);
    const res = await fetch(`${base}/api/v1/spot-checks?level=national&from=2026-11-01&to=2026-11-30`, {
      headers: { authorization: `Bearer ${read}` },
    });
    expect(res.status).toBe(200);
    const { spotChecks } = (await res.json()) as {
      spotChecks: {
        id: string;
        sampleSize: number;
        rate: number;
        interval: { lower: number; upper: number };
      }[];
    };
    expect(spotChecks).toHaveLength(1);
    const item = spotChecks[0]!;
    expect(item).toMatchObject({
      id: saved.id,
      balf: BALF,
      sampleSize: 30,
      population: draw.population,
      verdicts: summary.verdicts,
      automatic: summary.automatic,
    });
    const decided = summary.verdicts.conforme + summary.verdicts.non_conforme;
    expect(item.rate).toBeCloseTo(summary.verdicts.conforme / decided, 12);
    const interval = wilsonInterval(summary.verdicts.conforme, decided);
    expect(item.interval.lower).toBeCloseTo(interval.lower, 12);
    expect(item.interval.upper).toBeCloseTo(interval.upper, 12);
  });
});
