// « Chiffres clés »: tiles with the totals, what the rate rests on, the target cue and the deltas against the compared periods.
import type { Metrics, StatsAnswer } from '../../../core/protocol.ts';
import { h } from '../../dom.ts';
import {
  formatCount,
  formatCountDelta,
  formatDecided,
  formatDelay,
  formatDelayDelta,
  formatRate,
  formatRateDelta,
} from '../../format.ts';
import { periodLabel } from '../../period.ts';
import { decidedOf, delayVerdict, MIN_DECIDED, RATE_GOAL, rateVerdict } from '../../../core/verdict.ts';
import { verdictBadge } from '../../reading.ts';
import { neighbour } from '../../route.ts';
import { renderProvisional } from '../provisional.ts';
import type { Block, BlockContext } from './block.ts';

interface Tile {
  metric: keyof Metrics;
  label: string;
  value: (m: Metrics) => string;
  /** Lines under the value: what the figure covers, its target cue. */
  details?: (m: Metrics, ctx: BlockContext) => (HTMLElement | string)[];
  /** Absent where a comparison means nothing (see `pending`). */
  delta?: (m: Metrics, p: Metrics) => string;
  /** Greyed: the figure rests on too few messages to be read alone. */
  weak?: (m: Metrics) => boolean;
}

const categories = (m: Metrics) =>
  `dont ${formatCount(m.receivedByCategory.usager)} d’usagers, ${formatCount(m.receivedByCategory.interne)} internes, ` +
  `${formatCount(m.receivedByCategory.auto)} automatiques, ${formatCount(m.receivedByCategory.junk)} indésirables`;

const tiles: Tile[] = [
  {
    metric: 'received',
    label: 'Messages reçus (toutes catégories)',
    value: (m) => formatCount(m.received),
    details: (m) => [h('span', { 'data-detail': 'categories' }, categories(m))],
    delta: (m, p) => formatCountDelta(m.received, p.received),
  },
  {
    metric: 'sent',
    label: 'Messages envoyés',
    value: (m) => formatCount(m.sent),
    delta: (m, p) => formatCountDelta(m.sent, p.sent),
  },
  {
    metric: 'complianceRate',
    label: 'Taux de conformité (usagers)',
    value: (m) => formatRate(m.complianceRate),
    details: (m) => [
      h('span', { 'data-detail': 'decided' }, `sur ${formatDecided(decidedOf(m), m.pending)}`),
      verdictBadge(rateVerdict(m)),
    ],
    weak: (m) => rateVerdict(m) === 'indicatif',
    delta: (m, p) => formatRateDelta(m.complianceRate, p.complianceRate),
  },
  {
    metric: 'overdue',
    label: 'En retard (sans réponse)',
    value: (m) => formatCount(m.overdue),
    delta: (m, p) => formatCountDelta(m.overdue, p.overdue),
  },
  {
    metric: 'pending',
    label: 'En attente de réponse',
    value: (m) => formatCount(m.pending),
    // No delta: a message is pending only until its target passes, so a period whose target days are over has
    // none left — comparing with it would always show a rise.
    details: () => ['État à ce jour'],
  },
  {
    metric: 'medianDelayDays',
    label: 'Délai médian (jours ouvrés)',
    value: (m) => formatDelay(m.medianDelayDays),
    details: (m, ctx) => [
      verdictBadge(delayVerdict(m.medianDelayDays, ctx.target.workingDays), cue(m.medianDelayDays, ctx)),
    ],
    delta: (m, p) => formatDelayDelta(m.medianDelayDays, p.medianDelayDays),
  },
  {
    metric: 'p90DelayDays',
    label: 'Délai au 90e centile (jours ouvrés)',
    value: (m) => formatDelay(m.p90DelayDays),
    details: (m, ctx) => [
      verdictBadge(delayVerdict(m.p90DelayDays, ctx.target.workingDays), cue(m.p90DelayDays, ctx)),
    ],
    delta: (m, p) => formatDelayDelta(m.p90DelayDays, p.p90DelayDays),
  },
];

function cue(days: number | null, ctx: BlockContext): string {
  const target = ctx.target.workingDays;
  if (days === null) return 'Sans donnée';
  return days <= target ? `Dans l’objectif (${target} j)` : `Au-delà de l’objectif (${target} j)`;
}

const label = (a: StatsAnswer) => periodLabel({ from: a.from, to: a.to });

/** Says what the deltas compare with, visibly: the periods and, while one runs, its first days only. */
function comparisonNote(ctx: BlockContext): HTMLElement | null {
  const { previous, lastYear } = ctx.data;
  if (previous === null && lastYear === null) return null;
  const whole = neighbour(ctx.route, -1).period;
  const parts: string[] = [];
  if (previous !== null) {
    parts.push(
      (previous.from === whole.from && previous.to === whole.to
        ? `à la période précédente (${label(previous)}`
        : `au début de la période précédente (${label(previous)}`) +
        (hasData(previous) ? ')' : ' : aucune donnée)'),
    );
  }
  if (lastYear !== null)
    parts.push(
      `à la même période un an plus tôt (${label(lastYear)}${hasData(lastYear) ? '' : ' : aucune donnée'})`,
    );
  const running =
    previous !== null && !(previous.from === whole.from && previous.to === whole.to)
      ? ' : autant de jours que la période en cours en compte à ce jour'
      : '';
  return h(
    'p',
    { class: 'fr-text--sm', id: 'comparison-note' },
    `Évolutions par rapport ${parts.join(' et ')}${running}.`,
  );
}

/** A compared period without any mail (before the deployment, a gap in the data): no delta means anything. */
export function hasData(answer: StatsAnswer): boolean {
  return answer.totals.received > 0 || answer.totals.sent > 0;
}

function deltaLine(
  tile: Tile,
  m: Metrics,
  compared: StatsAnswer | null,
  kind: 'previous' | 'lastYear',
): HTMLElement | null {
  if (compared === null || tile.delta === undefined) return null;
  const prefix = kind === 'previous' ? 'Période précédente' : 'Un an plus tôt';
  return h(
    'p',
    { class: 'sb-tile__delta', 'data-compare': kind },
    h('span', { class: 'fr-sr-only' }, `Évolution par rapport à ${label(compared)} : `),
    h('span', { 'aria-hidden': 'true' }, `${prefix} : `),
    hasData(compared) ? tile.delta(m, compared.totals) : 'aucune donnée',
  );
}

export function keyFiguresBlock(ctx: BlockContext): Block {
  const { answer, previous, lastYear } = ctx.data;
  const m = answer.totals;
  const usagerShare = h(
    'p',
    { class: 'fr-text--sm', id: 'usager-note' },
    `Le taux de conformité, les retards et les délais portent sur les seuls courriels d’usagers ` +
      `(${formatCount(m.receivedByCategory.usager)} des ${formatCount(m.received)} reçus) ; ` +
      `repère : au moins ${Math.round(RATE_GOAL * 100)}\u00a0% des courriels décidés répondus dans l’objectif de ` +
      `${ctx.target.workingDays} jours ouvrés. Un taux calculé sur moins de ${MIN_DECIDED} courriels décidés est indicatif.`,
  );
  return {
    id: 'chiffres-cles',
    title: 'Chiffres clés',
    content: [
      // Right under the title: while some received mail is classified without its headers, every figure below may move.
      renderProvisional(m),
      comparisonNote(ctx),
      h(
        'ul',
        { class: 'sb-tiles', 'aria-label': 'Chiffres clés de la période' },
        tiles.map((tile) =>
          h(
            'li',
            {
              class: `sb-tile${tile.weak?.(m) === true ? ' sb-tile--weak' : ''}`,
              'data-metric': tile.metric,
            },
            h('p', { class: 'sb-tile__label' }, tile.label),
            h('p', { class: 'sb-tile__value' }, tile.value(m)),
            tile.details ? h('p', { class: 'sb-tile__details' }, tile.details(m, ctx)) : null,
            deltaLine(tile, m, previous, 'previous'),
            deltaLine(tile, m, lastYear, 'lastYear'),
          ),
        ),
      ),
      usagerShare,
    ].filter((e): e is HTMLElement => e !== null),
  };
}
