// Spot-checks (sondages ponctuels) sent by chefs de service for the level and period shown.
import { h } from '../dom.ts';
import { formatCount, formatRate } from '../format.ts';
import { parseDay } from '../period.ts';

/** One summary as GET /api/v1/spot-checks lists it. */
export interface SpotCheckRow {
  id: string;
  balf: string;
  from: string;
  to: string;
  doneAt: string;
  target: { id: string; workingDays: number };
  population: number;
  sampleSize: number;
  verdicts: { conforme: number; non_conforme: number; sans_objet: number };
  disagreements: number;
  rate: number | null;
  interval: { lower: number; upper: number } | null;
}

export interface SpotCheckList {
  spotChecks: SpotCheckRow[];
}

const shortDay = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short' });
const instant = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short' });

function day(iso: string): string {
  const date = parseDay(iso);
  return date === null ? iso : shortDay.format(date);
}

/** Table of spot-checks, or a sentence when there is none. */
export function renderSpotChecks(list: SpotCheckList): HTMLElement {
  const rows = list.spotChecks;
  if (rows.length === 0) {
    return h('p', { id: 'spot-checks-empty' }, 'Aucun sondage ponctuel transmis pour cette période.');
  }
  const num = (metric: string, text: string) => h('td', { class: 'sb-num', 'data-metric': metric }, text);
  return h(
    'div',
    { class: 'fr-table', id: 'table-spot-checks' },
    h(
      'div',
      { class: 'fr-table__wrapper' },
      h(
        'div',
        { class: 'fr-table__container' },
        h(
          'div',
          { class: 'fr-table__content' },
          h(
            'table',
            {},
            h('caption', {}, `Sondages ponctuels (${rows.length})`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'BALF'),
                h('th', { scope: 'col' }, 'Période sondée'),
                h('th', { scope: 'col' }, 'Réalisé le'),
                h('th', { scope: 'col', class: 'sb-num' }, 'Échantillon'),
                h('th', { scope: 'col', class: 'sb-num' }, 'Conformes'),
                h('th', { scope: 'col', class: 'sb-num' }, 'Non conformes'),
                h('th', { scope: 'col', class: 'sb-num' }, 'Sans objet'),
                h('th', { scope: 'col', class: 'sb-num' }, 'Taux (IC 95 %)'),
                h('th', { scope: 'col', class: 'sb-num' }, 'Désaccords avec le calcul'),
              ),
            ),
            h(
              'tbody',
              {},
              rows.map((s) =>
                h(
                  'tr',
                  { 'data-id': s.id },
                  h('th', { scope: 'row' }, s.balf),
                  h('td', {}, `du ${day(s.from)} au ${day(s.to)}`),
                  h('td', {}, instant.format(new Date(s.doneAt))),
                  num('sampleSize', `${formatCount(s.sampleSize)} / ${formatCount(s.population)}`),
                  num('conforme', formatCount(s.verdicts.conforme)),
                  num('non_conforme', formatCount(s.verdicts.non_conforme)),
                  num('sans_objet', formatCount(s.verdicts.sans_objet)),
                  num(
                    'rate',
                    s.interval === null
                      ? formatRate(s.rate)
                      : `${formatRate(s.rate)} (${formatRate(s.interval.lower)} – ${formatRate(s.interval.upper)})`,
                  ),
                  num('disagreements', formatCount(s.disagreements)),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
