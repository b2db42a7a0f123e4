// The machine-readable line printed after each draw (log level debug): what a real-Thunderbird test
// compares with the core functions. Keys and counts only — no subject or address.
import type { Draw } from './draw.ts';
import { computeResults } from './results.ts';

export const SAMPLING_MARKER = 'suivi-balf:sampling';
/** Result of the debug open probe (`open=1`): `{ message, reply }` each 'opened' | 'not-found' | null. */
export const OPEN_MARKER = 'suivi-balf:sampling-open';

/** The panel's own times, in ms: click (or the URL's `draw=1`) to rendered sample, and its three steps. */
export interface DrawTiming {
  ms: number;
  /** Everything read from IndexedDB: the period's references, then the chosen rows and their replies. */
  readMs: number;
  /** Of readMs: the period's received-usager references (keys only). */
  refsMs: number;
  /** Population, seeded draw, reply pairing and statuses. */
  drawMs: number;
  /** Sample table and results rendered. */
  renderMs: number;
}

export function traceLine(draw: Draw, timing?: DrawTiming): string {
  const results = computeResults(draw.rows, {});
  return `${SAMPLING_MARKER} ${JSON.stringify({
    balf: draw.request.balf,
    from: draw.request.from,
    to: draw.request.to,
    seed: draw.request.seed,
    target: draw.request.target.id,
    stratified: draw.request.stratifyByWeek,
    population: draw.population,
    requested: draw.requested,
    takeAll: draw.takeAll,
    asOf: draw.asOf,
    keys: draw.rows.map((r) => r.key),
    statuses: draw.rows.map((r) => r.status),
    automatic: results.automatic,
    ...timing,
  })}`;
}
