// Line charts of a series (uPlot): one axis label per point, an optional target line, a legend without
// values, and points reachable by keyboard (arrows) or pointer, whose values a tooltip states and reads out.
import uPlot from 'uplot';
import { h } from '../dom.ts';

export interface ChartLine {
  label: string;
  values: (number | null)[];
  color: string;
  /** Dash pattern: lines differ by their stroke too, not by colour alone. */
  dash?: number[];
  fill?: string;
  format: (value: number) => string;
}

export interface ChartSpec {
  /** Accessible name of the chart. */
  name: string;
  /** Axis label of each point (« 16 nov. », « sem. 47 »). */
  labels: string[];
  /** Label of each point in the tooltip (« lundi 16 novembre 2026 »). */
  longLabels: string[];
  lines: ChartLine[];
  /** A horizontal line (the target), drawn dotted and named in the legend. */
  threshold?: { value: number; label: string };
  formatAxis: (value: number) => string;
}

/** Draws into `container`; returns a disposer (chart, resize watcher). */
export type DrawChart = (container: HTMLElement, spec: ChartSpec) => () => void;

const HEIGHT = 280;
const WHOLE_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000,
];

/** Fewest pixels between two axis labels. */
const LABEL_SPACING = 72;

/**
 * The indices to label on the x axis: every point when they fit, else every k-th counted back from the
 * last one (the most recent point, today's, always has its label).
 */
export function axisIndices(count: number, width: number): number[] {
  const fit = Math.max(2, Math.floor(width / LABEL_SPACING));
  const step = Math.max(1, Math.ceil(count / fit));
  const out: number[] = [];
  for (let i = count - 1; i >= 0; i -= step) out.unshift(i);
  return out;
}

/** The tooltip's text for point `index`: « lundi 16 novembre 2026 — Reçus : 120 ; Envoyés : 98 ». */
export function pointText(spec: ChartSpec, index: number): string {
  const parts = spec.lines.map((line) => {
    const v = line.values[index];
    return `${line.label} : ${v === null || v === undefined ? 'aucune valeur' : line.format(v)}`;
  });
  if (spec.threshold) parts.push(spec.threshold.label);
  return `${spec.longLabels[index] ?? ''} — ${parts.join(' ; ')}`;
}

export const drawLineChart: DrawChart = (container, spec) => {
  const count = spec.labels.length;
  const xs = spec.labels.map((_, i) => i);
  const threshold = spec.threshold;
  const data: uPlot.AlignedData = [
    xs,
    ...spec.lines.map((l) => l.values),
    ...(threshold ? [xs.map(() => threshold.value)] : []),
  ];
  // A readout under the chart rather than a floating box: it never hides a point and stays on screen at 375 px.
  const tooltip = h(
    'p',
    { class: 'sb-chart__readout fr-text--sm', role: 'status', 'aria-live': 'polite' },
    'Survolez le graphique ou parcourez-le au clavier pour lire les valeurs d’un point.',
  );
  const surface = h('div', {
    id: `${container.id}-surface`,
    class: 'sb-chart__surface',
    tabindex: 0,
    role: 'group',
    'aria-label': `${spec.name} : flèches gauche et droite pour parcourir les points, Début et Fin pour le premier et le dernier`,
  });
  container.replaceChildren(surface, tooltip);
  const width = () => Math.max(260, container.clientWidth);
  let index: number | null = null;
  const show = (i: number | null) => {
    if (i === null || i === index) return;
    index = i;
    tooltip.textContent = pointText(spec, i);
  };
  const plot = new uPlot(
    {
      width: width(),
      height: HEIGHT,
      legend: { live: false },
      cursor: { points: { size: 10 }, drag: { x: false, y: false } },
      scales: {
        x: { time: false, range: (_u, min, max) => [min - 0.5, max + 0.5] },
        y: {
          range: (_u, _min, max) => [0, Math.max(1, max, threshold ? threshold.value * 1.15 : 0)],
        },
      },
      axes: [
        {
          splits: (u) => axisIndices(count, u.bbox.width / uPlot.pxRatio),
          values: (_u, splits) => splits.map((i) => spec.labels[i] ?? ''),
          grid: { show: false },
          ticks: { show: false },
        },
        // Whole steps only: counts and delays (nearest-rank centiles) are whole numbers.
        { values: (_u, ticks) => ticks.map((t) => spec.formatAxis(t)), size: 60, incrs: WHOLE_STEPS },
      ],
      series: [
        { label: 'Période' },
        ...spec.lines.map((line): uPlot.Series => ({
          label: line.label,
          stroke: line.color,
          width: 2,
          ...(line.dash ? { dash: line.dash } : {}),
          ...(line.fill ? { fill: line.fill } : {}),
          points: { show: count <= 62, size: 5 },
        })),
        ...(threshold
          ? [
              {
                label: threshold.label,
                stroke: '#3a3a3a',
                width: 2,
                dash: [2, 5],
                points: { show: false },
              } satisfies uPlot.Series,
            ]
          : []),
      ],
      hooks: { setCursor: [(u) => show(u.cursor.idx ?? null)] },
    },
    data,
    surface,
  );
  // The canvas says nothing to screen readers: the surface's keys and the tooltip (a status) do.
  plot.root.setAttribute('aria-hidden', 'true');
  const moveTo = (i: number) => {
    const clamped = Math.max(0, Math.min(count - 1, i));
    const y = spec.lines.map((l) => l.values[clamped]).find((v) => v !== null && v !== undefined) ?? 0;
    show(clamped);
    plot.setCursor({ left: plot.valToPos(clamped, 'x'), top: plot.valToPos(y, 'y') });
  };
  surface.addEventListener('keydown', (event) => {
    const moves: Record<string, () => number> = {
      ArrowRight: () => (index ?? -1) + 1,
      ArrowLeft: () => (index ?? count) - 1,
      Home: () => 0,
      End: () => count - 1,
    };
    const move = moves[event.key];
    if (move === undefined || count === 0) return;
    event.preventDefault();
    moveTo(move());
  });
  surface.addEventListener('focus', () => {
    if (index === null && count > 0) moveTo(count - 1);
  });
  // Window resize (and zoom) rather than a ResizeObserver on the container, whose own size the chart changes.
  let pending: ReturnType<typeof setTimeout> | undefined;
  const onResize = () => {
    clearTimeout(pending);
    pending = setTimeout(() => plot.setSize({ width: width(), height: HEIGHT }), 100);
  };
  window.addEventListener('resize', onResize);
  return () => {
    clearTimeout(pending);
    window.removeEventListener('resize', onResize);
    plot.destroy();
  };
};
