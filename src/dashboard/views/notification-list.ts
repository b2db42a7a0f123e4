// The table of « Mes notifications »: one row per subscription, each with its « Se désabonner » button.
import type { Level } from '../../core/protocol.ts';
import type { NotificationSubscription } from '../api.ts';
import { breakable, h } from '../dom.ts';
import { tableFrame } from '../table.ts';

/** A node as the form's select names it, and as the table's rows carry it (`data-node`). */
export const valueOf = (level: Level, id: string) => `${level}:${id}`;

/** The subscriptions, or a sentence when there are none. */
export function subscriptionsTable(
  subscriptions: NotificationSubscription[],
  onRemove: (s: NotificationSubscription) => void,
): HTMLElement {
  if (subscriptions.length === 0)
    return h('p', { id: 'notif-empty' }, 'Vous n’êtes abonné(e) à aucune notification.');
  const head = h(
    'thead',
    {},
    h(
      'tr',
      {},
      h('th', { scope: 'col' }, 'Périmètre'),
      h('th', { scope: 'col' }, 'Adresse'),
      h('th', { scope: 'col' }, 'Synthèse hebdomadaire'),
      h('th', { scope: 'col' }, 'Seuil d’alerte « en retard »'),
      h('th', { scope: 'col' }, 'Action'),
    ),
  );
  const body = h(
    'tbody',
    {},
    subscriptions.map((s) => {
      const remove = h(
        'button',
        {
          type: 'button',
          class: 'fr-btn fr-btn--secondary fr-btn--sm',
          'aria-label': `Se désabonner : ${s.label}`,
        },
        'Se désabonner',
      );
      remove.addEventListener('click', () => onRemove(s));
      return h(
        'tr',
        { 'data-id': s.id, 'data-node': valueOf(s.level, s.subjectId) },
        h('th', { scope: 'row' }, s.label),
        h('td', {}, breakable(s.email)),
        h('td', {}, s.digest ? 'Oui' : 'Non'),
        h('td', {}, s.alertThreshold === null ? 'aucune' : String(s.alertThreshold)),
        h('td', {}, remove),
      );
    }),
  );
  return tableFrame('table-notifications', `Mes abonnements (${subscriptions.length})`, head, body);
}
