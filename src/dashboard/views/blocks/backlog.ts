// The « À traiter » block of a level: usager mail waiting for an answer, per bucket, and per child sortable by lateness.
import type { BacklogAnswer, BacklogBucketName } from '../../../core/backlog.ts';
import type { Level } from '../../../core/protocol.ts';
import { Api } from '../../api.ts';
import { h, replaceChildren } from '../../dom.ts';
import { NOT_AVAILABLE, formatCount } from '../../format.ts';
import { childrenTitles, levelNames } from '../../labels.ts';
import { formatHash, type StatsRoute } from '../../route.ts';
import { markScrollableTables, tableFrame } from '../../table.ts';
import type { Block, BlockContext } from './block.ts';

type Figure = Pick<BacklogAnswer, 'buckets' | 'oldestAgeDays' | 'withheld'>;

const BUCKETS: { name: BacklogBucketName; label: string; badge: string; hint: (n: number) => string }[] = [
  {
    name: 'inTime',
    label: 'Dans le délai',
    badge: 'fr-badge--success',
    hint: (n) => `âge inférieur à ${Math.max(n - 1, 0)} jours ouvrés`,
  },
  {
    name: 'dueSoon',
    label: 'À échéance',
    badge: 'fr-badge--warning',
    hint: () => 'réponse attendue aujourd’hui ou demain',
  },
  {
    name: 'overdue',
    label: 'En retard',
    badge: 'fr-badge--error',
    hint: (n) => `plus de ${n} jours ouvrés`,
  },
];

const WITHHELD = 'Non publié : moins de deux BALF';

/** The day of the block: the end of a past period, or today (the server's default) when the period reaches it. */
export function backlogQuery(route: StatsRoute, today: Date, format?: 'csv'): string {
  const params = new URLSearchParams({ level: route.level, id: route.id });
  const local = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
  if (route.period.to < local) params.set('asOf', route.period.to);
  if (route.target !== undefined) params.set('target', route.target);
  if (format !== undefined) params.set('format', format);
  return params.toString();
}

function formatAge(days: number | null): string {
  if (days === null) return NOT_AVAILABLE;
  return `${formatCount(days)} jour${days > 1 ? 's' : ''} ouvré${days > 1 ? 's' : ''}`;
}

function formatDay(day: string): string {
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}

function tiles(answer: BacklogAnswer): HTMLElement {
  if (answer.withheld || answer.buckets === null) {
    return h('p', { class: 'fr-badge fr-badge--info', id: 'backlog-withheld' }, WITHHELD);
  }
  const buckets = answer.buckets;
  return h(
    'ul',
    { class: 'sb-tiles', 'aria-label': 'Messages à traiter par échéance' },
    BUCKETS.map((b) =>
      h(
        'li',
        { class: 'sb-tile', 'data-bucket': b.name },
        h('p', { class: `sb-tile__label fr-badge fr-badge--sm ${b.badge}` }, b.label),
        h('p', { class: 'sb-tile__value' }, formatCount(buckets[b.name])),
        h('p', { class: 'sb-tile__delta' }, b.hint(answer.target.workingDays)),
      ),
    ),
    h(
      'li',
      { class: 'sb-tile', 'data-bucket': 'oldest' },
      h('p', { class: 'sb-tile__label' }, 'Plus ancien message en attente'),
      h('p', { class: 'sb-tile__value' }, formatAge(answer.oldestAgeDays)),
    ),
  );
}

function cells(f: Figure): HTMLElement[] {
  if (f.withheld || f.buckets === null) {
    return [h('td', { colspan: 4, 'data-metric': 'withheld' }, WITHHELD)];
  }
  const buckets = f.buckets;
  return [
    ...BUCKETS.map((b) =>
      h('td', { class: 'fr-cell--right sb-num', 'data-metric': b.name }, formatCount(buckets[b.name])),
    ),
    h('td', { class: 'fr-cell--right sb-num', 'data-metric': 'oldest' }, formatAge(f.oldestAgeDays)),
  ];
}

/** Children table; the « En retard » header sorts by lateness (most late first), then back to directory order. */
function childrenTable(answer: BacklogAnswer, hrefFor: (level: Level, id: string) => string): HTMLElement {
  const rows = answer.children.map((c) =>
    h(
      'tr',
      { 'data-level': c.level, 'data-id': c.id },
      h('th', { scope: 'row' }, h('a', { class: 'fr-link', href: hrefFor(c.level, c.id) }, c.label || c.id)),
      cells(c),
    ),
  );
  const tbody = h('tbody', {}, rows);
  const overdueOf = (i: number) => answer.children[i]?.buckets?.overdue ?? -1;
  const sortButton = h(
    'button',
    { type: 'button', class: 'fr-btn fr-btn--sort fr-btn--sm', id: 'backlog-sort-overdue' },
    'Trier par retard',
  );
  const overdueHeader = h(
    'th',
    { scope: 'col', class: 'fr-cell--right sb-th--num', 'aria-sort': 'none' },
    'En retard ',
    sortButton,
  );
  sortButton.addEventListener('click', () => {
    const descending = overdueHeader.getAttribute('aria-sort') !== 'descending';
    overdueHeader.setAttribute('aria-sort', descending ? 'descending' : 'none');
    sortButton.textContent = descending ? 'Ordre de l’annuaire' : 'Trier par retard';
    const order = rows.map((_, i) => i);
    // Stable: equal counts keep the directory order; withheld rows go last.
    if (descending) order.sort((a, b) => overdueOf(b) - overdueOf(a));
    replaceChildren(
      tbody,
      order.map((i) => rows[i]!),
    );
  });
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, levelNames[answer.children[0]?.level ?? 'balf']),
      h('th', { scope: 'col', class: 'fr-cell--right sb-th--num' }, 'Dans le délai'),
      h('th', { scope: 'col', class: 'fr-cell--right sb-th--num' }, 'À échéance'),
      overdueHeader,
      h('th', { scope: 'col', class: 'fr-cell--right sb-th--num' }, 'Plus ancien'),
    ),
  );
  const caption = `${childrenTitles[answer.level]} : messages à traiter (${answer.children.length})`;
  return tableFrame('table-backlog', caption, head, tbody);
}

/** The block's content for a loaded answer. */
export function renderBacklogAnswer(
  answer: BacklogAnswer,
  route: StatsRoute,
  csvQuery: string,
): HTMLElement[] {
  const hrefFor = (level: Level, id: string) => formatHash({ ...route, level, id });
  return [
    h(
      'p',
      { id: 'backlog-as-of', 'data-as-of': answer.asOf },
      `Messages d’usagers sans réponse le ${formatDay(answer.asOf)}, par ancienneté en jours ouvrés (objectif : ${answer.target.workingDays} jours ouvrés).`,
    ),
    tiles(answer),
    answer.children.length > 0 ? childrenTable(answer, hrefFor) : null,
    h(
      'p',
      {},
      h(
        'a',
        {
          class: 'fr-link fr-link--download',
          id: 'backlog-csv',
          href: `/api/v1/backlog?${csvQuery}`,
          download: `suivi-balf-a-traiter-${route.level}-${route.id}-${answer.asOf}.csv`,
        },
        'Télécharger la file à traiter',
        h('span', { class: 'fr-link__detail' }, 'CSV – séparateur point-virgule, UTF-8'),
      ),
    ),
  ].filter((x): x is HTMLElement => x !== null);
}

function load(body: HTMLElement, route: StatsRoute, today: Date, api: Pick<Api, 'backlog'>): void {
  api
    .backlog(backlogQuery(route, today))
    .then((answer) => {
      replaceChildren(body, renderBacklogAnswer(answer, route, backlogQuery(route, today, 'csv')));
      // Drawn after the page: its table gets the scroll hint the page's tables got when inserted.
      markScrollableTables(body);
    })
    .catch((error: unknown) =>
      replaceChildren(
        body,
        h(
          'p',
          { id: 'backlog-error' },
          `File à traiter indisponible : ${error instanceof Error ? error.message : String(error)}`,
        ),
      ),
    )
    .finally(() => body.setAttribute('aria-busy', 'false'));
}

/**
 * The « À traiter » block's content: its figures once loaded (or why they could not be). Without `api`,
 * it loads through the dashboard's own API once the page shell (#app) shows it: a page drawn elsewhere
 * (a unit test of the stats page) has no server to ask.
 */
export function renderBacklog(route: StatsRoute, today: Date, api?: Pick<Api, 'backlog'>): HTMLElement {
  const body = h('div', { 'aria-live': 'polite', 'aria-busy': 'true' }, h('p', {}, 'Chargement…'));
  if (api !== undefined) load(body, route, today, api);
  else queueMicrotask(() => body.closest('#app') !== null && load(body, route, today, new Api()));
  return h('div', { id: 'backlog' }, body);
}

export function backlogBlock(ctx: BlockContext): Block {
  return { id: 'a-traiter', title: 'À traiter', content: renderBacklog(ctx.route, ctx.today) };
}
