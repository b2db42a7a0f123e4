// « Les plus éloignés de l'objectif » (department and national pages): the children furthest below the reference rate.
import type { StatsAnswer } from '../../../core/protocol.ts';
import { h } from '../../dom.ts';
import { formatCount, formatDelay, formatPoints, formatRate, formatRateDelta } from '../../format.ts';
import { childrenInSentence, childrenTitles } from '../../labels.ts';
import { MIN_DECIDED, RATE_GOAL, rateGap, rateVerdict } from '../../../core/verdict.ts';
import { dataTable } from '../../table.ts';
import type { Block, BlockContext } from './block.ts';
import { hasData } from './key-figures.ts';

/** How many children the ranking lists. */
export const RANKED = 5;

type Child = StatsAnswer['children'][number];

/** The children below the reference rate, furthest first; children resting on too few decided mail are left out. */
export function furthestFromTarget(answer: StatsAnswer): { ranked: Child[]; unranked: number } {
  // « Non rattachées » is no department anyone answers for: it is never ranked.
  const below = answer.children
    .filter((c) => c.id !== 'unattached' && rateVerdict(c) === 'non-conforme')
    .sort((a, b) => (rateGap(a) as number) - (rateGap(b) as number) || b.overdue - a.overdue);
  const unranked = answer.children.filter((c) => rateVerdict(c) === 'indicatif').length;
  return { ranked: below.slice(0, RANKED), unranked };
}

export function rankingBlock(ctx: BlockContext): Block | null {
  const { answer, lastYear } = ctx.data;
  if (ctx.route.level !== 'national' && ctx.route.level !== 'department') return null;
  const { ranked, unranked } = furthestFromTarget(answer);
  const who = childrenInSentence[ctx.route.level];
  const yearAgo = new Map((lastYear?.children ?? []).map((c) => [c.id, c]));
  const content: HTMLElement[] = [
    h(
      'p',
      { class: 'fr-text--sm' },
      `Classement ${who} dont le taux de conformité est sous le repère de ${Math.round(RATE_GOAL * 100)}\u00a0%, ` +
        `du plus éloigné au moins éloigné (${RANKED} au plus).` +
        (unranked > 0
          ? ` ${unranked} ${unranked > 1 ? 'sont' : 'est'} hors classement : moins de ${MIN_DECIDED} courriels décidés.`
          : ''),
    ),
  ];
  if (ranked.length === 0) {
    content.push(h('p', { id: 'ranking-none' }, `Aucun : tous ${who} classés atteignent le repère.`));
  } else {
    content.push(
      dataTable({
        id: 'table-ranking',
        caption: `${childrenTitles[ctx.route.level]} les plus éloignés de l’objectif`,
        rows: ranked,
        rowAttrs: (c) => ({ 'data-id': c.id }),
        columns: [
          { key: 'rank', label: 'Rang', numeric: true, cell: (c) => String(ranked.indexOf(c) + 1) },
          {
            key: 'name',
            label: 'Nom',
            rowHeader: true,
            cell: (c) => h('a', { href: ctx.hrefFor(c.level, c.id), class: 'fr-link' }, c.name || c.id),
          },
          {
            key: 'complianceRate',
            label: 'Taux de conformité',
            numeric: true,
            cell: (c) => formatRate(c.complianceRate),
          },
          { key: 'gap', label: 'Écart au repère', numeric: true, cell: (c) => formatPoints(rateGap(c) ?? 0) },
          { key: 'overdue', label: 'En retard', numeric: true, cell: (c) => formatCount(c.overdue) },
          {
            key: 'p90DelayDays',
            label: 'Délai 90e centile',
            numeric: true,
            cell: (c) => formatDelay(c.p90DelayDays),
          },
          ...(lastYear === null || !hasData(lastYear)
            ? []
            : [
                {
                  key: 'rateDeltaYear',
                  label: 'Taux : évolution sur un an',
                  numeric: true,
                  cell: (c: Child) =>
                    formatRateDelta(c.complianceRate, yearAgo.get(c.id)?.complianceRate ?? null),
                },
              ]),
        ],
      }),
    );
  }
  return { id: 'classement', title: 'Les plus éloignés de l’objectif', menuLabel: 'Classement', content };
}
