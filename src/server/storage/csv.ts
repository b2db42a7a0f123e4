/** The storage view as CSV rows: the level, then each child (above the service level), then every BALF. */
import type { StorageView } from '../../core/storage-protocol.ts';
import type { CsvCell } from '../csv.ts';
import { LEVEL_NAMES } from '../stats/csv-export.ts';
import type { PlacedBalf } from './view.ts';

export const STORAGE_CSV_HEADER = [
  'Ligne',
  'Niveau',
  'Identifiant',
  'Nom',
  'Service',
  'Département',
  'Utilisé (octets)',
  'Quota (octets)',
  'Utilisation (%)',
  'Croissance (octets par jour ouvré)',
  'Saturation prévue le',
  'Jours ouvrés restants',
  'Relevé le',
  'Quota inconnu',
  'BALF suivies',
  'BALF à 80 % ou plus',
  'BALF à 95 % ou plus',
  'BALF sans quota connu',
] as const;

const UNKNOWN = {
  not_given: 'non fourni (serveur IMAP sans quota ou Thunderbird trop ancien)',
  no_report: 'aucun relevé depuis 30 jours',
} as const;

export function* storageCsvRows(view: StorageView, balfs: readonly PlacedBalf[]): Generator<CsvCell[]> {
  const counts = (c: { total: number; above80: number; above95: number; unknown: number }) => [
    c.total,
    c.above80,
    c.above95,
    c.unknown,
  ];
  const blank = Array<CsvCell>(8).fill(null);
  yield ['total', LEVEL_NAMES[view.level], view.id, view.label, null, null, ...blank, ...counts(view)];
  for (const c of view.children ?? []) {
    yield ['sous-niveau', LEVEL_NAMES[c.level], c.id, c.label, null, null, ...blank, ...counts(c)];
  }
  for (const b of balfs) {
    yield [
      'BALF',
      'BALF',
      b.balf,
      b.balf,
      b.service,
      b.department,
      b.usedBytes,
      b.limitBytes,
      b.percent,
      b.growthBytesPerDay,
      b.fullOn,
      b.daysLeft,
      b.sampledAt,
      b.unknown === null ? null : UNKNOWN[b.unknown],
      null,
      null,
      null,
      null,
    ];
  }
}
