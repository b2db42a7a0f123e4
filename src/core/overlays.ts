/** Calendar overlays: days closed or exceptionally open, declared for a scope, resolved for one place. */
import { daysFromCivil, parseDay } from './civil-days.ts';
import { isRegion, type Region } from './regions.ts';

/** Whether a declared day is closed (never counts) or exceptionally open (always counts). */
export type OverlayState = 'closed' | 'open';

/**
 * Who a declaration concerns: `nation`, `region:<region>`, `department:<code>` or `service:<code>`.
 * The same strings as the access scopes (department and service codes are the directory's).
 */
export type OverlayScope = string;

export interface CalendarOverlay {
  scope: OverlayScope;
  /** YYYY-MM-DD: the day the declaration takes effect on (one row per day). */
  day: string;
  state: OverlayState;
  /** French label shown to users (« Pont de l'Ascension », « Déménagement du service »). */
  label: string;
  /** Where it comes from (circular, prefect's order, preset), shown beside the label. */
  source: string;
}

/** Where a BALF sits: the four scopes of overlays that apply to it. */
export interface CalendarPlace {
  region: Region;
  department?: string | null;
  service?: string | null;
}

export type ParsedScope =
  | { kind: 'nation' }
  | { kind: 'region'; region: Region }
  | { kind: 'department'; code: string }
  | { kind: 'service'; code: string };

/** Specificity of each scope kind: a more specific declaration wins on the same day. */
const RANK: Record<ParsedScope['kind'], number> = { nation: 0, region: 1, department: 2, service: 3 };

/**
 * Parses an overlay scope string.
 * @throws RangeError with a French message for anything else.
 */
export function parseOverlayScope(scope: string): ParsedScope {
  if (scope === 'nation') return { kind: 'nation' };
  const colon = scope.indexOf(':');
  const kind = scope.slice(0, colon);
  const rest = scope.slice(colon + 1);
  if (colon > 0 && rest.length > 0 && rest.trim() === rest) {
    if (kind === 'region' && isRegion(rest)) return { kind: 'region', region: rest };
    if (kind === 'department' || kind === 'service') return { kind, code: rest };
  }
  throw new RangeError(
    `Portée de calendrier invalide : ${JSON.stringify(scope)} (attendu nation, region:<région>, ` +
      'department:<code> ou service:<code>)',
  );
}

/** The scope strings whose declarations apply to a place, least specific first. */
export function scopesOfPlace(place: CalendarPlace): OverlayScope[] {
  const out = ['nation', `region:${place.region}`];
  if (place.department) out.push(`department:${place.department}`);
  if (place.service) out.push(`service:${place.service}`);
  return out;
}

/**
 * The resolved overlay of one place: for each day a declaration applies to, whether it counts.
 * Opaque to callers; src/core/calendar.ts reads it through `WorkingDayOptions.overrides`.
 */
export class DayOverrides {
  /** Sorted day numbers. */
  readonly days: Int32Array;
  /** 1 where the day at the same index is open, 0 where closed. */
  readonly open: Uint8Array;
  private readonly index: Map<number, boolean>;

  constructor(entries: ReadonlyMap<number, boolean>) {
    const sorted = [...entries].sort((a, b) => a[0] - b[0]);
    this.days = Int32Array.from(sorted.map(([n]) => n));
    this.open = Uint8Array.from(sorted.map(([, o]) => (o ? 1 : 0)));
    this.index = new Map(sorted);
  }

  /** True (open), false (closed) or undefined (the law decides) for a day number. */
  stateOf(n: number): boolean | undefined {
    return this.index.get(n);
  }

  /** Index of the first day ≥ n (binary search). */
  lowerBound(n: number): number {
    let lo = 0;
    let hi = this.days.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.days[mid]! < n) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get size(): number {
    return this.days.length;
  }
}

/**
 * Composes the declarations that apply to `place` — nation, then its region, department and service —
 * into one answer per day: the most specific scope wins (a service open on a day its department
 * closed counts it); at the same scope a closure wins over an opening, so a declared closure is never
 * silently ignored. Declarations of other places are left out. Undefined when none applies.
 * @throws RangeError for an invalid day or scope in a declaration that concerns the place.
 */
export function resolveOverlays(
  overlays: readonly Pick<CalendarOverlay, 'scope' | 'day' | 'state'>[],
  place: CalendarPlace,
): DayOverrides | undefined {
  const applicable = new Map(scopesOfPlace(place).map((s) => [s, RANK[parseOverlayScope(s).kind]]));
  const best = new Map<number, { rank: number; open: boolean }>();
  for (const o of overlays) {
    const rank = applicable.get(o.scope);
    if (rank === undefined) continue;
    const p = parseDay(o.day);
    const n = daysFromCivil(p.year, p.month, p.day);
    const open = o.state === 'open';
    const cur = best.get(n);
    if (!cur || rank > cur.rank || (rank === cur.rank && !open)) best.set(n, { rank, open });
  }
  if (best.size === 0) return undefined;
  return new DayOverrides(new Map([...best].map(([n, v]) => [n, v.open])));
}
