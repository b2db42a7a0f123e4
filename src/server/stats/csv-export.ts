/** The stats answer as CSV rows: totals, then every period, then every child — the same numbers as JSON. */
import type { Metrics, StatsAnswer } from '../../core/protocol.ts';
import type { CsvCell } from '../csv.ts';

export const STATS_CSV_HEADER = [
  'Ligne',
  'Niveau',
  'Identifiant',
  'Nom',
  'Période',
  'Reçus',
  'Reçus usagers',
  'Reçus internes',
  'Reçus automatiques',
  'Reçus indésirables',
  'Envoyés',
  'Réponses',
  'Transferts',
  'Nouveaux messages',
  'Envoyés automatiques',
  'Répondus dans le délai',
  'Répondus hors délai',
  'En attente',
  'En retard',
  'Taux de conformité',
  'Délai médian (jours ouvrés)',
  'Délai 90e centile (jours ouvrés)',
  'Cible',
  'Cible (jours ouvrés)',
  // Appended columns go last, so that the columns read by position keep their place.
  'Reçus à vérifier (classement provisoire)',
  'Réponses depuis une adresse personnelle',
  'Réponses depuis une autre BALF',
] as const;

export const LEVEL_NAMES = {
  national: 'national',
  department: 'département',
  service: 'service',
  balf: 'BALF',
} as const;

function metricCells(m: Metrics): CsvCell[] {
  return [
    m.received,
    m.receivedByCategory.usager,
    m.receivedByCategory.interne,
    m.receivedByCategory.auto,
    m.receivedByCategory.junk,
    m.sent,
    m.sentByCategory.reply,
    m.sentByCategory.forward,
    m.sentByCategory.new,
    m.sentByCategory.auto,
    m.answeredInTime,
    m.answeredLate,
    m.pending,
    m.overdue,
    m.complianceRate,
    m.medianDelayDays,
    m.p90DelayDays,
  ];
}

const viaCells = (m: Metrics): CsvCell[] => [m.sentVia.personal, m.sentVia.otherBalf];

export function* statsCsvRows(answer: StatsAnswer, subjectName: string): Generator<CsvCell[]> {
  const target = [answer.target.id, answer.target.workingDays];
  const period = `${answer.from} au ${answer.to}`;
  yield [
    'total',
    LEVEL_NAMES[answer.level],
    answer.id,
    subjectName,
    period,
    ...metricCells(answer.totals),
    ...target,
    answer.totals.unrefined,
    ...viaCells(answer.totals),
  ];
  for (const s of answer.series) {
    yield [
      'période',
      LEVEL_NAMES[answer.level],
      answer.id,
      subjectName,
      s.period,
      ...metricCells(s),
      ...target,
      s.unrefined,
      ...viaCells(s),
    ];
  }
  for (const c of answer.children) {
    yield [
      'sous-niveau',
      LEVEL_NAMES[c.level],
      c.id,
      c.name,
      period,
      ...metricCells(c),
      ...target,
      c.unrefined,
      ...viaCells(c),
    ];
  }
}
