// Everything above a statistics page's figures: scoped breadcrumb, title, period and target, the form and its errors,
// previous/next; and the page shown instead of figures when a period is refused or has not begun.
import type { Level } from '../../core/protocol.ts';
import type { Crumb, Target } from '../api.ts';
import { alertBox, h } from '../dom.ts';
import { levelNames } from '../labels.ts';
import { isRunning, longDay, periodLabel } from '../period.ts';
import { formatHash, homeRoute, type Scope, type StatsRoute } from '../route.ts';
import type { DrawChart } from './chart.ts';
import { renderPeriodForm, renderPeriodNav } from './period-form.ts';
import { targetOf } from './stats-data.ts';

export interface StatsPageContext {
  route: StatsRoute;
  targets: Target[];
  today: Date;
  /** The user's scope: the breadcrumb never offers a level above it. */
  scope: Scope | null;
  navigate: (route: StatsRoute) => void;
  /** Draws a chart (uPlot in the browser; tests pass a no-op). Returns a disposer. */
  drawChart: DrawChart;
}

const levelOrder: Level[] = ['national', 'department', 'service', 'balf'];

/** The crumbs a user may follow: none above their scope (a chef de service starts at their service). */
export function scopedCrumbs(crumbs: Crumb[], scope: Scope | null): Crumb[] {
  const top = scope === null ? 0 : levelOrder.indexOf(scope.level);
  return crumbs.filter((c) => levelOrder.indexOf(c.level) >= top);
}

function renderBreadcrumbs(ctx: StatsPageContext, crumbs: Crumb[]): HTMLElement {
  const { route } = ctx;
  const known = scopedCrumbs(crumbs, ctx.scope);
  const trail =
    known.length > 0
      ? known
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
                {
                  class: 'fr-breadcrumb__link',
                  href: formatHash({ ...route, level: crumb.level, id: crumb.id }),
                },
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

/**
 * Everything above the figures: breadcrumb, title, period and target, the form (with `formError`, the
 * server's or the form's reason, right under it) and the previous/next links.
 */
export function renderStatsHeader(
  ctx: StatsPageContext,
  crumbs: Crumb[],
  onFormError: (message: string) => void,
  formError?: HTMLElement,
): HTMLElement[] {
  const { route, targets, today } = ctx;
  const target = targetOf(route, targets);
  const running = isRunning(route.period, today) ? ` (période en cours, au ${longDay(today)})` : '';
  return [
    renderBreadcrumbs(ctx, crumbs),
    h('h1', { tabindex: -1, id: 'page-title' }, pageTitle(route, crumbs)),
    h(
      'p',
      { class: 'fr-text--lead', id: 'period-lead' },
      `${periodLabel(route.period)}${running} — objectif : ${target.label}`,
    ),
    renderPeriodForm(route, targets, today, (next) =>
      typeof next === 'string' ? onFormError(next) : ctx.navigate(next),
    ),
    h('div', { id: 'form-error', 'aria-live': 'polite' }, formError ?? null),
    renderPeriodNav(route, today),
  ];
}

/**
 * The page when there are no figures to show — a period the server refused (its reason next to the
 * form, which keeps the user's values) or one not begun yet — so the user corrects it in place.
 */
export function renderStatsProblem(
  ctx: StatsPageContext,
  crumbs: Crumb[],
  problem: { kind: 'refused'; message: string; reasons: string[] } | { kind: 'future' },
  onFormError: (message: string) => void,
): HTMLElement {
  const alert =
    problem.kind === 'refused'
      ? alertBox(
          'error',
          'Période refusée par le serveur',
          [problem.message, problem.reasons.join(' ; ')].filter((t) => t !== '').join(' '),
        )
      : null;
  const future =
    problem.kind === 'future'
      ? h(
          'div',
          { class: 'fr-alert fr-alert--info fr-mb-3w', id: 'future-notice' },
          h('h2', { class: 'fr-alert__title' }, 'Cette période n’a pas encore commencé'),
          h(
            'p',
            {},
            `Nous sommes le ${longDay(ctx.today)} : aucun courriel n’y est encore compté. `,
            h(
              'a',
              { href: formatHash(homeRoute({ level: ctx.route.level, id: ctx.route.id }, ctx.today)) },
              'Voir la période en cours',
            ),
          ),
        )
      : null;
  return h(
    'div',
    { id: 'stats-page', 'data-level': ctx.route.level, 'data-id': ctx.route.id, 'data-state': problem.kind },
    renderStatsHeader(ctx, crumbs, onFormError, alert ?? undefined),
    future,
  );
}
