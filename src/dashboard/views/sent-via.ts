// The share of replies sent from another identity than the BALF's, for the level shown and each child
// (services in a department): a training signal for the chef de service; nothing is counted per agent.
import type { Level, Metrics, StatsAnswer } from '../../core/protocol.ts';
import { h } from '../dom.ts';
import { formatCount, formatRate } from '../format.ts';
import { dsfrTable } from './stats-tables.ts';

const childHeading: Record<Level, string> = {
  national: 'Département',
  department: 'Service',
  service: 'BALF',
  balf: 'BALF',
};

/** « 3 (12,5 %) »: a count and its share of the replies. */
function share(count: number, replies: number): string {
  return `${formatCount(count)} (${formatRate(replies === 0 ? null : count / replies)})`;
}

function row(name: Node | string, m: Metrics, header: boolean): HTMLElement {
  const replies = m.sentByCategory.reply;
  return h(
    'tr',
    {},
    header ? h('th', { scope: 'row' }, name) : h('td', {}, name),
    h('td', { class: 'sb-num', 'data-metric': 'reply' }, formatCount(replies)),
    h('td', { class: 'sb-num', 'data-metric': 'personal' }, share(m.sentVia.personal, replies)),
    h('td', { class: 'sb-num', 'data-metric': 'otherBalf' }, share(m.sentVia.otherBalf, replies)),
  );
}

/**
 * The section, or null when the period has no reply at all. One row for the whole of the level shown,
 * then one per child (a department's services, a service's BALFs…).
 */
export function renderSentVia(answer: StatsAnswer): HTMLElement | null {
  if (answer.totals.sentByCategory.reply === 0) return null;
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, childHeading[answer.level]),
      h('th', { scope: 'col', class: 'sb-num' }, 'Réponses'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Depuis une adresse personnelle'),
      h('th', { scope: 'col', class: 'sb-num' }, 'Depuis une autre BALF'),
    ),
  );
  const body = h(
    'tbody',
    {},
    row('Ensemble', answer.totals, true),
    answer.children.map((c) => row(c.name, c, false)),
  );
  return h(
    'section',
    { id: 'sent-via', 'aria-labelledby': 'sent-via-title' },
    h('h2', { id: 'sent-via-title' }, 'Réponses envoyées hors de l’identité de la BALF'),
    h(
      'p',
      {},
      'Réponses comptées pour une BALF mais envoyées depuis l’adresse personnelle d’un agent, ou depuis une ' +
        'autre BALF : elles sont comptées dans les délais, mais la BALF ne les voit pas. Leur part est un ' +
        'repère pour la formation ; aucun chiffre n’est tenu par agent.',
    ),
    dsfrTable('Part des réponses envoyées hors de l’identité de la BALF', head, body, 'table-sent-via'),
  );
}
