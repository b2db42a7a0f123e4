// « Cette semaine » (service and BALF pages): what waits for an answer, what is late, and this week's mail so far.
import type { StatsAnswer } from '../../../core/protocol.ts';
import { h } from '../../dom.ts';
import { formatCount } from '../../format.ts';
import { bucketLabel, dayOf, longDay } from '../../period.ts';
import { dataTable } from '../../table.ts';
import type { Block, BlockContext, WeekData } from './block.ts';

/** Weeks looked back at: unanswered mail older than this is counted on the pages of its own period. */
export const WEEK_WINDOW = 8;

/** First day of the window: the Monday `WEEK_WINDOW - 1` weeks before this week's. */
export function weekWindow(today: Date): { from: string; monday: string; to: string } {
  const monday = new Date(
    today.getFullYear(),
    today.getMonth(),
    today.getDate() - ((today.getDay() + 6) % 7),
  );
  const from = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() - 7 * (WEEK_WINDOW - 1));
  return { from: dayOf(from), monday: dayOf(monday), to: dayOf(today) };
}

function tile(metric: string, label: string, value: number, detail: string): HTMLElement {
  return h(
    'li',
    { class: 'sb-tile', 'data-metric': metric },
    h('p', { class: 'sb-tile__label' }, label),
    h('p', { class: 'sb-tile__value' }, formatCount(value)),
    h('p', { class: 'sb-tile__details' }, detail),
  );
}

function waiting(answer: StatsAnswer): { period: string; pending: number; overdue: number }[] {
  return answer.series
    .filter((s) => s.pending + s.overdue > 0)
    .map((s) => ({ period: s.period, pending: s.pending, overdue: s.overdue }));
}

export function weekBlock(ctx: BlockContext, week: WeekData): Block {
  const { answer, monday } = week;
  const thisWeek = answer.series.find((s) => s.period === monday);
  const received = thisWeek?.receivedByCategory.usager ?? 0;
  const answered = (thisWeek?.answeredInTime ?? 0) + (thisWeek?.answeredLate ?? 0);
  const rows = waiting(answer);
  const since = bucketLabel(answer.from, 'week');
  const oldest = rows[0];
  const content: HTMLElement[] = [
    h(
      'p',
      { class: 'fr-text--sm' },
      `État au ${longDay(ctx.today)}, ` +
        `courriels d’usagers reçus depuis la ${since}, objectif ${ctx.target.workingDays} jours ouvrés.`,
    ),
    h(
      'ul',
      { class: 'sb-tiles', 'aria-label': 'Où en est-on cette semaine' },
      tile(
        'weekPending',
        'En attente de réponse',
        answer.totals.pending,
        'Pas encore de réponse, objectif non dépassé',
      ),
      tile(
        'weekOverdue',
        'En retard, sans réponse',
        answer.totals.overdue,
        'Objectif dépassé, toujours sans réponse',
      ),
      tile(
        'weekReceived',
        'Reçus cette semaine (usagers)',
        received,
        `dont ${formatCount(answered)} déjà répondu${answered > 1 ? 's' : ''}`,
      ),
    ),
  ];
  if (rows.length === 0) {
    content.push(h('p', { id: 'week-none' }, 'Aucun courriel d’usager sans réponse sur ces semaines.'));
  } else {
    content.push(
      h(
        'p',
        { id: 'week-oldest' },
        oldest!.period === answer.series[0]?.period
          ? `Des courriels sans réponse datent de la ${bucketLabel(oldest!.period, 'week')}, la plus ancienne des ` +
              `${WEEK_WINDOW} semaines affichées : d’autres, plus anciens, figurent dans les chiffres de leur propre période.`
          : `Le plus ancien courriel sans réponse a été reçu la ${bucketLabel(oldest!.period, 'week')}.`,
      ),
      dataTable({
        id: 'table-week',
        caption: 'Courriels d’usagers sans réponse, par semaine de réception',
        rows,
        rowAttrs: (r) => ({ 'data-period': r.period }),
        columns: [
          {
            key: 'period',
            label: 'Semaine de réception',
            rowHeader: true,
            cell: (r) => bucketLabel(r.period, 'week'),
          },
          { key: 'pending', label: 'En attente', numeric: true, cell: (r) => formatCount(r.pending) },
          { key: 'overdue', label: 'En retard', numeric: true, cell: (r) => formatCount(r.overdue) },
        ],
      }),
    );
  }
  return { id: 'cette-semaine', title: 'Cette semaine', content };
}
