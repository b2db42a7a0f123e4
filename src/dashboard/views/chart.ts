// Chart of received vs sent messages over the period (uPlot); the series table is its text alternative.
import uPlot from 'uplot';
import type { StatsAnswer } from '../../core/protocol.ts';
import { parseDay } from '../period.ts';

const frNames: uPlot.DateNames = {
  MMMM: [
    'janvier',
    'février',
    'mars',
    'avril',
    'mai',
    'juin',
    'juillet',
    'août',
    'septembre',
    'octobre',
    'novembre',
    'décembre',
  ],
  MMM: ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
  WWWW: ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'],
  WWW: ['dim.', 'lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.'],
};

const number = new Intl.NumberFormat('fr-FR');
const tickDay = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'short' });

/** Draws the chart into `container` and returns a function that removes it (and its resize watcher). */
export function drawFlowChart(container: HTMLElement, answer: StatsAnswer): () => void {
  const xs = answer.series.map((p) => (parseDay(p.period)?.getTime() ?? 0) / 1000);
  const data: uPlot.AlignedData = [
    xs,
    answer.series.map((p) => p.received),
    answer.series.map((p) => p.sent),
  ];
  const width = () => Math.max(280, container.clientWidth);
  const plot = new uPlot(
    {
      width: width(),
      height: 300,
      fmtDate: (tpl) => uPlot.fmtDate(tpl, frNames),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [
        { values: (_u, ticks) => ticks.map((t) => tickDay.format(new Date(t * 1000))) },
        { values: (_u, ticks) => ticks.map((t) => number.format(t)), size: 60 },
      ],
      series: [
        { label: 'Période', value: '{DD}/{MM}/{YYYY}' },
        {
          label: 'Reçus',
          stroke: '#000091',
          width: 2,
          fill: 'rgba(0, 0, 145, 0.08)',
          value: (_u, v) => (v === null ? '—' : number.format(v)),
        },
        {
          label: 'Envoyés',
          stroke: '#c9191e',
          width: 2,
          dash: [8, 4],
          value: (_u, v) => (v === null ? '—' : number.format(v)),
        },
      ],
    },
    data,
    container,
  );
  // The canvas says nothing to screen readers; the series table right below carries the figures.
  plot.root.setAttribute('aria-hidden', 'true');
  // Window resize (and zoom) rather than a ResizeObserver on the container, whose own size the chart changes.
  let pending: ReturnType<typeof setTimeout> | undefined;
  const onResize = () => {
    clearTimeout(pending);
    pending = setTimeout(() => plot.setSize({ width: width(), height: 300 }), 100);
  };
  window.addEventListener('resize', onResize);
  return () => {
    clearTimeout(pending);
    window.removeEventListener('resize', onResize);
    plot.destroy();
  };
}
