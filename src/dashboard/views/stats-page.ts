// The statistics page of one level (national, department, service or BALF): loads and lays out its parts.
import type { Level, StatsAnswer } from '../../core/protocol.ts';
import type { StorageView } from '../../core/storage-protocol.ts';
import { ApiError, csvHref, type Api, type Crumb, type Target } from '../api.ts';
import { h } from '../dom.ts';
import { periodLabel } from '../period.ts';
import { comparedPeriod, formatHash, neighbour, statsQuery, type StatsRoute } from '../route.ts';
import { renderBacklog } from './backlog.ts';
import { renderPeriodForm, renderPeriodNav } from './period-form.ts';
import { renderProvisional } from './provisional.ts';
import { renderSentVia } from './sent-via.ts';
import { renderSpotChecks, type SpotCheckList } from './spot-checks.ts';
import { childrenTitles, levelNames, renderChildren, renderSeries, renderTiles } from './stats-tables.ts';
import { loadStorage, renderStorage } from './storage.ts';

export interface StatsData {
  answer: StatsAnswer;
  previous: StatsAnswer | null;
  crumbs: Crumb[];
  /** Spot-checks of the period, or the French reason they could not be loaded. */
  spotChecks: SpotCheckList | string;
  /** The « Stockage » block, or the French reason it could not be loaded (absent: not asked). */
  storage?: StorageView | string;
}

export interface StatsPageContext {
  route: StatsRoute;
  targets: Target[];
  today: Date;
  navigate: (route: StatsRoute) => void;
  /** Draws the chart (uPlot in the browser; tests pass a no-op). Returns a disposer. */
  drawChart: (container: HTMLElement, answer: StatsAnswer) => () => void;
}

/** Fetches the current period, the one it is compared with (for deltas) and the breadcrumbs, in parallel. */
export async function loadStats(api: Api, route: StatsRoute, today: Date): Promise<StatsData> {
  const spotQuery = new URLSearchParams({
    level: route.level,
    id: route.id,
    from: route.period.from,
    to: route.period.to,
  });
  const [answer, previous, crumbs, spotChecks, storage] = await Promise.all([
    api.stats(statsQuery(route)),
    route.compare ? api.stats(statsQuery(route, comparedPeriod(route, today))) : Promise.resolve(null),
    api.path(route.level, route.id).catch((error: unknown) => {
      // Breadcrumbs are a convenience: without them the page still shows its figures.
      if (error instanceof ApiError && error.status !== 401) return [] as Crumb[];
      throw error;
    }),
    // A failure here must not hide the figures: the section says why instead.
    api
      .spotChecks(spotQuery.toString())
      .catch((error: unknown) => (error instanceof Error ? error.message : String(error))),
    loadStorage(api, route.level, route.id),
  ]);
  return { answer, previous, crumbs, spotChecks, storage };
}

/** Says what the deltas compare with, visibly: the whole period before, or its first days only. */
function comparisonNote(route: StatsRoute, previous: StatsAnswer): HTMLElement {
  const label = periodLabel({ from: previous.from, to: previous.to });
  const whole = neighbour(route, -1).period;
  const text =
    previous.from === whole.from && previous.to === whole.to
      ? `Évolutions par rapport à la période précédente (${label}).`
      : `Évolutions par rapport au début de la période précédente (${label}) : autant de jours que la période en cours en compte à ce jour.`;
  return h('p', { class: 'fr-text--sm', id: 'comparison-note' }, text);
}

function hrefFor(route: StatsRoute) {
  return (level: Level, id: string) => formatHash({ ...route, level, id });
}

function renderBreadcrumbs(route: StatsRoute, crumbs: Crumb[]): HTMLElement {
  const trail =
    crumbs.length > 0
      ? crumbs
      : [{ level: route.level, id: route.id, name: route.level === 'national' ? 'National' : route.id }];
  return h(
    'nav',
    { role: 'navigation', class: 'fr-breadcrumb fr-mt-0 fr-mb-2w', 'aria-label': 'vous êtes ici :' },
    h(
      'ol',
      { class: 'fr-breadcrumb__list', id: 'breadcrumbs' },
      trail.map((crumb, index) =>
        h(
          'li',
          {},
          index === trail.length - 1
            ? h('a', { class: 'fr-breadcrumb__link', 'aria-current': 'page' }, crumb.name)
            : h(
                'a',
                { class: 'fr-breadcrumb__link', href: hrefFor(route)(crumb.level, crumb.id) },
                crumb.name,
              ),
        ),
      ),
    ),
  );
}

/** Title of the page: the entity's name and level. */
export function pageTitle(route: StatsRoute, crumbs: Crumb[]): string {
  const name = crumbs[crumbs.length - 1]?.name;
  if (route.level === 'national') return 'Vue nationale';
  return `${levelNames[route.level]} ${name ?? route.id}`;
}

export interface RenderedStats {
  content: HTMLElement;
  drawChart: () => void;
  dispose: () => void;
}

/** Lays out the page from loaded data; returns the content and a disposer (chart). */
export function renderStatsPage(
  ctx: StatsPageContext,
  data: StatsData,
  onFormError: (message: string) => void,
): RenderedStats {
  const { route, targets, today } = ctx;
  const { answer, previous, crumbs } = data;
  const target = targets.find((t) => t.id === answer.target.id);
  const chart = h('div', { class: 'sb-chart', id: 'chart' });
  const content = h(
    'div',
    {
      id: 'stats-page',
      'data-level': route.level,
      'data-id': route.id,
      'data-from': answer.from,
      'data-to': answer.to,
      'data-granularity': answer.granularity,
    },
    renderBreadcrumbs(route, crumbs),
    h('h1', { tabindex: -1, id: 'page-title' }, pageTitle(route, crumbs)),
    h(
      'p',
      { class: 'fr-text--lead' },
      `${periodLabel(route.period)} — objectif : ${target?.label ?? `${answer.target.workingDays} jours ouvrés`}`,
    ),
    renderPeriodForm(route, targets, today, (next) =>
      typeof next === 'string' ? onFormError(next) : ctx.navigate(next),
    ),
    h('div', { id: 'form-error' }),
    renderPeriodNav(route),
    h('h2', {}, 'Chiffres clés'),
    renderProvisional(answer.totals),
    previous === null ? null : comparisonNote(route, previous),
    renderTiles(
      answer.totals,
      previous?.totals ?? null,
      previous === null ? '' : periodLabel({ from: previous.from, to: previous.to }),
    ),
    renderBacklog(route, today),
    h('h2', {}, 'Flux de messages'),
    h(
      'figure',
      { class: 'fr-m-0', 'aria-labelledby': 'chart-caption' },
      chart,
      h(
        'figcaption',
        { id: 'chart-caption', class: 'fr-text--sm' },
        'Messages reçus (trait plein) et envoyés (tirets) par période. Les mêmes chiffres figurent dans le tableau ci-dessous.',
      ),
    ),
    renderSeries(answer),
    route.level !== 'balf'
      ? [
          h('h2', {}, childrenTitles[route.level]),
          answer.children.length > 0
            ? renderChildren(answer, hrefFor(route), previous)
            : h('p', {}, 'Aucun élément rattaché à ce niveau.'),
        ]
      : null,
    renderSentVia(answer),
    h('h2', {}, 'Sondages ponctuels'),
    typeof data.spotChecks === 'string'
      ? h('p', { id: 'spot-checks-error' }, `Sondages indisponibles : ${data.spotChecks}`)
      : renderSpotChecks(data.spotChecks),
    data.storage === undefined ? null : renderStorage(data.storage, hrefFor(route)),
    h('h2', {}, 'Exporter'),
    h(
      'p',
      {},
      h(
        'a',
        {
          class: 'fr-link fr-link--download',
          id: 'csv-export',
          href: csvHref(statsQuery(route, route.period, 'csv')),
          download: `suivi-balf-${route.level}-${route.id}-${route.period.from}-${route.period.to}.csv`,
        },
        'Télécharger les données affichées',
        h('span', { class: 'fr-link__detail' }, 'CSV – séparateur point-virgule, UTF-8'),
      ),
    ),
  );
  let disposeChart: () => void = () => undefined;
  return {
    content,
    // Drawn once inserted in the document, when the container has a width.
    drawChart: () => {
      disposeChart = ctx.drawChart(chart, answer);
    },
    dispose: () => disposeChart(),
  };
}
