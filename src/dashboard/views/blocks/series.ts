// The period's series up to today: the points shown by the charts and listed by the « détail » table.
import type { Granularity, StatsAnswer } from '../../../core/protocol.ts';
import { h } from '../../dom.ts';
import { formatCount, formatDecided, formatDelay, formatRate } from '../../format.ts';
import { bucketEnd, bucketLabel, dayOf } from '../../period.ts';
import { decidedOf, delayVerdict } from '../../../core/verdict.ts';
import { rateText, verdictBadge } from '../../reading.ts';
import { dataTable } from '../../table.ts';

export type Point = StatsAnswer['series'][number] & { running: boolean };

/**
 * Days after today are not zeros, they have not happened: their periods are left out, and the period
 * holding today is marked as running.
 */
export function pastPoints(answer: StatsAnswer, today: Date): Point[] {
  const day = dayOf(today);
  return answer.series
    .filter((p) => p.period <= day)
    .map((p) => ({ ...p, running: bucketEnd(p.period, answer.granularity) >= day }));
}

const unitNames: Record<Granularity, string> = { day: 'jour', week: 'semaine', month: 'mois' };

/** The series table: every figure of each period, also the text alternative of the charts. */
export function seriesTable(points: Point[], granularity: Granularity, targetDays: number): HTMLElement {
  return dataTable({
    id: 'table-series',
    caption: `Détail par ${unitNames[granularity]} : flux, réponses et délais`,
    rows: points,
    multiline: true,
    rowAttrs: (p) => ({ 'data-period': p.period, ...(p.running ? { 'data-running': 'true' } : {}) }),
    columns: [
      {
        key: 'period',
        label: 'Période',
        rowHeader: true,
        cell: (p) => [
          bucketLabel(p.period, granularity),
          p.running ? [' ', h('span', { class: 'fr-badge fr-badge--sm fr-badge--new' }, 'en cours')] : null,
        ],
      },
      { key: 'received', label: 'Reçus (tous)', numeric: true, cell: (p) => formatCount(p.received) },
      {
        key: 'receivedUsager',
        label: 'dont usagers',
        numeric: true,
        cell: (p) => formatCount(p.receivedByCategory.usager),
      },
      { key: 'sent', label: 'Envoyés', numeric: true, cell: (p) => formatCount(p.sent) },
      {
        key: 'answeredInTime',
        label: 'Répondus dans le délai',
        numeric: true,
        cell: (p) => formatCount(p.answeredInTime),
      },
      {
        key: 'answeredLate',
        label: 'Répondus hors délai',
        numeric: true,
        cell: (p) => formatCount(p.answeredLate),
      },
      { key: 'pending', label: 'En attente', numeric: true, cell: (p) => formatCount(p.pending) },
      { key: 'overdue', label: 'En retard', numeric: true, cell: (p) => formatCount(p.overdue) },
      {
        key: 'complianceRate',
        label: 'Taux de conformité',
        numeric: true,
        cell: (p) => [
          rateText(p, formatRate(p.complianceRate)),
          h('span', { class: 'sb-cell-note' }, formatDecided(decidedOf(p), p.pending)),
        ],
      },
      {
        key: 'medianDelayDays',
        label: 'Délai médian',
        numeric: true,
        cell: (p) => formatDelay(p.medianDelayDays),
      },
      {
        key: 'p90DelayDays',
        label: 'Délai 90e centile',
        numeric: true,
        cell: (p) => [
          formatDelay(p.p90DelayDays),
          delayVerdict(p.p90DelayDays, targetDays) === 'non-conforme'
            ? [' ', verdictBadge('non-conforme', 'hors objectif')]
            : null,
        ],
      },
    ],
  });
}

let accordions = 0;

/** A DSFR accordion (its collapse toggled here: the DSFR script is not loaded). */
export function accordion(title: string, content: HTMLElement, expanded: boolean): HTMLElement {
  const id = `accordeon-${++accordions}`;
  const button = h(
    'button',
    { class: 'fr-accordion__btn', type: 'button', 'aria-expanded': String(expanded), 'aria-controls': id },
    title,
  );
  const panel = h('div', { class: `fr-collapse${expanded ? ' fr-collapse--expanded' : ''}`, id }, content);
  button.addEventListener('click', () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    panel.classList.toggle('fr-collapse--expanded', open);
  });
  return h('section', { class: 'fr-accordion' }, h('h3', { class: 'fr-accordion__title' }, button), panel);
}
