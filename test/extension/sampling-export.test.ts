// Spot-check exports: CSV format (';', BOM, CRLF, quoting, formulas defused) and the server summary
// (exactly the schema's fields, counts only: no subject, address or key leaves the workstation).
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { spotCheckSummarySchema } from '../../src/core/protocol.ts';
import { newVersion } from '../../src/extension/sampling/audit.ts';
import { drawFromRows } from '../../src/extension/sampling/draw.ts';
import { csvFilename, spotCheckCsv, summaryOf, uploadSummary } from '../../src/extension/sampling/export.ts';
import { computeResults, type Decision } from '../../src/extension/sampling/results.ts';
import { BALF } from './helpers.ts';
import { buildLedger, config, NOW } from './sampling-fixtures.ts';

const { rows } = buildLedger(40);
const draw = drawFromRows(
  rows,
  {
    balf: BALF,
    from: '2026-11-02',
    to: '2026-11-08',
    seed: 'CSV23456',
    size: { kind: 'count', n: 1000 },
    stratifyByWeek: true,
    target: config.primaryTarget,
  },
  { region: 'metropole', whitMondayWorked: false, now: NOW },
);
const decisions: Record<string, Decision> = {};
draw.rows.forEach((r, i) => {
  decisions[r.key] =
    i === 0
      ? { verdict: 'conforme', comment: '=1+1', override: { status: 'answered_in_time', reason: 'vu; "ok"' } }
      : { verdict: i % 3 === 0 ? 'non_conforme' : i % 3 === 1 ? 'conforme' : 'sans_objet' };
});
const saved = newVersion(draw, decisions, {
  previous: null,
  preset: 'custom',
  region: 'metropole',
  whitMondayWorked: false,
  now: NOW,
  uuid: () => '7d0e2a52-5a5c-4c86-9d0f-0b4f5f0b2c11',
});
const client = { id: 'installation-1', addon: '0.1.0', thunderbird: '153.0' };

describe('export CSV du sondage', () => {
  const csv = spotCheckCsv(saved);
  const lines = csv.slice(1).split('\r\n');

  it('UTF-8 avec BOM, séparateur ;, fins de ligne CRLF, une ligne par message tiré', () => {
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(draw.rows.length + 2);
    expect(lines[0]!.split(';')).toContain('verdict');
    expect(lines[0]!.split(';')[0]).toBe('balf');
    expect(csvFilename(saved)).toBe('sondage-sip.test_dgfip.finances.gouv.fr-2026-11-02-2026-11-08-v1.csv');
  });

  it('neutralise les formules et protège les ; et les guillemets', () => {
    const trap = draw.rows.findIndex((r) => r.subject?.startsWith('='));
    expect(trap).toBeGreaterThanOrEqual(0);
    // The subject contains ';' and '"': quoted, quotes doubled, and the leading '=' defused.
    expect(lines[trap + 1]).toContain(`"'=HYPERLINK(""http://x"";""piège"")"`);
    expect(lines[1]).toContain(`;'=1+1;`);
    expect(lines[1]).toContain(`"vu; ""ok"""`);
    expect(csv).not.toMatch(/;=/);
  });

  it('reprend le contexte (BALF, période, graine, objectif, population) et le verdict de chaque ligne', () => {
    // Read back with a real CSV parser: quoting must round-trip every value.
    const records = parse(csv, { delimiter: ';', bom: true, columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(draw.rows.length);
    records.forEach((rec, i) => {
      const row = draw.rows[i]!;
      expect(rec['balf']).toBe(BALF);
      expect(rec['graine']).toBe('CSV23456');
      expect(rec['objectif_jours_ouvres']).toBe('5');
      expect(rec['population']).toBe(String(draw.population));
      expect(rec['cle']).toBe(row.key);
      expect(rec['statut_automatique']).toBe(row.status);
      expect(rec['verdict']).toBe(decisions[row.key]!.verdict);
      expect(rec['strate_semaine']).toBe(row.week);
      expect(rec['objet']).toBe(row.subject?.startsWith('=') ? `'${row.subject}` : row.subject);
    });
    expect(records[0]!['motif_correction']).toBe('vu; "ok"');
  });
});

describe('résumé envoyé au serveur', () => {
  const summary = summaryOf(saved, client);

  it('contient exactement les champs du schéma, et des comptes cohérents avec les résultats', () => {
    expect(Object.keys(summary).sort()).toEqual(Object.keys(spotCheckSummarySchema.shape).sort());
    expect(spotCheckSummarySchema.parse(summary)).toEqual(summary);
    const results = computeResults(draw.rows, decisions);
    expect(summary.verdicts).toEqual(results.verdicts);
    expect(summary.automatic).toEqual(results.automatic.counts);
    expect(summary.disagreements).toBe(results.disagreements.length);
    expect(summary).toMatchObject({
      id: saved.id,
      balf: BALF,
      from: '2026-11-02',
      to: '2026-11-08',
      seed: 'CSV23456',
      population: draw.population,
      sampleSize: draw.rows.length,
      target: { id: config.primaryTarget.id, workingDays: 5 },
    });
  });

  it('ne contient ni objet, ni adresse de correspondant, ni clé ou identifiant de message', () => {
    const body = JSON.stringify(summary);
    for (const r of draw.rows) {
      expect(body).not.toContain(r.key);
      expect(body).not.toContain(r.headerMessageId);
      if (r.correspondent) expect(body).not.toContain(r.correspondent);
      if (r.subject) expect(body).not.toContain(r.subject.slice(0, 12));
    }
    expect(body).not.toContain('comment');
    expect(body).not.toContain('vu; ');
  });

  it('POST {endpoint}/api/v1/spot-checks avec le jeton ; une erreur 4xx est rapportée avec son message', async () => {
    const calls: { url: string; init: RequestInit }[] = [];
    const ok = (async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ id: summary.id, replay: false }), { status: 201 });
    }) as unknown as typeof fetch;
    expect(await uploadSummary(ok, 'http://127.0.0.1:8080', 'jeton-test', summary)).toEqual({
      result: 'ok',
      status: 201,
    });
    expect(calls[0]!.url).toBe('http://127.0.0.1:8080/api/v1/spot-checks');
    expect(calls[0]!.init.method).toBe('POST');
    expect((calls[0]!.init.headers as Record<string, string>)['authorization']).toBe('Bearer jeton-test');
    expect(JSON.parse(calls[0]!.init.body as string)).toEqual(summary);

    const refused = (async () =>
      new Response(JSON.stringify({ error: 'forbidden_scope', message: 'hors périmètre' }), {
        status: 403,
      })) as unknown as typeof fetch;
    expect(await uploadSummary(refused, 'http://127.0.0.1:8080', 't', summary)).toEqual({
      result: 'error',
      status: 403,
      message: 'hors périmètre',
    });
    const down = (async () => {
      throw new TypeError('NetworkError when attempting to fetch resource.');
    }) as unknown as typeof fetch;
    expect(await uploadSummary(down, 'http://127.0.0.1:8080', 't', summary)).toEqual({
      result: 'error',
      message: 'NetworkError when attempting to fetch resource.',
    });
  });
});
