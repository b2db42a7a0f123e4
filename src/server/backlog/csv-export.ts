/** The backlog answer as CSV rows: the subject, then every child — the same numbers as JSON. */
import type { BacklogAnswer } from '../../core/backlog.ts';
import type { CsvCell } from '../csv.ts';
import { LEVEL_NAMES } from '../stats/csv-export.ts';

export const BACKLOG_CSV_HEADER = [
  'Ligne',
  'Niveau',
  'Identifiant',
  'Nom',
  'Au',
  'Dans le délai',
  'À échéance',
  'En retard',
  'Plus ancien (jours ouvrés)',
  'Masqué (moins de deux BALF)',
  'Cible',
  'Cible (jours ouvrés)',
] as const;

type Figure = Pick<BacklogAnswer, 'level' | 'id' | 'label' | 'buckets' | 'oldestAgeDays' | 'withheld'>;

function cells(line: string, f: Figure, answer: BacklogAnswer): CsvCell[] {
  return [
    line,
    LEVEL_NAMES[f.level],
    f.id,
    f.label,
    answer.asOf,
    f.buckets?.inTime,
    f.buckets?.dueSoon,
    f.buckets?.overdue,
    f.oldestAgeDays,
    f.withheld ? 'oui' : 'non',
    answer.target.id,
    answer.target.workingDays,
  ];
}

export function* backlogCsvRows(answer: BacklogAnswer): Generator<CsvCell[]> {
  yield cells('total', answer, answer);
  for (const c of answer.children) yield cells('sous-niveau', c, answer);
}
