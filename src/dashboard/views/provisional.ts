// The « classement en cours » notice over the key figures while some received mail is still provisional.
import type { Metrics } from '../../core/protocol.ts';
import { h } from '../dom.ts';
import { formatCount } from '../format.ts';

/**
 * A DSFR information notice when some received messages of the figures were classified without their
 * headers (`unrefined`): their category, hence the counts and delays, may still change. Null otherwise.
 */
export function renderProvisional(totals: Metrics): HTMLElement | null {
  const n = totals.unrefined;
  if (n <= 0) return null;
  return h(
    'div',
    { class: 'fr-alert fr-alert--info fr-alert--sm fr-mb-3w', role: 'status', id: 'provisional' },
    h(
      'p',
      {},
      h('strong', {}, `Classement en cours : ${formatCount(n)} message${n > 1 ? 's' : ''} à vérifier.`),
      ' ',
      n > 1
        ? 'Ces messages reçus n’ont encore été classés que d’après la liste des messages ; les postes les vérifient d’après leurs en-têtes, et les chiffres ci-dessous peuvent encore changer.'
        : 'Ce message reçu n’a encore été classé que d’après la liste des messages ; les postes le vérifient d’après ses en-têtes, et les chiffres ci-dessous peuvent encore changer.',
    ),
  );
}
