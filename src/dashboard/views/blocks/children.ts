// The children of a level (departments, services or BALF): a sortable table with the target cue and the deltas.
import type { Level, StatsAnswer } from '../../../core/protocol.ts';
import { breakable, h } from '../../dom.ts';
import {
  formatCount,
  formatCountDelta,
  formatDecided,
  formatDelay,
  formatRate,
  formatRateDelta,
} from '../../format.ts';
import { childrenTitles, levelNames } from '../../labels.ts';
import { decidedOf, delayVerdict, rateGap, rateVerdict } from '../../../core/verdict.ts';
import { rateText, verdictBadge } from '../../reading.ts';
import { dataTable, type Column } from '../../table.ts';
import type { Block, BlockContext } from './block.ts';
import { hasData } from './key-figures.ts';

type Child = StatsAnswer['children'][number];

function byId(answer: StatsAnswer | null): Map<string, Child> {
  return new Map((answer?.children ?? []).map((c) => [`${c.level}:${c.id}`, c]));
}

export function childrenBlock(ctx: BlockContext): Block | null {
  const { answer, previous, lastYear } = ctx.data;
  const level: Level = ctx.route.level;
  if (level === 'balf') return null;
  const title = childrenTitles[level];
  if (answer.children.length === 0)
    return { id: 'detail', title, content: h('p', {}, 'Aucun élément rattaché à ce niveau.') };
  const before = byId(previous);
  const yearAgo = byId(lastYear);
  const key = (c: Child) => `${c.level}:${c.id}`;
  const target = ctx.target.workingDays;
  const columns: Column<Child>[] = [
    {
      key: 'name',
      label: levelNames[answer.children[0]!.level],
      rowHeader: true,
      cell: (c) => h('a', { href: ctx.hrefFor(c.level, c.id), class: 'fr-link' }, breakable(c.name || c.id)),
      sortValue: (c) => c.name || c.id,
    },
    {
      key: 'verdict',
      label: 'Repère',
      cell: (c) => verdictBadge(rateVerdict(c)),
      sortValue: rateGap,
    },
    {
      key: 'complianceRate',
      label: 'Taux de conformité',
      numeric: true,
      cell: (c) => rateText(c, formatRate(c.complianceRate)),
      sortValue: (c) => c.complianceRate,
    },
    {
      key: 'decided',
      label: 'Décidés',
      numeric: true,
      cell: (c) => h('span', { title: formatDecided(decidedOf(c), c.pending) }, formatCount(decidedOf(c))),
      sortValue: decidedOf,
    },
    {
      key: 'overdue',
      label: 'En retard',
      numeric: true,
      cell: (c) => formatCount(c.overdue),
      sortValue: (c) => c.overdue,
    },
    {
      key: 'p90DelayDays',
      label: 'Délai 90e centile',
      numeric: true,
      cell: (c) => [
        formatDelay(c.p90DelayDays),
        delayVerdict(c.p90DelayDays, target) === 'non-conforme'
          ? [' ', verdictBadge('non-conforme', 'hors objectif')]
          : null,
      ],
      sortValue: (c) => c.p90DelayDays,
    },
    {
      key: 'received',
      label: 'Reçus (tous)',
      numeric: true,
      cell: (c) => formatCount(c.received),
      sortValue: (c) => c.received,
    },
    {
      key: 'receivedUsager',
      label: 'dont usagers',
      numeric: true,
      cell: (c) => formatCount(c.receivedByCategory.usager),
      sortValue: (c) => c.receivedByCategory.usager,
    },
    {
      key: 'sent',
      label: 'Envoyés',
      numeric: true,
      cell: (c) => formatCount(c.sent),
      sortValue: (c) => c.sent,
    },
  ];
  if (previous !== null && hasData(previous)) {
    columns.push({
      key: 'receivedDelta',
      label: 'Reçus : évolution',
      numeric: true,
      cell: (c) => formatCountDelta(c.received, before.get(key(c))?.received ?? 0),
      sortValue: (c) => c.received - (before.get(key(c))?.received ?? 0),
    });
  }
  if (lastYear !== null && hasData(lastYear)) {
    const rateDelta = (c: Child) => {
      const old = yearAgo.get(key(c))?.complianceRate ?? null;
      return c.complianceRate === null || old === null ? null : c.complianceRate - old;
    };
    columns.push({
      key: 'rateDeltaYear',
      label: 'Taux : évolution sur un an',
      numeric: true,
      cell: (c) => formatRateDelta(c.complianceRate, yearAgo.get(key(c))?.complianceRate ?? null),
      sortValue: rateDelta,
    });
  }
  return {
    id: 'detail',
    title,
    content: [
      h(
        'p',
        { class: 'fr-text--sm' },
        'Les boutons des en-têtes trient le tableau ; « Repère » classe du plus éloigné de l’objectif au plus avancé.',
      ),
      dataTable({
        id: 'table-children',
        caption: `${title} (${answer.children.length})`,
        rows: answer.children,
        multiline: true,
        rowAttrs: (c) => ({ 'data-level': c.level, 'data-id': c.id }),
        columns,
      }),
    ],
  };
}
