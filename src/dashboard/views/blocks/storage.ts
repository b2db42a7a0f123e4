// The « Stockage » block of a stats page: each BALF's quota use (gauge, 80 / 95 % badges, 90-day line,
// projected saturation), sortable by days left; above the service level, the counts per child and the
// BALFs closest to saturation. Figures are the server's (GET /api/v1/storage): nothing is recomputed here.
import { CRITICAL_PERCENT, storageBand, WARNING_PERCENT } from '../../../core/storage.ts';
import type { Level } from '../../../core/protocol.ts';
import type {
  StorageBalf,
  StorageChild,
  StorageView,
  UnknownReason,
} from '../../../core/storage-protocol.ts';
import type { Api } from '../../api.ts';
import { h } from '../../dom.ts';
import { formatCount, NOT_AVAILABLE } from '../../format.ts';
import { tableFrame } from '../../table.ts';
import type { Block, BlockContext } from './block.ts';

const oneDecimal = new Intl.NumberFormat('fr-FR', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const longDay = new Intl.DateTimeFormat('fr-FR', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
const instant = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short', timeStyle: 'short' });

/** Why a BALF has no figure, in the coordinator's words. */
export const UNKNOWN_TEXT: Record<UnknownReason, string> = {
  not_given: 'quota inconnu : le serveur de messagerie ou Thunderbird ne le donne pas',
  no_report: 'quota inconnu : aucun relevé reçu ces 90 derniers jours',
};

/** « 8,2 Go » (binary units, as mail servers count quotas). */
export function formatBytes(bytes: number): string {
  const units = ['o', 'Ko', 'Mo', 'Go', 'To'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? formatCount(value) : oneDecimal.format(value)}\u00a0${units[unit]}`;
}

/** « 82,0 % » (the server rounds to one decimal). */
export function formatPercent(percent: number): string {
  return `${oneDecimal.format(percent)}\u00a0%`;
}

/** « 12 janvier 2027 » from an ISO day. */
export function formatDay(day: string): string {
  return longDay.format(new Date(`${day}T00:00:00Z`));
}

/**
 * The DSFR badge of a use: 95 % or more, 80 % or more, nothing below — judged on the bytes by core's
 * storageBand, like the server's counts (the percent shown is rounded: 79.96 % reads « 80,0 % »).
 */
function band(balf: StorageBalf): HTMLElement | null {
  if (balf.usedBytes === null || balf.limitBytes === null) return null;
  const judged = storageBand(balf.usedBytes, balf.limitBytes);
  if (judged === 'ok') return null;
  const critical = judged !== 'warning';
  return h(
    'p',
    {
      class: `fr-badge fr-badge--sm fr-badge--no-icon ${critical ? 'fr-badge--error' : 'fr-badge--warning'}`,
      'data-band': critical ? 'critical' : 'warning',
    },
    critical ? `${CRITICAL_PERCENT} % ou plus` : `${WARNING_PERCENT} % ou plus`,
  );
}

/** A 90-day line as an SVG polyline (0–100 % or 0–max), described for screen readers by its caller. */
function sparkline(values: readonly number[], max: number, label: string): SVGElement | null {
  if (values.length < 2) return null;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const width = 120;
  const height = 28;
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('class', 'sb-sparkline');
  const line = document.createElementNS(ns, 'polyline');
  const top = Math.max(max, 1);
  const points = values.map((v, i) => {
    const x = (i / (values.length - 1)) * width;
    const y = height - 1 - (Math.min(v, top) / top) * (height - 2);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  line.setAttribute('points', points.join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', 'currentColor');
  line.setAttribute('stroke-width', '1.5');
  svg.appendChild(line);
  return svg;
}

function useCell(balf: StorageBalf): HTMLElement {
  if (balf.unknown !== null || balf.percent === null || balf.usedBytes === null || balf.limitBytes === null) {
    return h(
      'td',
      { 'data-metric': 'use', 'data-unknown': balf.unknown ?? 'not_given' },
      UNKNOWN_TEXT[balf.unknown ?? 'not_given'],
    );
  }
  return h(
    'td',
    { 'data-metric': 'use', 'data-percent': balf.percent },
    h('meter', {
      min: 0,
      max: 100,
      low: WARNING_PERCENT,
      high: CRITICAL_PERCENT,
      optimum: 0,
      value: Math.min(balf.percent, 100),
      'aria-label': `Occupation de ${balf.balf}`,
    }),
    ' ',
    h('span', { class: 'sb-storage-percent' }, formatPercent(balf.percent)),
    h(
      'span',
      { class: 'fr-text--xs sb-storage-bytes' },
      ` (${formatBytes(balf.usedBytes)} sur ${formatBytes(balf.limitBytes)})`,
    ),
    band(balf),
  );
}

function saturationText(balf: StorageBalf): string {
  if (balf.percent === null) return NOT_AVAILABLE;
  if (balf.daysLeft === 0) return 'quota atteint';
  if (balf.fullOn === null || balf.daysLeft === null) return 'pas de saturation prévue';
  return `saturation prévue le ${formatDay(balf.fullOn)} (dans ${formatCount(balf.daysLeft)} jour${balf.daysLeft > 1 ? 's' : ''} ouvré${balf.daysLeft > 1 ? 's' : ''})`;
}

function growthText(balf: StorageBalf): string {
  if (balf.growthBytesPerDay === null) return NOT_AVAILABLE;
  const sign = balf.growthBytesPerDay > 0 ? '+' : balf.growthBytesPerDay < 0 ? '−' : '';
  return `${sign}${formatBytes(Math.abs(balf.growthBytesPerDay))} par jour ouvré`;
}

function balfRow(balf: StorageBalf, href: (level: Level, id: string) => string): HTMLElement {
  const history = balf.history?.map((p) => p.percent) ?? [];
  return h(
    'tr',
    { 'data-balf': balf.balf, 'data-days-left': balf.daysLeft ?? '' },
    h('th', { scope: 'row' }, h('a', { class: 'fr-link', href: href('balf', balf.balf) }, balf.balf)),
    useCell(balf),
    h('td', { 'data-metric': 'growth' }, growthText(balf)),
    h('td', { 'data-metric': 'saturation' }, saturationText(balf)),
    h(
      'td',
      { 'data-metric': 'sampled' },
      balf.sampledAt ? instant.format(new Date(balf.sampledAt)) : NOT_AVAILABLE,
    ),
    h(
      'td',
      { 'data-metric': 'history' },
      sparkline(
        history,
        100,
        `Occupation sur 90 jours, de ${formatPercent(history[0] ?? 0)} à ${formatPercent(history.at(-1) ?? 0)}`,
      ) ?? NOT_AVAILABLE,
    ),
  );
}

type SortKey = 'daysLeft' | 'percent';

/** Fewest working days left first (no projection last), then the fuller; or the fuller first. */
export function sortBalfs(balfs: readonly StorageBalf[], key: SortKey): StorageBalf[] {
  const days = (b: StorageBalf) => (b.daysLeft === null ? Infinity : b.daysLeft);
  const pct = (b: StorageBalf) => (b.percent === null ? -1 : b.percent);
  return [...balfs].sort((a, b) =>
    key === 'daysLeft'
      ? days(a) - days(b) || pct(b) - pct(a) || a.balf.localeCompare(b.balf)
      : pct(b) - pct(a) || days(a) - days(b) || a.balf.localeCompare(b.balf),
  );
}

/** The BALF table, with two sort buttons in its header (aria-sort tells which one is in use). */
function balfTable(
  id: string,
  caption: string,
  balfs: readonly StorageBalf[],
  href: (level: Level, id: string) => string,
): HTMLElement {
  const tbody = h('tbody', {});
  const sortable = (key: SortKey, label: string) => {
    const button = h(
      'button',
      { type: 'button', class: 'fr-btn fr-btn--tertiary-no-outline fr-btn--sm', 'data-sort': key },
      label,
    );
    const th = h('th', { scope: 'col', 'aria-sort': 'none' }, button);
    button.addEventListener('click', () => apply(key));
    return th;
  };
  const headers = {
    daysLeft: sortable('daysLeft', 'Saturation prévue'),
    percent: sortable('percent', 'Occupation'),
  };
  const apply = (key: SortKey) => {
    tbody.replaceChildren(...sortBalfs(balfs, key).map((b) => balfRow(b, href)));
    headers.daysLeft.setAttribute('aria-sort', key === 'daysLeft' ? 'ascending' : 'none');
    headers.percent.setAttribute('aria-sort', key === 'percent' ? 'descending' : 'none');
  };
  apply('daysLeft');
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'BALF'),
      headers.percent,
      h('th', { scope: 'col' }, 'Croissance (30 jours)'),
      headers.daysLeft,
      h('th', { scope: 'col' }, 'Relevé'),
      h('th', { scope: 'col' }, '90 jours'),
    ),
  );
  return tableFrame(id, caption, head, tbody);
}

function childRow(child: StorageChild, href: (level: Level, id: string) => string): HTMLElement {
  const worst = child.worst;
  return h(
    'tr',
    { 'data-child': child.id },
    h('th', { scope: 'row' }, h('a', { class: 'fr-link', href: href(child.level, child.id) }, child.label)),
    h('td', { class: 'fr-cell--right sb-num', 'data-metric': 'above80' }, formatCount(child.above80)),
    h('td', { class: 'fr-cell--right sb-num', 'data-metric': 'above95' }, formatCount(child.above95)),
    h('td', { class: 'fr-cell--right sb-num', 'data-metric': 'unknown' }, formatCount(child.unknown)),
    h('td', { class: 'fr-cell--right sb-num', 'data-metric': 'total' }, formatCount(child.total)),
    h(
      'td',
      { 'data-metric': 'worst' },
      worst === null || worst.percent === null
        ? NOT_AVAILABLE
        : [`${worst.balf} — ${formatPercent(worst.percent)}`, ', ', saturationText(worst), band(worst)],
    ),
  );
}

function summary(view: StorageView): HTMLElement {
  const known = view.total - view.unknown;
  return h(
    'p',
    {
      id: 'storage-summary',
      'data-above80': view.above80,
      'data-above95': view.above95,
      'data-unknown': view.unknown,
    },
    `${formatCount(view.above80)} BALF sur ${formatCount(known)} au quota connu à ${WARNING_PERCENT} % ou plus, ` +
      `dont ${formatCount(view.above95)} à ${CRITICAL_PERCENT} % ou plus ; ` +
      `${formatCount(view.unknown)} au quota inconnu.`,
  );
}

/** Loads the block's figures; a failure becomes the French reason shown in place of the block. */
export async function loadStorage(api: Api, level: Level, id: string): Promise<StorageView | string> {
  try {
    return await api.storage(level, id);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The « Stockage » block's content; its figures, or why they could not be loaded. */
export function renderStorage(
  view: StorageView | string,
  href: (level: Level, id: string) => string,
): HTMLElement {
  const section = h('div', { id: 'storage' });
  if (typeof view === 'string') {
    section.append(h('p', { id: 'storage-error' }, `Stockage indisponible : ${view}`));
    return section;
  }
  section.append(summary(view));
  if (view.balfs !== undefined) {
    section.append(
      view.balfs.length > 0
        ? balfTable('table-storage', 'Occupation du quota de chaque BALF', view.balfs, href)
        : h('p', {}, 'Aucune BALF à ce niveau.'),
    );
  }
  if (view.children !== undefined) {
    const series = view.series ?? [];
    const line = sparkline(
      series.map((s) => s.above80),
      Math.max(1, ...series.map((s) => s.known)),
      `BALF à ${WARNING_PERCENT} % ou plus sur 90 jours : de ${series[0]?.above80 ?? 0} à ${series.at(-1)?.above80 ?? 0}`,
    );
    if (line)
      section.append(
        h(
          'p',
          { id: 'storage-series', class: 'fr-text--sm' },
          line,
          ` BALF à ${WARNING_PERCENT} % ou plus, 90 derniers jours`,
        ),
      );
    section.append(
      tableFrame(
        'table-storage-children',
        'Stockage par élément rattaché',
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Élément'),
            h('th', { scope: 'col', class: 'fr-cell--right sb-th--num' }, `${WARNING_PERCENT} % ou plus`),
            h('th', { scope: 'col', class: 'fr-cell--right sb-th--num' }, `${CRITICAL_PERCENT} % ou plus`),
            h('th', { scope: 'col', class: 'fr-cell--right sb-th--num' }, 'Quota inconnu'),
            h('th', { scope: 'col', class: 'fr-cell--right sb-th--num' }, 'BALF'),
            h('th', { scope: 'col' }, 'La plus proche de la saturation'),
          ),
        ),
        h(
          'tbody',
          {},
          view.children.map((c) => childRow(c, href)),
        ),
      ),
    );
    const closest = view.closest ?? [];
    if (closest.length > 0) {
      section.append(
        balfTable('table-storage-closest', 'Les BALF les plus proches de la saturation', closest, href),
      );
    }
  }
  const query = new URLSearchParams({ level: view.level, id: view.id, format: 'csv' });
  section.append(
    h(
      'p',
      {},
      h(
        'a',
        {
          class: 'fr-link fr-link--download',
          id: 'storage-csv',
          href: `/api/v1/storage?${query}`,
          download: `suivi-balf-stockage-${view.level}-${view.id}-${view.today}.csv`,
        },
        'Télécharger le stockage',
        h('span', { class: 'fr-link__detail' }, 'CSV – séparateur point-virgule, UTF-8'),
      ),
    ),
  );
  return section;
}

/** The block, once its figures were asked for with the page's (absent: not asked). */
export function storageBlock(ctx: BlockContext): Block | null {
  const view = ctx.data.storage;
  if (view === undefined) return null;
  return { id: 'stockage', title: 'Stockage', content: renderStorage(view, ctx.hrefFor) };
}
