// « Sondages ponctuels »: each spot-check's sampled rate beside the automatic ones, with the target each used and the Wilson interval.
import { breakable, h } from '../../dom.ts';
import { formatCount, formatRate } from '../../format.ts';
import { parseDay } from '../../period.ts';
import { dataTable } from '../../table.ts';
import type { SpotCheckRow } from '../../api.ts';
import type { Block, BlockContext } from './block.ts';

const shortDay = new Intl.DateTimeFormat('fr-FR', { dateStyle: 'short' });

function day(iso: string): string {
  const date = parseDay(iso);
  return date === null ? iso : shortDay.format(date);
}

/** Automatic rate of the sampled messages themselves (the add-on's statuses at the time of the check). */
export function sampleAutomaticRate(s: SpotCheckRow): number | null {
  const a = s.automatic;
  const decided = a.answered_in_time + a.answered_late + a.overdue;
  return decided === 0 ? null : a.answered_in_time / decided;
}

/** Whether an automatic rate falls inside the spot-check's 95 % interval. */
export function agreement(s: SpotCheckRow, automatic: number | null): string {
  if (s.interval === null || automatic === null) return 'non comparable';
  return automatic >= s.interval.lower && automatic <= s.interval.upper
    ? 'dans l’intervalle'
    : 'hors de l’intervalle';
}

function rateCell(rate: number | null, note: string): HTMLElement[] {
  return [h('span', {}, formatRate(rate)), h('span', { class: 'sb-cell-note' }, note)];
}

export function spotChecksBlock(ctx: BlockContext): Block {
  const list = ctx.data.spotChecks;
  const base = { id: 'sondages', title: 'Sondages ponctuels' };
  if (typeof list === 'string')
    return { ...base, content: h('p', { id: 'spot-checks-error' }, `Sondages indisponibles : ${list}`) };
  if (list.spotChecks.length === 0)
    return {
      ...base,
      content: h('p', { id: 'spot-checks-empty' }, 'Aucun sondage ponctuel transmis pour cette période.'),
    };
  return {
    ...base,
    content: [
      h(
        'p',
        { class: 'fr-text--sm' },
        'Le taux sondé vient des verdicts du chef de service (sans objet exclus), avec son intervalle de confiance à 95 % ' +
          '(méthode de Wilson). À côté, le taux calculé automatiquement sur les mêmes messages, puis sur toute la BALF pour ' +
          'la période sondée, avec l’objectif de délai de chacun : un taux automatique hors de l’intervalle signale un écart ' +
          'entre le comptage et la réalité.',
      ),
      dataTable({
        id: 'table-spot-checks',
        caption: `Sondages ponctuels (${list.spotChecks.length})`,
        rows: list.spotChecks,
        multiline: true,
        rowAttrs: (s) => ({ 'data-id': s.id }),
        columns: [
          {
            key: 'balf',
            label: 'BALF et période sondée',
            rowHeader: true,
            cell: (s) => [
              breakable(s.balf),
              h(
                'span',
                { class: 'sb-cell-note' },
                `du ${day(s.from)} au ${day(s.to)}, réalisé le ${shortDay.format(new Date(s.doneAt))}`,
              ),
            ],
          },
          {
            key: 'rate',
            label: 'Taux sondé',
            numeric: true,
            cell: (s) =>
              rateCell(
                s.rate,
                s.interval === null
                  ? 'aucun verdict décisif'
                  : `IC 95 % : ${formatRate(s.interval.lower)} – ${formatRate(s.interval.upper)}`,
              ),
            sortValue: (s) => s.rate,
          },
          {
            key: 'sampleAutomatic',
            label: 'Calcul automatique, messages tirés',
            numeric: true,
            cell: (s) => rateCell(sampleAutomaticRate(s), agreement(s, sampleAutomaticRate(s))),
          },
          {
            key: 'balfAutomatic',
            label: 'Calcul automatique, toute la BALF',
            numeric: true,
            cell: (s) => {
              const whole = ctx.data.spotAutomatic.get(s.id);
              return whole === undefined
                ? 'indisponible'
                : rateCell(
                    whole.answer.totals.complianceRate,
                    agreement(s, whole.answer.totals.complianceRate),
                  );
            },
          },
          {
            key: 'targets',
            label: 'Objectifs',
            cell: (s) => {
              const whole = ctx.data.spotAutomatic.get(s.id);
              return [
                h('span', { class: 'sb-cell-line' }, `sondage : ${s.target.workingDays} j ouvrés`),
                whole === undefined
                  ? null
                  : h('span', { class: 'sb-cell-line' }, `calcul : ${whole.target.workingDays} j ouvrés`),
              ];
            },
          },
          {
            key: 'sampleSize',
            label: 'Échantillon',
            numeric: true,
            cell: (s) => `${formatCount(s.sampleSize)} / ${formatCount(s.population)}`,
          },
          {
            key: 'verdicts',
            label: 'Conformes / non conformes / sans objet',
            numeric: true,
            cell: (s) => [
              h('span', { 'data-metric': 'conforme' }, formatCount(s.verdicts.conforme)),
              ' / ',
              h('span', { 'data-metric': 'non_conforme' }, formatCount(s.verdicts.non_conforme)),
              ' / ',
              h('span', { 'data-metric': 'sans_objet' }, formatCount(s.verdicts.sans_objet)),
            ],
          },
          {
            key: 'disagreements',
            label: 'Désaccords',
            numeric: true,
            cell: (s) => formatCount(s.disagreements),
          },
        ],
      }),
    ],
  };
}
