// « Calendrier » page: the days declared closed or exceptionally open that concern the user's scope.
import { h } from '../dom.ts';
import { parseDay } from '../period.ts';

/** One declaration as GET /api/v1/calendar/overlays returns it. */
export interface CalendarOverlay {
  id: string;
  scope: string;
  day: string;
  state: 'closed' | 'open';
  label: string;
  source: string;
  declaredBy: string;
  declaredAt: string;
}

const dayFormat = new Intl.DateTimeFormat('fr-FR', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});

const REGIONS: Record<string, string> = {
  metropole: 'Métropole',
  'alsace-moselle': 'Alsace-Moselle',
  guadeloupe: 'Guadeloupe',
  martinique: 'Martinique',
  guyane: 'Guyane',
  reunion: 'La Réunion',
  mayotte: 'Mayotte',
};

/** « Toute la France », « Région Martinique », « Département 75 », « Service SIP75 ». */
export function scopeLabel(scope: string): string {
  if (scope === 'nation') return 'Toute la France';
  const [kind = '', code = ''] = scope.split(/:(.*)/s);
  if (kind === 'region') return `Région ${REGIONS[code] ?? code}`;
  if (kind === 'department') return `Département ${code}`;
  if (kind === 'service') return `Service ${code}`;
  return scope;
}

function dayLabel(iso: string): string {
  const date = parseDay(iso);
  return date === null ? iso : dayFormat.format(date);
}

function table(overlays: CalendarOverlay[]): HTMLElement {
  if (overlays.length === 0)
    return h(
      'p',
      { id: 'calendar-empty' },
      'Aucun jour déclaré : les délais suivent le calendrier légal (jours fériés de la région).',
    );
  return h(
    'div',
    { class: 'fr-table', id: 'table-calendar' },
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
            h('caption', {}, `Jours déclarés (${overlays.length})`),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                h('th', { scope: 'col' }, 'Jour'),
                h('th', { scope: 'col' }, 'Portée'),
                h('th', { scope: 'col' }, 'État'),
                h('th', { scope: 'col' }, 'Motif'),
                h('th', { scope: 'col' }, 'Source'),
              ),
            ),
            h(
              'tbody',
              {},
              overlays.map((o) =>
                h(
                  'tr',
                  { 'data-id': o.id, 'data-day': o.day, 'data-scope': o.scope, 'data-state': o.state },
                  h('th', { scope: 'row' }, h('time', { datetime: o.day }, dayLabel(o.day))),
                  h('td', {}, scopeLabel(o.scope)),
                  h(
                    'td',
                    {},
                    h(
                      'p',
                      {
                        class: `fr-badge fr-badge--sm ${o.state === 'closed' ? 'fr-badge--warning' : 'fr-badge--success'}`,
                      },
                      o.state === 'closed' ? 'Fermé : ne compte pas' : 'Ouvert : compte',
                    ),
                  ),
                  h('td', {}, o.label),
                  h('td', {}, o.source),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The page, once the declarations are loaded. */
export function renderCalendar(overlays: CalendarOverlay[]): HTMLElement {
  return h(
    'div',
    { id: 'calendar-page' },
    h('h1', { tabindex: -1, id: 'page-title' }, 'Calendrier'),
    h(
      'p',
      {},
      'Les délais se comptent en jours ouvrés : du lundi au vendredi, hors jours fériés de la région. ' +
        'Les jours ci-dessous, déclarés par un administrateur national ou départemental, s’y ajoutent : un jour ' +
        'fermé ne compte jamais, un jour ouvert compte toujours. Le plus précis l’emporte (service, puis ' +
        'département, région, toute la France). Chaque déclaration recalcule les délais déjà mesurés.',
    ),
    h(
      'p',
      { class: 'fr-text--sm' },
      'Les coutumes d’outre-mer (Mardi gras et Vendredi saint aux Antilles, fêtes de Mayotte…) sont des ' +
        'usages, pas des jours fériés : elles ne comptent que si un administrateur national les a appliquées.',
    ),
    table(overlays),
  );
}
