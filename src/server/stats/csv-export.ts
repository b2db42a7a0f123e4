/**
 * The stats answer as CSV: totals, every period up to today, every child, then the compared periods'
 * totals and children — the dashboard's numbers, rates rounded as it shows them — and a second
 * section with the period's spot-checks.
 */
import type { Metrics, StatsAnswer } from '../../core/protocol.ts';
import { csvPercent, type CsvCell, type CsvSection } from '../csv.ts';
import type { ComparisonKind } from './params.ts';
import type { ListedSpotCheck } from './spot-check-list.ts';

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
  'Taux de conformité (%)',
  'Délai médian (jours ouvrés)',
  'Délai 90e centile (jours ouvrés)',
  'Cible',
  'Cible (jours ouvrés)',
  // Appended columns go last, so that the columns read by position keep their place.
  'Reçus à vérifier (classement provisoire)',
  'Réponses depuis une adresse personnelle',
  'Réponses depuis une autre BALF',
  'Décidés',
] as const;

export const SPOT_CHECK_CSV_HEADER = [
  'Sondage',
  'BALF',
  'Du',
  'Au',
  'Réalisé le',
  'Cible du sondage',
  'Cible du sondage (jours ouvrés)',
  'Population',
  'Échantillon',
  'Conformes',
  'Non conformes',
  'Sans objet',
  'Taux sondé (%)',
  'IC 95 % bas (%)',
  'IC 95 % haut (%)',
  'Taux automatique des messages tirés (%)',
  'Désaccords avec le calcul',
] as const;

export const LEVEL_NAMES = {
  national: 'national',
  department: 'département',
  service: 'service',
  balf: 'BALF',
} as const;

const COMPARISON_LINES: Record<ComparisonKind, string> = {
  previous: 'comparaison : période précédente',
  lastYear: 'comparaison : même période un an plus tôt',
};

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
    csvPercent(m.complianceRate),
    m.medianDelayDays,
    m.p90DelayDays,
  ];
}

/** The columns after the target: provisional count, replies sent from another identity, what the rate rests on. */
function tail(m: Metrics): CsvCell[] {
  return [
    m.unrefined,
    m.sentVia.personal,
    m.sentVia.otherBalf,
    m.answeredInTime + m.answeredLate + m.overdue,
  ];
}

export interface StatsCsvOptions {
  /** Today (YYYY-MM-DD): periods starting after it hold no mail yet and are left out. */
  today: string;
  comparisons: { kind: ComparisonKind; answer: StatsAnswer }[];
  spotChecks: ListedSpotCheck[];
}

function* statsRows(
  answer: StatsAnswer,
  subjectName: string,
  options: StatsCsvOptions,
): Generator<CsvCell[]> {
  const target = [answer.target.id, answer.target.workingDays];
  const head = [LEVEL_NAMES[answer.level], answer.id, subjectName];
  const period = (a: StatsAnswer) => `${a.from} au ${a.to}`;
  yield ['total', ...head, period(answer), ...metricCells(answer.totals), ...target, ...tail(answer.totals)];
  for (const s of answer.series) {
    if (s.period > options.today) break;
    yield ['période', ...head, s.period, ...metricCells(s), ...target, ...tail(s)];
  }
  for (const c of answer.children) {
    yield [
      'sous-niveau',
      LEVEL_NAMES[c.level],
      c.id,
      c.name,
      period(answer),
      ...metricCells(c),
      ...target,
      ...tail(c),
    ];
  }
  for (const { kind, answer: compared } of options.comparisons) {
    const line = COMPARISON_LINES[kind];
    yield [
      line,
      ...head,
      period(compared),
      ...metricCells(compared.totals),
      ...target,
      ...tail(compared.totals),
    ];
    for (const c of compared.children) {
      yield [
        line,
        LEVEL_NAMES[c.level],
        c.id,
        c.name,
        period(compared),
        ...metricCells(c),
        ...target,
        ...tail(c),
      ];
    }
  }
}

function* spotCheckRows(list: ListedSpotCheck[]): Generator<CsvCell[]> {
  for (const s of list) {
    const a = s.automatic;
    const decided = a.answered_in_time + a.answered_late + a.overdue;
    yield [
      s.id,
      s.balf,
      s.from,
      s.to,
      s.doneAt,
      s.target.id,
      s.target.workingDays,
      s.population,
      s.sampleSize,
      s.verdicts.conforme,
      s.verdicts.non_conforme,
      s.verdicts.sans_objet,
      csvPercent(s.rate),
      csvPercent(s.interval?.lower ?? null),
      csvPercent(s.interval?.upper ?? null),
      csvPercent(decided === 0 ? null : a.answered_in_time / decided),
      s.disagreements,
    ];
  }
}

/** The file's sections: the figures, then the spot-checks (header only when there is none). */
export function statsCsvSections(
  answer: StatsAnswer,
  subjectName: string,
  options: StatsCsvOptions,
): CsvSection[] {
  return [
    { header: STATS_CSV_HEADER, rows: statsRows(answer, subjectName, options) },
    { header: SPOT_CHECK_CSV_HEADER, rows: spotCheckRows(options.spotChecks) },
  ];
}
