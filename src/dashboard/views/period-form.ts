// The period picker: presets, custom range, grouping, target, comparisons; previous/next links that stop at today.
import type { Granularity } from '../../core/protocol.ts';
import type { Target } from '../api.ts';
import { h } from '../dom.ts';
import {
  defaultGranularity,
  isFuture,
  isValidPeriod,
  periodLabel,
  presetLabels,
  presetOf,
  presetPeriod,
  presets,
  type Preset,
} from '../period.ts';
import { formatHash, neighbour, type StatsRoute } from '../route.ts';

const granularityLabels: Record<Granularity | 'auto', string> = {
  auto: 'Automatique (selon la durée)',
  day: 'Jour',
  week: 'Semaine',
  month: 'Mois',
};

function selectGroup(id: string, label: string, options: [string, string][], selected: string): HTMLElement {
  const select = h(
    'select',
    { class: 'fr-select', id, name: id },
    options.map(([value, text]) => h('option', { value, selected: value === selected }, text)),
  );
  // Set the property too: the attribute alone is not honoured by every DOM implementation (happy-dom).
  select.value = selected;
  return h('div', { class: 'fr-select-group' }, h('label', { class: 'fr-label', for: id }, label), select);
}

function dateGroup(id: string, label: string, value: string): HTMLElement {
  return h(
    'div',
    { class: 'fr-input-group' },
    h('label', { class: 'fr-label', for: id }, label, h('span', { class: 'fr-hint-text' }, 'jj/mm/aaaa')),
    h('input', { class: 'fr-input', type: 'date', id, name: id, value, required: true }),
  );
}

/** The form; `onSubmit` receives the new route, or an error message to show. */
export function renderPeriodForm(
  route: StatsRoute,
  targets: Target[],
  today: Date,
  onSubmit: (next: StatsRoute | string) => void,
): HTMLFormElement {
  const preset = presetOf(route.period, today);
  const primary = targets.find((t) => t.primary) ?? targets[0];
  const form = h(
    'form',
    { class: 'sb-period-form', id: 'period-form', 'aria-label': 'Choix de la période', novalidate: true },
    selectGroup(
      'preset',
      'Période',
      [...presets.map((p): [string, string] => [p, presetLabels[p]]), ['custom', presetLabels.custom]],
      preset,
    ),
    dateGroup('from', 'Du', route.period.from),
    dateGroup('to', 'Au', route.period.to),
    selectGroup(
      'granularity',
      'Regroupement',
      (['auto', 'day', 'week', 'month'] as const).map((g): [string, string] => [g, granularityLabels[g]]),
      route.autoGranularity === true ? 'auto' : route.granularity,
    ),
    selectGroup(
      'target',
      'Objectif de délai',
      targets.map((t): [string, string] => [t.id, `${t.label}${t.primary ? ' (principal)' : ''}`]),
      route.target ?? primary?.id ?? '',
    ),
    h(
      'div',
      { class: 'sb-compare', role: 'group', 'aria-label': 'Comparaisons' },
      h(
        'div',
        { class: 'fr-checkbox-group fr-checkbox-group--sm' },
        h('input', { type: 'checkbox', id: 'compare', name: 'compare', checked: route.compare }),
        h('label', { class: 'fr-label', for: 'compare' }, 'Comparer à la période précédente'),
      ),
      h(
        'div',
        { class: 'fr-checkbox-group fr-checkbox-group--sm' },
        h('input', {
          type: 'checkbox',
          id: 'compare-year',
          name: 'compare-year',
          checked: route.compareYear,
        }),
        h('label', { class: 'fr-label', for: 'compare-year' }, 'Comparer à la même période un an plus tôt'),
      ),
    ),
    h('button', { class: 'fr-btn', type: 'submit' }, 'Afficher'),
  );
  const field = <T extends HTMLElement>(id: string) => form.querySelector<T>(`#${id}`) as T;
  // Choosing a preset fills the dates (and lets the grouping follow them); editing a date makes the range custom.
  field<HTMLSelectElement>('preset').addEventListener('change', (event) => {
    const value = (event.target as HTMLSelectElement).value;
    if (value === 'custom') return;
    const period = presetPeriod(value as Preset, today);
    field<HTMLInputElement>('from').value = period.from;
    field<HTMLInputElement>('to').value = period.to;
    field<HTMLSelectElement>('granularity').value = 'auto';
  });
  for (const id of ['from', 'to']) {
    field<HTMLInputElement>(id).addEventListener('change', () => {
      field<HTMLSelectElement>('preset').value = 'custom';
    });
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const period = { from: field<HTMLInputElement>('from').value, to: field<HTMLInputElement>('to').value };
    if (!isValidPeriod(period)) {
      onSubmit(
        'Période invalide : la date de début doit précéder ou égaler la date de fin (format jj/mm/aaaa).',
      );
      return;
    }
    const target = field<HTMLSelectElement>('target').value;
    const grouping = field<HTMLSelectElement>('granularity').value;
    // A new choice of dates: the stepping, grouping and target start afresh from what the form says.
    const { target: _previousTarget, byDays: _byDays, autoGranularity: _auto, ...rest } = route;
    const next: StatsRoute = {
      ...rest,
      period,
      granularity: grouping === 'auto' ? defaultGranularity(period) : (grouping as Granularity),
      ...(grouping === 'auto' ? { autoGranularity: true as const } : {}),
      compare: field<HTMLInputElement>('compare').checked,
      compareYear: field<HTMLInputElement>('compare-year').checked,
    };
    // The primary target is the default: keep it out of the URL so shared links follow a change of primary.
    if (target !== '' && target !== primary?.id) next.target = target;
    onSubmit(next);
  });
  return form;
}

/**
 * « Période précédente » / « Période suivante » around the current period's label; the next period is
 * offered only once it has begun (a future period holds nothing but zeros).
 */
export function renderPeriodNav(route: StatsRoute, today: Date): HTMLElement {
  const previous = neighbour(route, -1);
  const next = neighbour(route, 1);
  const nextLink = isFuture(next.period, today)
    ? h(
        'a',
        {
          class: 'fr-btn fr-btn--secondary fr-btn--sm',
          id: 'period-next',
          role: 'link',
          'aria-disabled': 'true',
          title: 'La période suivante n’a pas encore commencé',
        },
        'Période suivante',
        h('span', { class: 'fr-sr-only' }, ' : pas encore commencée'),
      )
    : h(
        'a',
        { class: 'fr-btn fr-btn--secondary fr-btn--sm', href: formatHash(next), id: 'period-next' },
        'Période suivante',
        h('span', { class: 'fr-sr-only' }, ` : ${periodLabel(next.period)}`),
      );
  return h(
    'nav',
    { class: 'sb-nav-period', 'aria-label': 'Périodes voisines' },
    h(
      'a',
      { class: 'fr-btn fr-btn--secondary fr-btn--sm', href: formatHash(previous), id: 'period-previous' },
      'Période précédente',
      h('span', { class: 'fr-sr-only' }, ` : ${periodLabel(previous.period)}`),
    ),
    h('p', { class: 'fr-mb-0', id: 'period-label' }, h('strong', {}, periodLabel(route.period))),
    nextLink,
  );
}
