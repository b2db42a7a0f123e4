// @vitest-environment happy-dom
// The sampling panel flags a reply sent from another identity than the BALF's: in the draw (from rows and
// from the ledger), in the row the chef reads (French text) and in the CSV export.
import { describe, expect, it } from 'vitest';
import { newVersion } from '../../src/extension/sampling/audit.ts';
import { drawFromLedger, drawFromRows, type DrawRequest } from '../../src/extension/sampling/draw.ts';
import { spotCheckCsv } from '../../src/extension/sampling/export.ts';
import { renderSampleRow } from '../../src/extension/sampling/sample-view.ts';
import { BALF, freshLedger, row } from './helpers.ts';
import { config, NOW, tFr } from './sampling-fixtures.ts';

const q1 = row({ at: '2026-11-16T08:00:00.000Z' });
const q2 = row({ at: '2026-11-16T09:00:00.000Z' });
const q3 = row({ at: '2026-11-16T10:00:00.000Z' });
const rows = [
  q1,
  q2,
  q3,
  row({ dir: 'out', cat: 'reply', at: '2026-11-17T08:00:00.000Z', re: [q1.key], via: 'personal' }),
  row({ dir: 'out', cat: 'reply', at: '2026-11-17T09:00:00.000Z', re: [q2.key], via: 'other-balf' }),
  row({ dir: 'out', cat: 'reply', at: '2026-11-17T10:00:00.000Z', re: [q3.key] }),
];
const request: DrawRequest = {
  balf: BALF,
  from: '2026-11-16',
  to: '2026-11-16',
  seed: 'VIA23456',
  size: { kind: 'count', n: 10 },
  stratifyByWeek: false,
  target: config.primaryTarget,
};
const ctx = { region: 'metropole' as const, whitMondayWorked: false, now: NOW };
const viaOf = (draw: ReturnType<typeof drawFromRows>) =>
  Object.fromEntries(draw.rows.map((r) => [r.key, r.reply?.via ?? null]));
const expected = { [q1.key]: 'personal', [q2.key]: 'other-balf', [q3.key]: null };

describe('réponses envoyées depuis une autre identité, dans le panneau de sondage', () => {
  it('le tirage garde la provenance de chaque réponse, depuis les lignes comme depuis le registre', async () => {
    expect(viaOf(drawFromRows(rows, request, ctx))).toEqual(expected);
    const ledger = await freshLedger();
    await ledger.addIfAbsent(rows);
    expect(viaOf(await drawFromLedger(ledger, request, ctx))).toEqual(expected);
  });

  it('la ligne le dit en français, et la réponse reste comptée dans le délai', () => {
    const draw = drawFromRows(rows, request, ctx);
    const view = { doc: document, t: tFr, region: 'metropole' as const, locale: 'fr-FR' };
    const text = (key: string): string => {
      const n = draw.rows.findIndex((r) => r.key === key);
      return renderSampleRow(view, draw.rows[n]!, n + 1, {}).querySelector('.status')?.textContent ?? '';
    };
    expect(text(q1.key)).toContain(
      "Réponse envoyée depuis l'adresse personnelle d'un agent, comptée pour la BALF.",
    );
    expect(text(q2.key)).toContain('Réponse envoyée depuis une autre BALF, comptée pour celle-ci.');
    expect(text(q3.key)).not.toContain('Réponse envoyée depuis');
    expect(draw.rows.every((r) => r.status === 'answered_in_time')).toBe(true);
  });

  it("l'export CSV a une colonne reponse_via", () => {
    const saved = newVersion(
      drawFromRows(rows, request, ctx),
      {},
      {
        previous: null,
        preset: 'custom',
        region: 'metropole',
        whitMondayWorked: false,
        now: NOW,
        uuid: () => '7d0e2a52-5a5c-4c86-9d0f-0b4f5f0b2c12',
      },
    );
    const [head, ...lines] = spotCheckCsv(saved).slice(1).split('\r\n');
    const column = head!.split(';').indexOf('reponse_via');
    expect(column).toBeGreaterThan(0);
    const byKey = Object.fromEntries(
      lines.filter(Boolean).map((l) => [l.split(';')[head!.split(';').indexOf('cle')], l.split(';')[column]]),
    );
    expect(byKey).toEqual({ [q1.key]: 'adresse personnelle', [q2.key]: 'autre BALF', [q3.key]: '' });
  });
});
