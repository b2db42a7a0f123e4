// Renders a stats answer: summary tiles with deltas, the children table (drill-down) and the series table.
import type { Granularity, Level, Metrics, StatsAnswer } from '../../core/protocol.ts';
import { h } from '../dom.ts';
import {
  formatCount,
  formatCountDelta,
  formatDelay,
  formatDelayDelta,
  formatRate,
  formatRateDelta,
} from '../format.ts';
import { bucketLabel } from '../period.ts';

export const levelNames: Record<Level, string> = {
  national: 'National',
  department: 'Département',
  service: 'Service',
  balf: 'BALF',
};

export const childrenTitles: Record<Level, string> = {
  national: 'Départements',
  department: 'Services',
  service: 'Boîtes aux lettres fonctionnelles',
  balf: 'Boîtes aux lettres fonctionnelles',
};

interface Tile {
  metric: keyof Metrics;
  label: string;
  value: (m: Metrics) => string;
  /** Absent where a comparison means nothing (see `pending`). */
  delta?: (m: Metrics, p: Metrics) => string;
}

const tiles: Tile[] = [
  {
    metric: 'received',
    label: 'Messages reçus',
    value: (m) => formatCount(m.received),
    delta: (m, p) => formatCountDelta(m.received, p.received),
  },
  {
    metric: 'sent',
    label: 'Messages envoyés',
    value: (m) => formatCount(m.sent),
    delta: (m, p) => formatCountDelta(m.sent, p.sent),
  },
  {
    metric: 'complianceRate',
    label: 'Taux de conformité',
    value: (m) => formatRate(m.complianceRate),
    delta: (m, p) => formatRateDelta(m.complianceRate, p.complianceRate),
  },
  {
    metric: 'overdue',
    label: 'En retard (sans réponse)',
    value: (m) => formatCount(m.overdue),
    delta: (m, p) => formatCountDelta(m.overdue, p.overdue),
  },
  {
    metric: 'pending',
    label: 'En attente de réponse',
    value: (m) => formatCount(m.pending),
    // No delta: a message is pending only until its target passes, so a period whose target days are over has
    // none left — comparing with it would always show a rise.
  },
  {
    metric: 'medianDelayDays',
    label: 'Délai médian (jours ouvrés)',
    value: (m) => formatDelay(m.medianDelayDays),
    delta: (m, p) => formatDelayDelta(m.medianDelayDays, p.medianDelayDays),
  },
  {
    metric: 'p90DelayDays',
    label: 'Délai au 90e centile (jours ouvrés)',
    value: (m) => formatDelay(m.p90DelayDays),
    delta: (m, p) => formatDelayDelta(m.p90DelayDays, p.p90DelayDays),
  },
];

/** Summary tiles of the totals; with `previous`, each tile says how it moved since the previous period. */
export function renderTiles(totals: Metrics, previous: Metrics | null, previousLabel: string): HTMLElement {
  return h(
    'ul',
    { class: 'sb-tiles', 'aria-label': 'Chiffres clés de la période' },
    tiles.map((tile) =>
      h(
        'li',
        { class: 'sb-tile', 'data-metric': tile.metric },
        h('p', { class: 'sb-tile__label' }, tile.label),
        h('p', { class: 'sb-tile__value' }, tile.value(totals)),
        previous === null
          ? null
          : tile.delta === undefined
            ? h('p', { class: 'sb-tile__delta' }, 'État à ce jour')
            : h(
                'p',
                { class: 'sb-tile__delta' },
                h(
                  'span',
                  { class: 'fr-sr-only' },
                  `Évolution par rapport à la période précédente (${previousLabel}) : `,
                ),
                tile.delta(totals, previous),
              ),
      ),
    ),
  );
}

/** A DSFR table: wrapper, container and content around the table with its caption. */
export function dsfrTable(caption: string, head: HTMLElement, body: HTMLElement, id: string): HTMLElement {
  return h(
    'div',
    { class: 'fr-table', id },
    h(
      'div',
      { class: 'fr-table__wrapper' },
      h(
        'div',
        { class: 'fr-table__container' },
        h('div', { class: 'fr-table__content' }, h('table', {}, h('caption', {}, caption), head, body)),
      ),
    ),
  );
}

function numCell(metric: string, text: string): HTMLElement {
  return h('td', { class: 'sb-num', 'data-metric': metric }, text);
}

/** Children table: one row per child, the name links to the child's own view (drill-down). */
export function renderChildren(
  answer: StatsAnswer,
  hrefFor: (level: Level, id: string) => string,
  previous: StatsAnswer | null,
): HTMLElement {
  const previousById = new Map((previous?.children ?? []).map((c) => [`${c.level}:${c.id}`, c]));
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, levelNames[answer.children[0]?.level ?? 'balf']),
      h('th', { scope: 'col', class: 'sb-num' }, 'Reçus'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Envoyés'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Taux de conformité'),
      h('th', { scope: 'col', class: 'sb-num' }, 'En retard'),
      previous !== null ? h('th', { scope: 'col', class: 'sb-num' }, 'Reçus : évolution') : null,
    ),
  );
  const body = h(
    'tbody',
    {},
    answer.children.map((child) => {
      const before = previousById.get(`${child.level}:${child.id}`);
      return h(
        'tr',
        { 'data-level': child.level, 'data-id': child.id },
        h(
          'th',
          { scope: 'row' },
          h('a', { href: hrefFor(child.level, child.id), class: 'fr-link' }, child.name || child.id),
        ),
        numCell('received', formatCount(child.received)),
        numCell('sent', formatCount(child.sent)),
        numCell('complianceRate', formatRate(child.complianceRate)),
        numCell('overdue', formatCount(child.overdue)),
        previous !== null
          ? numCell('receivedDelta', formatCountDelta(child.received, before?.received ?? 0))
          : null,
      );
    }),
  );
  const caption = `${childrenTitles[answer.level]} : reçus, envoyés, conformité et retards (${answer.children.length})`;
  return dsfrTable(caption, head, body, 'table-children');
}

/** Series table, also the text alternative of the chart. */
export function renderSeries(answer: StatsAnswer): HTMLElement {
  const granularity: Granularity = answer.granularity;
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Période'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Reçus'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Envoyés'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Répondus dans le délai'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Répondus hors délai'),
      h('th', { scope: 'col', class: 'sb-num' }, 'En retard'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Taux de conformité'),
    ),
  );
  const body = h(
    'tbody',
    {},
    answer.series.map((point) =>
      h(
        'tr',
        { 'data-period': point.period },
        h('th', { scope: 'row' }, bucketLabel(point.period, granularity)),
        numCell('received', formatCount(point.received)),
        numCell('sent', formatCount(point.sent)),
        numCell('answeredInTime', formatCount(point.answeredInTime)),
        numCell('answeredLate', formatCount(point.answeredLate)),
        numCell('overdue', formatCount(point.overdue)),
        numCell('complianceRate', formatRate(point.complianceRate)),
      ),
    ),
  );
  const unit = { day: 'jour', week: 'semaine', month: 'mois' }[granularity];
  return dsfrTable(`Messages reçus et envoyés par ${unit}`, head, body, 'table-series');
}
