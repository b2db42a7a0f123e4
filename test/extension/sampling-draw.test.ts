// Sampling draw and results: the sample is core drawSample over the right population, statuses are core
// replyStatus, the rate is core wilsonInterval, and the edge cases (empty period, take-all) behave.
import { describe, expect, it } from 'vitest';
import { isoWeekStart, localDay } from '../../src/core/calendar.ts';
import { drawSample, sampleSize, wilsonInterval } from '../../src/core/sampling.ts';
import { replyStatus, summarize } from '../../src/core/targets.ts';
import { drawFromLedger, drawFromRows, type DrawRequest } from '../../src/extension/sampling/draw.ts';
import { periodDays } from '../../src/extension/sampling/period.ts';
import {
  automaticVerdict,
  cleanDecision,
  computeResults,
  type Decision,
} from '../../src/extension/sampling/results.ts';
import { BALF, freshLedger } from './helpers.ts';
import { buildLedger, config, expectedPopulation, firstReplyAt, NOW } from './sampling-fixtures.ts';

const ctx = { region: config.region, whitMondayWorked: false, now: NOW };
const target = config.primaryTarget;

function request(over: Partial<DrawRequest> = {}): DrawRequest {
  return {
    balf: BALF,
    from: '2026-11-02',
    to: '2026-11-22',
    seed: 'K7P2XQ9M',
    size: { kind: 'count', n: 20 },
    stratifyByWeek: false,
    target,
    ...over,
  };
}

describe('tirage du sondage', () => {
  const { rows } = buildLedger(160);

  it('tire exactement drawSample(population, n, graine) sur les courriels usagers de la période', () => {
    const draw = drawFromRows(rows, request(), ctx);
    const population = expectedPopulation(rows, '2026-11-02', '2026-11-22');
    expect(population.length).toBeGreaterThan(60);
    expect(draw.population).toBe(population.length);
    const expected = drawSample(population, 20, 'K7P2XQ9M', { key: (r) => r.key });
    expect(draw.rows.map((r) => r.key)).toEqual(expected.map((r) => r.key));
    expect(draw.rows.every((r) => r.category === 'usager')).toBe(true);
    expect(draw.takeAll).toBe(false);
  });

  it('stratifié par semaine : drawSample avec la semaine ISO du jour de réception comme strate', () => {
    const draw = drawFromRows(rows, request({ stratifyByWeek: true }), ctx);
    const population = expectedPopulation(rows, '2026-11-02', '2026-11-22');
    const expected = drawSample(population, 20, 'K7P2XQ9M', {
      key: (r) => r.key,
      strata: (r) => isoWeekStart(localDay(r.at, 'metropole')),
    });
    expect(draw.rows.map((r) => r.key)).toEqual(expected.map((r) => r.key));
    expect(new Set(draw.rows.map((r) => r.week))).toEqual(
      new Set(['2026-11-02', '2026-11-09', '2026-11-16']),
    );
  });

  it('même graine (même saisie à la casse près) → même échantillon ; autre graine → autre échantillon', () => {
    const a = drawFromRows(rows, request(), ctx);
    const b = drawFromRows([...rows].reverse(), request({ seed: ' k7p2xq9m ' }), ctx);
    const c = drawFromRows(rows, request({ seed: 'AUTRE123' }), ctx);
    expect(b.rows.map((r) => r.key)).toEqual(a.rows.map((r) => r.key));
    expect(b.request.seed).toBe('K7P2XQ9M');
    expect(c.rows.map((r) => r.key)).not.toEqual(a.rows.map((r) => r.key));
  });

  it('statut de chaque message = replyStatus(reçu, première réponse, maintenant, objectif, région)', () => {
    const draw = drawFromRows(rows, request({ size: { kind: 'count', n: 1000 } }), ctx);
    const seen = new Set<string>();
    for (const r of draw.rows) {
      const answeredAt = firstReplyAt(rows, r.key);
      const expected = replyStatus(r.at, answeredAt, NOW, target, 'metropole', { whitMondayWorked: false });
      expect({ key: r.key, status: r.status, delay: r.delayDays }).toEqual({
        key: r.key,
        status: expected.status,
        delay: expected.delayDays,
      });
      expect(r.reply?.at ?? null).toBe(answeredAt);
      seen.add(r.status);
    }
    expect(seen).toEqual(new Set(['answered_in_time', 'answered_late', 'overdue', 'pending']));
    const heuristic = draw.rows.filter((r) => r.reply?.heuristic);
    expect(heuristic.length).toBeGreaterThan(0);
    expect(heuristic.every((r) => r.reply?.headerMessageId?.endsWith('@example.org'))).toBe(true);
  });

  it("marge d'erreur : taille = sampleSize(marge, population), corrigée pour la population finie", () => {
    const draw = drawFromRows(rows, request({ size: { kind: 'margin', margin: 0.1 } }), ctx);
    expect(draw.requested).toBe(sampleSize(0.1, draw.population));
    expect(draw.requested).toBeLessThan(97);
    expect(draw.rows).toHaveLength(draw.requested);
  });

  it('échantillon demandé plus grand que la population : tout est pris, et le tirage le dit', () => {
    const draw = drawFromRows(
      rows,
      request({ from: '2026-11-16', to: '2026-11-16', size: { kind: 'count', n: 50 } }),
      ctx,
    );
    expect(draw.population).toBe(expectedPopulation(rows, '2026-11-16', '2026-11-16').length);
    expect(draw.population).toBeGreaterThan(0);
    expect(draw.takeAll).toBe(true);
    expect(draw.rows).toHaveLength(draw.population);
  });

  it('période sans courriel éligible : population 0, échantillon vide, aucun taux (pas de division par zéro)', () => {
    for (const size of [
      { kind: 'count', n: 30 },
      { kind: 'margin', margin: 0.05 },
    ] as const) {
      const draw = drawFromRows(rows, request({ from: '2027-01-01', to: '2027-01-31', size }), ctx);
      expect(draw.population).toBe(0);
      expect(draw.rows).toEqual([]);
      expect(draw.takeAll).toBe(false);
      const results = computeResults(draw.rows, {});
      expect(results.rate).toBeNull();
      expect(results.interval).toBeNull();
      expect(results.automatic.complianceRate).toBeNull();
    }
  });

  it('lit le registre IndexedDB de la BALF sur la bonne fenêtre (réponses postérieures à la période comprises)', async () => {
    const ledger = await freshLedger();
    await ledger.addIfAbsent(rows);
    const fromLedger = await drawFromLedger(ledger, request({ size: { kind: 'count', n: 500 } }), ctx);
    expect(fromLedger).toEqual(drawFromRows(rows, request({ size: { kind: 'count', n: 500 } }), ctx));
  });

  it('le tirage lu dans le registre (références puis lignes tirées) égale celui sur toutes les lignes', async () => {
    const ledger = await freshLedger();
    // Another BALF's rows in the same ledger: never drawn, never taken as replies.
    const other = rows.map((r) => ({ ...r, balf: 'sie.autre@dgfip.finances.gouv.fr' }));
    await ledger.addIfAbsent([...other, ...rows]);
    for (const over of [
      { stratifyByWeek: true, size: { kind: 'count', n: 25 } },
      { stratifyByWeek: false, size: { kind: 'margin', margin: 0.1 } },
      { from: '2026-11-09', to: '2026-11-15', size: { kind: 'count', n: 7 }, seed: 'AAAA2222' },
    ] as const) {
      const req = request(over);
      const { fromMs, toMs } = {
        fromMs: Date.parse('2026-10-01T00:00:00Z'),
        toMs: Date.parse('2027-01-01T00:00:00Z'),
      };
      const reference = drawFromRows(await ledger.rowsBetween(BALF, fromMs, toMs), req, ctx);
      expect(reference.rows.length).toBeGreaterThan(0);
      expect(reference.rows.some((r) => r.reply !== null)).toBe(true);
      const timing = { readMs: -1, refsMs: -1, drawMs: -1 };
      expect(await drawFromLedger(ledger, req, ctx, timing)).toEqual(reference);
      expect(timing.readMs).toBeGreaterThanOrEqual(0);
      expect(timing.refsMs).toBeGreaterThanOrEqual(0);
      expect(timing.refsMs).toBeLessThanOrEqual(timing.readMs);
      // Overseas: the same ledger drawn with Réunion's days and holidays.
      const reunion = { ...ctx, region: 'reunion' as const };
      expect(await drawFromLedger(ledger, req, reunion)).toEqual(
        drawFromRows(await ledger.rowsBetween(BALF, fromMs, toMs), req, reunion),
      );
    }
  });

  it('20 000 messages dans la période : le tirage reste exact (la durée se mesure dans le banc d’essai)', () => {
    const big = buildLedger(28_000, '2026-08-03T00:10:00Z', 0.0085);
    const req = request({ from: '2026-08-03', to: '2026-08-12', size: { kind: 'margin', margin: 0.05 } });
    const draw = drawFromRows(big.rows, req, ctx);
    const population = expectedPopulation(big.rows, '2026-08-03', '2026-08-12');
    expect(population.length).toBeGreaterThan(20_000);
    expect(draw.requested).toBe(sampleSize(0.05, population.length));
    expect(draw.rows.map((r) => r.key)).toEqual(
      drawSample(population, draw.requested, req.seed, { key: (r) => r.key }).map((r) => r.key),
    );
  });
});

describe('résultats du sondage', () => {
  const { rows } = buildLedger(160);
  const draw = drawFromRows(rows, request({ size: { kind: 'count', n: 40 } }), ctx);

  it('taux = conformes / décidés avec l’intervalle de Wilson du cœur ; résumé automatique = summarize', () => {
    const decisions: Record<string, Decision> = {};
    draw.rows.forEach((r, i) => {
      decisions[r.key] = { verdict: i % 5 === 0 ? 'sans_objet' : i % 3 === 0 ? 'non_conforme' : 'conforme' };
    });
    delete decisions[draw.rows[1]!.key];
    const results = computeResults(draw.rows, decisions);
    const conforme = Object.values(decisions).filter((d) => d.verdict === 'conforme').length;
    const non = Object.values(decisions).filter((d) => d.verdict === 'non_conforme').length;
    expect(results.decided).toBe(conforme + non);
    expect(results.undecided).toBe(1);
    expect(results.rate).toBe(conforme / (conforme + non));
    expect(results.interval).toEqual(wilsonInterval(conforme, conforme + non));
    expect(results.automatic).toEqual(
      summarize(draw.rows.map((r) => ({ status: r.status, delayDays: r.delayDays }))),
    );
  });

  it('écarts : verdict humain différent du verdict implicite du statut automatique', () => {
    const decisions: Record<string, Decision> = {};
    for (const r of draw.rows) decisions[r.key] = { verdict: automaticVerdict(r.status) };
    expect(computeResults(draw.rows, decisions).disagreements).toEqual([]);
    const late = draw.rows.find((r) => r.status === 'answered_late')!;
    decisions[late.key] = {
      verdict: 'conforme',
      comment: 'réponse par téléphone',
      override: { status: 'answered_in_time', reason: 'réponse téléphonique le jour même' },
    };
    const results = computeResults(draw.rows, decisions);
    expect(results.disagreements).toEqual([
      {
        key: late.key,
        automatic: 'answered_late',
        expected: 'non_conforme',
        verdict: 'conforme',
        override: { status: 'answered_in_time', reason: 'réponse téléphonique le jour même' },
        comment: 'réponse par téléphone',
      },
    ]);
    expect(results.retained.answered_in_time).toBe(results.automatic.counts.answered_in_time + 1);
    expect(results.retained.answered_late).toBe(results.automatic.counts.answered_late - 1);
  });

  it('une correction de statut sans motif est refusée ; les champs vides sont retirés', () => {
    expect(() => cleanDecision({ override: { status: 'overdue', reason: '  ' } })).toThrow(/motivée/);
    expect(cleanDecision({ verdict: 'conforme', comment: '   ' })).toEqual({ verdict: 'conforme' });
  });
});

describe('périodes', () => {
  it('cette semaine, semaine dernière, ce mois-ci, mois dernier, personnalisée', () => {
    expect(periodDays('this-week', '2026-11-25')).toMatchObject({ from: '2026-11-23', to: '2026-11-25' });
    expect(periodDays('last-week', '2026-11-25')).toMatchObject({ from: '2026-11-16', to: '2026-11-22' });
    expect(periodDays('this-month', '2026-11-25')).toMatchObject({ from: '2026-11-01', to: '2026-11-25' });
    expect(periodDays('last-month', '2026-03-02')).toMatchObject({ from: '2026-02-01', to: '2026-02-28' });
    expect(periodDays('last-month', '2026-01-10')).toMatchObject({ from: '2025-12-01', to: '2025-12-31' });
    expect(periodDays('custom', '2026-11-25', { from: '2026-10-01', to: '2026-10-31' })).toMatchObject({
      from: '2026-10-01',
      to: '2026-10-31',
    });
    expect(() => periodDays('custom', '2026-11-25', { from: '2026-10-31', to: '2026-10-01' })).toThrow(
      RangeError,
    );
    expect(() => periodDays('custom', '2026-11-25', { from: '2026-02-30', to: '2026-03-01' })).toThrow(
      RangeError,
    );
  });
});
