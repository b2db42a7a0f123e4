/**
 * Calendar places of reply rollup rows: the key stats and backlog queries group by, each key's region
 * and declared days, and the split that lets national figures (read from department rollups, which
 * know no service) judge a service's own declarations like the service and BALF levels do.
 */
import { sql, type RawBuilder } from 'kysely';
import {
  parseOverlayScope,
  resolveOverlays,
  type CalendarOverlay,
  type Region,
  type WorkingDayOptions,
} from '../../core/calendar.ts';
import type { Db } from '../db/schema.ts';
import { regionOf } from '../ingest/directory.ts';
import { UNATTACHED_DEPARTMENT } from '../ingest/rollups.ts';

type Declaration = Pick<CalendarOverlay, 'scope' | 'day' | 'state'>;

/**
 * `region|department|service` with empty parts unknown. Must equal the SQL of placeSql and
 * departmentPlaceSql for the same place: rows and records are matched on it.
 */
export function placeKey(region: string | null, department: string | null, service: string | null): string {
  return `${region ?? ''}|${department ?? ''}|${service ?? ''}`;
}

/** Place key of a BALF rollup row joined to the directory (aliases s: services, d: departments). */
export const placeSql = sql`coalesce(s.region, d.region, '') || '|' || coalesce(s.department_code, '') || '|' || coalesce(s.code, '')`;

/** Place key of a department rollup row (alias f): no service part. */
export const departmentPlaceSql = sql`f.region || '|' || f.department || '|'`;

/** The working-day options of each place key, resolved once per key. */
export class PlaceCalendars {
  private readonly cache = new Map<string, { region: Region; options: WorkingDayOptions }>();

  constructor(
    private readonly declarations: readonly Declaration[],
    private readonly whitMondayWorked: boolean,
  ) {}

  of(key: string | null): { region: Region; options: WorkingDayOptions } {
    const k = key ?? '';
    let place = this.cache.get(k);
    if (!place) {
      const [regionName = '', department = '', service = ''] = k.split('|');
      const region = regionOf(regionName || null, null);
      // The unattached pseudo-department is no directory department: only nation and region apply.
      const dep = department === UNATTACHED_DEPARTMENT ? '' : department;
      const overrides =
        this.declarations.length === 0
          ? undefined
          : resolveOverlays(this.declarations, { region, department: dep, service });
      place = { region, options: { whitMondayWorked: this.whitMondayWorked, overrides } };
      this.cache.set(k, place);
    }
    return place;
  }
}

/** Codes of the services with a declaration of their own (the national split's subjects). */
export function declaredServices(declarations: readonly Declaration[]): string[] {
  const out = new Set<string>();
  for (const d of declarations) {
    const s = parseOverlayScope(d.scope);
    if (s.kind === 'service') out.add(s.code);
  }
  return [...out].sort();
}

/**
 * Declared closed days in (after, upTo]: each lowers a working-day count between those days by
 * at most one in any place, so a bound found by the law alone stays a bound once this is removed.
 */
export function closedDaysBetween(declarations: readonly Declaration[], after: string, upTo: string): number {
  const days = new Set<string>();
  for (const d of declarations) if (d.state === 'closed' && d.day > after && d.day <= upTo) days.add(d.day);
  return days.size;
}

/** A reply rollup row by child and place (delay −1: unanswered). */
export interface PlaceRow {
  child: string;
  place: string;
  day: string;
  delay: number;
  n: number;
}

/** The rows of one declared service inside its department's rollup rows. */
interface ServicePart {
  department: string;
  region: string;
  service: string;
  day: string;
  delay: number;
  n: number;
}

const SERVICES_PER_QUERY = 500;

/**
 * BALF rollup rows of `services` matching `condition` (on alias f), grouped by their home in the
 * department rollups (balf_homes: the very department and region those rows were credited to).
 */
async function fetchServiceParts(
  db: Db,
  services: readonly string[],
  condition: RawBuilder<unknown>,
): Promise<ServicePart[]> {
  const out: ServicePart[] = [];
  for (let i = 0; i < services.length; i += SERVICES_PER_QUERY) {
    const list = sql.join(services.slice(i, i + SERVICES_PER_QUERY).map((s) => sql`${s}`));
    const { rows } = await sql<ServicePart & { delay: number | string; n: number | string }>`
      select h.department as department, h.region as region, b.service_code as service, f.day as day,
        f.delay as delay, sum(f.count) as n
      from balfs b join balf_homes h on h.balf = b.address join daily_replies f on f.balf = b.address
      where b.service_code in (${list}) and ${condition}
      group by h.department, h.region, b.service_code, f.day, f.delay`.execute(db);
    for (const r of rows) out.push({ ...r, delay: Number(r.delay), n: Number(r.n) });
  }
  return out;
}

/**
 * Department rollup rows (child: department, place without service) with each declared service's
 * share moved to its own place, so that its declarations judge it at every level: the totals and
 * each child's are unchanged, only the place of part of them. `child` names the child of a moved
 * share (the department for national queries, '' when rows carry no child).
 */
export async function splitDeclaredServices(
  db: Db,
  rows: readonly PlaceRow[],
  declarations: readonly Declaration[],
  condition: RawBuilder<unknown>,
  child: (department: string) => string,
): Promise<PlaceRow[]> {
  const services = declaredServices(declarations);
  if (services.length === 0) return [...rows];
  const parts = await fetchServiceParts(db, services, condition);
  if (parts.length === 0) return [...rows];
  const merged = new Map<string, PlaceRow>();
  const bump = (r: PlaceRow): void => {
    const k = `${r.child}\u0000${r.place}\u0000${r.day}\u0000${r.delay}`;
    const cur = merged.get(k);
    if (cur) cur.n += r.n;
    else merged.set(k, { ...r });
  };
  for (const r of rows) bump(r);
  for (const p of parts) {
    const c = child(p.department);
    bump({ child: c, place: placeKey(p.region, p.department, ''), day: p.day, delay: p.delay, n: -p.n });
    bump({
      child: c,
      place: placeKey(p.region, p.department, p.service),
      day: p.day,
      delay: p.delay,
      n: p.n,
    });
  }
  const out = [...merged.values()].filter((r) => r.n !== 0);
  const negative = out.find((r) => r.n < 0);
  // The department rollups are kept in step with the BALF rollups in every transaction.
  if (negative) throw new Error(`Cumuls départementaux incohérents : ${JSON.stringify(negative)}`);
  return out;
}
