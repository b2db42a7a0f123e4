// French formatting of the figures: thousands separators, « 87,5 % », signed deltas, delays.
const integer = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat('fr-FR', {
  style: 'percent',
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});
const signedInteger = new Intl.NumberFormat('fr-FR', { maximumFractionDigits: 0, signDisplay: 'exceptZero' });
const signedDecimal = new Intl.NumberFormat('fr-FR', {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
  signDisplay: 'exceptZero',
});

/** Shown where a figure cannot be computed (e.g. a rate with nothing decided). */
export const NOT_AVAILABLE = '—';

/** « 12 345 » (narrow no-break space as in French typography). */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** « 87,5 % », or « — » when the rate is undefined. */
export function formatRate(rate: number | null): string {
  return rate === null ? NOT_AVAILABLE : percent.format(rate);
}

/** « 2 j » / « 1,5 j » (working days), or « — ». */
export function formatDelay(days: number | null): string {
  return days === null ? NOT_AVAILABLE : `${decimal.format(days)}\u00a0j`;
}

/** « +12 (+5,3 %) » against a previous value; « = » when equal; relative part omitted from 0. */
export function formatCountDelta(current: number, previous: number): string {
  if (current === previous) return '=';
  const absolute = signedInteger.format(current - previous);
  if (previous === 0) return absolute;
  return `${absolute} (${signedDecimal.format(((current - previous) / previous) * 100)}\u00a0%)`;
}

/** « +2,1 pts » between two rates; « — » when either is undefined. */
export function formatRateDelta(current: number | null, previous: number | null): string {
  if (current === null || previous === null) return NOT_AVAILABLE;
  const points = (current - previous) * 100;
  if (Math.abs(points) < 0.05) return '=';
  return `${signedDecimal.format(points)}\u00a0pt${Math.abs(points) >= 2 ? 's' : ''}`;
}

/** « +0,5 j » between two delays; « — » when either is undefined. */
export function formatDelayDelta(current: number | null, previous: number | null): string {
  if (current === null || previous === null) return NOT_AVAILABLE;
  if (current === previous) return '=';
  return `${signedDecimal.format(current - previous)}\u00a0j`;
}

/** Parses a French-formatted count back (for tests and checks): « 12 345 » → 12345. */
export function parseCount(text: string): number {
  return Number(text.replace(/[\s\u00a0\u202f]/g, ''));
}

/** « 16 décidés, 157 en attente »: what a compliance rate rests on. */
export function formatDecided(decided: number, pending: number): string {
  const d = `${formatCount(decided)} décidé${decided > 1 ? 's' : ''}`;
  return pending > 0 ? `${d}, ${formatCount(pending)} en attente` : d;
}

/** « −3,2 pts » from a difference of rates (0–1). */
export function formatPoints(difference: number): string {
  const points = difference * 100;
  if (Math.abs(points) < 0.05) return '0 pt';
  return `${signedDecimal.format(points)}\u00a0pt${Math.abs(points) >= 2 ? 's' : ''}`;
}
