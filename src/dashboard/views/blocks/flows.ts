// « Flux de messages » and « Délais de réponse »: the two charts of the period, the detail table under them.
import { h } from '../../dom.ts';
import { formatCount, formatDelay } from '../../format.ts';
import { bucketLabel, bucketShortLabel, isRunning } from '../../period.ts';
import type { ChartSpec } from '../chart.ts';
import type { Block, BlockContext } from './block.ts';
import { accordion, pastPoints, seriesTable, type Point } from './series.ts';

/** Past this many rows the detail table starts folded (the chart and its readout carry the figures). */
const UNFOLDED_ROWS = 14;

function chartFigure(id: string, caption: string): { figure: HTMLElement; container: HTMLElement } {
  const container = h('div', { class: 'sb-chart', id });
  const figure = h(
    'figure',
    { class: 'fr-m-0 sb-figure', 'aria-labelledby': `${id}-caption` },
    container,
    h('figcaption', { id: `${id}-caption`, class: 'fr-text--sm' }, caption),
  );
  return { figure, container };
}

const labels = (points: Point[], ctx: BlockContext) => ({
  labels: points.map((p) => bucketShortLabel(p.period, ctx.data.answer.granularity)),
  longLabels: points.map(
    (p) => `${bucketLabel(p.period, ctx.data.answer.granularity)}${p.running ? ' (en cours)' : ''}`,
  ),
});

export function flowsBlock(ctx: BlockContext): Block {
  const points = pastPoints(ctx.data.answer, ctx.today);
  const { figure, container } = chartFigure(
    'chart',
    'Messages reçus, toutes catégories (trait plein) et d’usagers seulement (tirets courts), et envoyés (tirets longs). ' +
      'Les mêmes chiffres figurent dans le tableau « Détail » ci-dessous.',
  );
  const spec: ChartSpec = {
    name: 'Graphique des flux de messages',
    ...labels(points, ctx),
    lines: [
      {
        label: 'Reçus (tous)',
        values: points.map((p) => p.received),
        color: '#000091',
        fill: 'rgba(0, 0, 145, 0.08)',
        format: formatCount,
      },
      {
        label: 'Reçus d’usagers',
        values: points.map((p) => p.receivedByCategory.usager),
        color: '#18753c',
        dash: [4, 3],
        format: formatCount,
      },
      {
        label: 'Envoyés',
        values: points.map((p) => p.sent),
        color: '#c9191e',
        dash: [10, 4],
        format: formatCount,
      },
    ],
    formatAxis: formatCount,
  };
  const table = seriesTable(points, ctx.data.answer.granularity, ctx.target.workingDays);
  return {
    id: 'flux',
    title: 'Flux de messages',
    content: [
      figure,
      accordion(
        `Détail par période (${points.length} ligne${points.length > 1 ? 's' : ''})`,
        table,
        points.length <= UNFOLDED_ROWS,
      ),
    ],
    draw: () => ctx.drawChart(container, spec),
  };
}

export function delaysBlock(ctx: BlockContext): Block {
  const points = pastPoints(ctx.data.answer, ctx.today);
  const target = ctx.target.workingDays;
  const { figure, container } = chartFigure(
    'chart-delays',
    `Délai médian (trait plein) et au 90e centile (tirets) des réponses aux usagers, en jours ouvrés, par période ` +
      `de réception ; la ligne pointillée marque l’objectif de ${target} jours ouvrés.` +
      (isRunning(ctx.route.period, ctx.today)
        ? ' Pour les jours récents, seuls les courriels déjà répondus ont un délai : ces délais sont provisoires.'
        : '') +
      ' Chiffres dans le tableau « Détail » ci-dessus.',
  );
  const spec: ChartSpec = {
    name: 'Graphique des délais de réponse',
    ...labels(points, ctx),
    lines: [
      {
        label: 'Délai médian',
        values: points.map((p) => p.medianDelayDays),
        color: '#000091',
        format: formatDelay,
      },
      {
        label: 'Délai au 90e centile',
        values: points.map((p) => p.p90DelayDays),
        color: '#c9191e',
        dash: [10, 4],
        format: formatDelay,
      },
    ],
    threshold: { value: target, label: `Objectif : ${target} j ouvrés` },
    formatAxis: (v) => formatDelay(v),
  };
  return {
    id: 'delais',
    title: 'Délais de réponse',
    content: [figure],
    draw: () => ctx.drawChart(container, spec),
  };
}
