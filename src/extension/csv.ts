// Ledger export as CSV for spreadsheets: ';' separator, UTF-8 BOM, French column names.
import type { LedgerRow } from './ledger.ts';
import { Up } from './ledger.ts';

const upNames: Record<number, string> = {
  [Up.pending]: 'en_attente',
  [Up.batched]: 'en_cours',
  [Up.acknowledged]: 'envoye',
  [Up.evicted]: 'evince',
  [Up.hold]: 'en_attente',
};

const columns = [
  'balf',
  'cle',
  'sens',
  'date',
  'categorie',
  're',
  'heuristique',
  'etat_envoi',
  'message_id',
  'dossier',
  'correspondant',
  'objet',
  'premiere_vue',
] as const;

/** Quotes when needed, and defuses spreadsheet formulas (a cell starting with = + - @). */
export function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[;"\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function ledgerCsv(rows: readonly LedgerRow[]): string {
  const lines = [columns.join(';')];
  for (const r of rows) {
    lines.push(
      [
        r.balf,
        r.key,
        r.dir === 'in' ? 'recu' : 'envoye',
        r.at,
        r.cat,
        (r.re ?? []).join(' '),
        r.heuristic ? 'oui' : '',
        upNames[r.up] ?? '',
        r.headerMessageId,
        r.folder ?? '',
        r.correspondent ?? (r.correspondents ?? []).join(', '),
        r.subject ?? '',
        r.firstSeen,
      ]
        .map((v) => cell(v))
        .join(';'),
    );
  }
  return '\uFEFF' + lines.join('\r\n') + '\r\n';
}
