// Spot-check exports: the CSV for spreadsheets (';', UTF-8 BOM, formulas defused) and the summary
// sent to the server (counts only, validated by the wire schema before it leaves).
import { PROTOCOL_SCHEMA, spotCheckSummarySchema, type SpotCheckSummary } from '../../core/protocol.ts';
import { cell } from '../csv.ts';
import type { SavedSpotCheck } from './audit.ts';
import { automaticVerdict, computeResults } from './results.ts';

export interface ClientInfo {
  id: string;
  addon: string;
  thunderbird: string;
}

const columns = [
  'balf',
  'debut',
  'fin',
  'graine',
  'objectif',
  'objectif_jours_ouvres',
  'population',
  'echantillon',
  'strate_semaine',
  'cle',
  'recu_le',
  'correspondant',
  'objet',
  'categorie',
  'repondu_le',
  'delai_jours_ouvres',
  'reponse_heuristique',
  'reponse_via',
  'statut_automatique',
  'verdict_automatique',
  'verdict',
  'desaccord',
  'statut_corrige',
  'motif_correction',
  'commentaire',
  'sondage',
  'version',
  'enregistre_le',
] as const;

/** One line per sampled message, with the spot-check's context repeated so each line stands alone. */
export function spotCheckCsv(saved: SavedSpotCheck): string {
  const lines: string[] = [columns.join(';')];
  const { request } = saved;
  for (const row of saved.rows) {
    const d = saved.decisions[row.key] ?? {};
    const expected = automaticVerdict(row.status);
    const values = [
      request.balf,
      request.from,
      request.to,
      request.seed,
      request.target.id,
      String(request.target.workingDays),
      String(saved.population),
      String(saved.rows.length),
      request.stratifyByWeek ? row.week : '',
      row.key,
      row.at,
      row.correspondent ?? '',
      row.subject ?? '',
      row.category,
      row.reply?.at ?? '',
      row.delayDays === null ? '' : String(row.delayDays),
      row.reply?.heuristic ? 'oui' : '',
      row.reply?.via === 'personal'
        ? 'adresse personnelle'
        : row.reply?.via === 'other-balf'
          ? 'autre BALF'
          : '',
      row.status,
      expected,
      d.verdict ?? '',
      d.verdict !== undefined && d.verdict !== expected ? 'oui' : '',
      d.override?.status ?? '',
      d.override?.reason ?? '',
      d.comment ?? '',
      saved.checkId,
      String(saved.revision),
      saved.savedAt,
    ];
    lines.push(values.map((v) => cell(v)).join(';'));
  }
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}

export function csvFilename(saved: SavedSpotCheck): string {
  const balf = saved.request.balf.replace(/[^a-z0-9.-]+/gi, '_');
  return `sondage-${balf}-${saved.request.from}-${saved.request.to}-v${saved.revision}.csv`;
}

/** The summary of one saved version: only the schema's fields, checked by the schema itself. */
export function summaryOf(saved: SavedSpotCheck, client: ClientInfo): SpotCheckSummary {
  const results = computeResults(saved.rows, saved.decisions);
  const { request } = saved;
  return spotCheckSummarySchema.parse({
    schema: PROTOCOL_SCHEMA,
    id: saved.id,
    client: { id: client.id, addon: client.addon, thunderbird: client.thunderbird },
    balf: request.balf,
    from: request.from,
    to: request.to,
    doneAt: saved.savedAt,
    seed: request.seed,
    target: { id: request.target.id, workingDays: request.target.workingDays },
    population: saved.population,
    sampleSize: saved.rows.length,
    verdicts: results.verdicts,
    automatic: results.automatic.counts,
    disagreements: results.disagreements.length,
  });
}

export interface UploadOutcome {
  result: 'ok' | 'error';
  status?: number;
  message?: string;
}

/** POSTs the summary to {endpoint}/api/v1/spot-checks with the ingest token. Never throws. */
export async function uploadSummary(
  fetchFn: typeof fetch,
  endpoint: string,
  token: string,
  summary: SpotCheckSummary,
): Promise<UploadOutcome> {
  try {
    const res = await fetchFn(`${endpoint}/api/v1/spot-checks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(summary),
    });
    if (res.ok) return { result: 'ok', status: res.status };
    let message = res.statusText;
    try {
      const body = (await res.json()) as { message?: unknown };
      if (typeof body.message === 'string') message = body.message;
    } catch {
      // A non-JSON error body: the status text is all there is.
    }
    return { result: 'error', status: res.status, message };
  } catch (error) {
    return { result: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}
