// The statistics page of one level: the header, then one section per block, with a DSFR side menu to reach them.
// New blocks slot into `blocksFor`.
import { h } from '../dom.ts';
import { isRunning, longDay } from '../period.ts';
import { formatHash } from '../route.ts';
import { backlogBlock } from './blocks/backlog.ts';
import type { Block, BlockContext, StatsData } from './blocks/block.ts';
import { childrenBlock } from './blocks/children.ts';
import { exportBlock } from './blocks/export.ts';
import { delaysBlock, flowsBlock } from './blocks/flows.ts';
import { keyFiguresBlock } from './blocks/key-figures.ts';
import { rankingBlock } from './blocks/ranking.ts';
import { sentViaBlock } from './blocks/sent-via.ts';
import { spotChecksBlock } from './blocks/spot-checks.ts';
import { storageBlock } from './blocks/storage.ts';
import { weekBlock } from './blocks/week.ts';
import { targetOf } from './stats-data.ts';
import { renderStatsHeader, type StatsPageContext } from './stats-header.ts';

export type { StatsData } from './blocks/block.ts';
export { loadStats, targetOf } from './stats-data.ts';
export { pageTitle, renderStatsProblem, scopedCrumbs, type StatsPageContext } from './stats-header.ts';

/** Notices about the whole page, above the blocks; figures still provisional say so here too. */
function notices(ctx: StatsPageContext): HTMLElement[] {
  const out: HTMLElement[] = [];
  if (isRunning(ctx.route.period, ctx.today)) {
    out.push(
      h(
        'div',
        { class: 'fr-alert fr-alert--info fr-alert--sm fr-mb-3w', id: 'running-notice' },
        h(
          'p',
          {},
          `Période en cours, au ${longDay(ctx.today)} : les jours à venir ne sont ni comptés ni tracés, ` +
            'et les courriels en attente de réponse peuvent encore faire évoluer le taux de conformité.',
        ),
      ),
    );
  }
  return out;
}

/**
 * The blocks of a level, in reading order: a chef de service first sees this week, the figures and the
 * spot-checks beside them, then what is waiting; a coordinator the key figures, what is waiting and who
 * falls behind.
 */
function blocksFor(ctx: BlockContext): Block[] {
  const service = ctx.route.level === 'service' || ctx.route.level === 'balf';
  const week = ctx.data.week;
  const list: (Block | null)[] = service
    ? [
        week === null ? null : weekBlock(ctx, week),
        keyFiguresBlock(ctx),
        spotChecksBlock(ctx),
        backlogBlock(ctx),
        flowsBlock(ctx),
        delaysBlock(ctx),
        childrenBlock(ctx),
        sentViaBlock(ctx),
        storageBlock(ctx),
        exportBlock(ctx),
      ]
    : [
        keyFiguresBlock(ctx),
        backlogBlock(ctx),
        rankingBlock(ctx),
        childrenBlock(ctx),
        flowsBlock(ctx),
        delaysBlock(ctx),
        sentViaBlock(ctx),
        spotChecksBlock(ctx),
        storageBlock(ctx),
        exportBlock(ctx),
      ];
  return list.filter((b): b is Block => b !== null);
}

function section(block: Block): HTMLElement {
  return h(
    'section',
    { id: `bloc-${block.id}`, class: 'sb-block', 'aria-labelledby': `titre-${block.id}` },
    h('h2', { id: `titre-${block.id}`, tabindex: -1 }, block.title),
    block.content,
  );
}

/**
 * The DSFR side menu of the page's blocks: a column from 768 px, folded under a button below. Links
 * scroll to their section without touching the URL hash, which holds the view's state.
 */
function sideMenu(blocks: Block[]): HTMLElement {
  const button = h(
    'button',
    {
      class: 'fr-sidemenu__btn',
      type: 'button',
      'aria-expanded': 'false',
      'aria-controls': 'sidemenu-blocks',
    },
    'Dans cette page',
  );
  const collapse = h(
    'div',
    { class: 'fr-collapse', id: 'sidemenu-blocks' },
    h('p', { class: 'fr-sidemenu__title', id: 'sidemenu-title' }, 'Dans cette page'),
    h(
      'ul',
      { class: 'fr-sidemenu__list' },
      blocks.map((block) => {
        const link = h(
          'a',
          { class: 'fr-sidemenu__link', href: `#bloc-${block.id}`, 'data-block': block.id },
          block.menuLabel ?? block.title,
        );
        link.addEventListener('click', (event) => {
          event.preventDefault();
          const title = document.getElementById(`titre-${block.id}`);
          title?.scrollIntoView({ block: 'start' });
          title?.focus({ preventScroll: true });
        });
        return h('li', { class: 'fr-sidemenu__item' }, link);
      }),
    ),
  );
  button.addEventListener('click', () => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    button.setAttribute('aria-expanded', String(open));
    collapse.classList.toggle('fr-collapse--expanded', open);
  });
  return h(
    'nav',
    { class: 'fr-sidemenu fr-sidemenu--sticky', 'aria-labelledby': 'sidemenu-title', id: 'sidemenu' },
    h('div', { class: 'fr-sidemenu__inner' }, button, collapse),
  );
}

export interface RenderedStats {
  content: HTMLElement;
  drawChart: () => void;
  dispose: () => void;
}

/** Lays out the page from loaded data; returns the content, a function drawing its charts once inserted, and a disposer. */
export function renderStatsPage(
  ctx: StatsPageContext,
  data: StatsData,
  onFormError: (message: string) => void,
): RenderedStats {
  const { route } = ctx;
  const blockCtx: BlockContext = {
    route,
    targets: ctx.targets,
    target: targetOf(route, ctx.targets),
    today: ctx.today,
    data,
    hrefFor: (level, id) => formatHash({ ...route, level, id }),
    drawChart: ctx.drawChart,
  };
  const blocks = blocksFor(blockCtx);
  const content = h(
    'div',
    {
      id: 'stats-page',
      'data-level': route.level,
      'data-id': route.id,
      'data-from': data.answer.from,
      'data-to': data.answer.to,
      'data-granularity': data.answer.granularity,
    },
    renderStatsHeader(ctx, data.crumbs, onFormError),
    notices(ctx),
    h(
      'div',
      { class: 'fr-grid-row fr-grid-row--gutters' },
      h('div', { class: 'fr-col-12 fr-col-md-3 fr-col-lg-2' }, sideMenu(blocks)),
      h('div', { class: 'fr-col-12 fr-col-md-9 fr-col-lg-10', id: 'blocks' }, blocks.map(section)),
    ),
  );
  let disposers: (() => void)[] = [];
  return {
    content,
    // Drawn once inserted in the document, when the containers have a width.
    drawChart: () => {
      disposers = blocks.flatMap((b) => (b.draw ? [b.draw()] : []));
    },
    dispose: () => disposers.forEach((d) => d()),
  };
}
