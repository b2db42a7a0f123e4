// « Réponses envoyées hors de l'identité de la BALF »: the share of replies sent from an agent's personal address or
// another BALF, for the level shown and each child — a training signal for the chef de service; nothing per agent.
import type { Level, Metrics, StatsAnswer } from '../../../core/protocol.ts';
import { h } from '../../dom.ts';
import { formatCount, formatRate } from '../../format.ts';
import { dataTable } from '../../table.ts';
import type { Block, BlockContext } from './block.ts';

const childHeading: Record<Level, string> = {
  national: 'Département',
  department: 'Service',
  service: 'BALF',
  balf: 'BALF',
};

interface Row {
  name: string;
  metrics: Metrics;
}

/** « 3 (12,5 %) »: a count and its share of the replies. */
function share(count: number, replies: number): string {
  return `${formatCount(count)} (${formatRate(replies === 0 ? null : count / replies)})`;
}

/** The block's content, or null when the period has no reply at all: the whole level, then one row per child. */
export function renderSentVia(answer: StatsAnswer): HTMLElement[] | null {
  if (answer.totals.sentByCategory.reply === 0) return null;
  const rows: Row[] = [
    { name: 'Ensemble', metrics: answer.totals },
    ...answer.children.map((c) => ({ name: c.name || c.id, metrics: c })),
  ];
  const replies = (r: Row) => r.metrics.sentByCategory.reply;
  return [
    h(
      'p',
      {},
      'Réponses comptées pour une BALF mais envoyées depuis l’adresse personnelle d’un agent, ou depuis une ' +
        'autre BALF : elles sont comptées dans les délais, mais la BALF ne les voit pas. Leur part est un ' +
        'repère pour la formation ; aucun chiffre n’est tenu par agent.',
    ),
    dataTable({
      id: 'table-sent-via',
      caption: 'Part des réponses envoyées hors de l’identité de la BALF',
      rows,
      multiline: true,
      columns: [
        { key: 'name', label: childHeading[answer.level], rowHeader: true, cell: (r) => r.name },
        { key: 'reply', label: 'Réponses', numeric: true, cell: (r) => formatCount(replies(r)) },
        {
          key: 'personal',
          label: 'Depuis une adresse personnelle',
          numeric: true,
          cell: (r) => share(r.metrics.sentVia.personal, replies(r)),
        },
        {
          key: 'otherBalf',
          label: 'Depuis une autre BALF',
          numeric: true,
          cell: (r) => share(r.metrics.sentVia.otherBalf, replies(r)),
        },
      ],
    }),
  ];
}

export function sentViaBlock(ctx: BlockContext): Block | null {
  const content = renderSentVia(ctx.data.answer);
  if (content === null) return null;
  return {
    id: 'hors-identite',
    title: 'Réponses envoyées hors de l’identité de la BALF',
    menuLabel: 'Réponses hors identité de la BALF',
    content,
  };
}
