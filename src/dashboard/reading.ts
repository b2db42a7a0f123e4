// The badges and greyed text that show how a figure reads against the target (the verdicts: core/verdict.ts).
import type { Metrics } from '../core/protocol.ts';
import { MIN_DECIDED, rateGap, rateVerdict, type Verdict } from '../core/verdict.ts';
import { h } from './dom.ts';

const BADGES: Record<Verdict, { text: string; modifier: string }> = {
  conforme: { text: 'Conforme', modifier: 'fr-badge--success' },
  'non-conforme': { text: 'Non conforme', modifier: 'fr-badge--error' },
  indicatif: { text: 'Indicatif', modifier: 'fr-badge--info' },
  'sans-objet': { text: 'Sans donnée', modifier: '' },
};

/** A DSFR badge stating the verdict in words (colour is never the only cue). */
export function verdictBadge(verdict: Verdict, text = BADGES[verdict].text): HTMLElement {
  return h(
    'span',
    { class: `fr-badge fr-badge--sm ${BADGES[verdict].modifier}`.trim(), 'data-verdict': verdict },
    text,
  );
}

/** Sort key of a verdict column: worst first when ascending (non conforme, then by gap). */
export function verdictSortValue(m: Metrics): number | null {
  return rateGap(m);
}

/** A rate as a table shows it: greyed and said « indicatif » (for screen readers too) when it rests on few decided messages. */
export function rateText(m: Metrics, text: string): HTMLElement | string {
  if (rateVerdict(m) !== 'indicatif') return text;
  return h(
    'span',
    { class: 'sb-weak', title: `indicatif : moins de ${MIN_DECIDED} courriels décidés` },
    text,
    h('span', { class: 'fr-sr-only' }, ' (indicatif)'),
  );
}
