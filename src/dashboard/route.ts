// The dashboard's state lives in the URL hash (#/stats?level=…&from=…), so views are shareable and back/forward work.
import type { Granularity, Level } from '../core/protocol.ts';
import {
  comparisonPeriod,
  defaultGranularity,
  homePeriod,
  isValidPeriod,
  lastYearPeriod,
  shiftPeriod,
  unitOf,
  type Period,
  type Unit,
} from './period.ts';

// Local copies (checked against the protocol's types): importing the values would bundle zod (450 kB).
const levels = ['national', 'department', 'service', 'balf'] as const satisfies readonly Level[];
const granularities = ['day', 'week', 'month'] as const satisfies readonly Granularity[];

export interface StatsRoute {
  page: 'stats';
  level: Level;
  id: string;
  period: Period;
  granularity: Granularity;
  /** The grouping follows the period's length (the user did not choose one); kept out of the URL. */
  autoGranularity?: true;
  /** Target id; undefined = the primary target. */
  target?: string;
  /** Show deltas against the previous period. */
  compare: boolean;
  /** Show deltas against the same period one year earlier. */
  compareYear: boolean;
  /** Previous/next move by the period's length in days, even when it happens to be a whole month. */
  byDays?: true;
}

export type Route =
  | StatsRoute
  | { page: 'login'; next?: string }
  | { page: 'directory' }
  | { page: 'calendar' }
  | { page: 'notifications' }
  /** Incomplete stats route: the app fills it from the user's scope and the default period. */
  | { page: 'home' };

/** Scope of a user: the top of what they may see. */
export interface Scope {
  level: Level;
  id: string;
}

/** Reads a location hash; anything unknown is 'home'. Returns null for in-page anchors (#contenu). */
export function parseHash(hash: string, today: Date): Route | null {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (raw !== '' && !raw.startsWith('/')) return null;
  const [path = '/', query = ''] = raw.split('?', 2) as [string?, string?];
  const params = new URLSearchParams(query);
  switch (path) {
    case '/connexion': {
      const next = params.get('suite');
      return next === null ? { page: 'login' } : { page: 'login', next };
    }
    case '/annuaire':
      return { page: 'directory' };
    case '/calendrier':
      return { page: 'calendar' };
    case '/notifications':
      return { page: 'notifications' };
    case '/stats':
      return parseStats(params, today) ?? { page: 'home' };
    default:
      return { page: 'home' };
  }
}

function parseStats(params: URLSearchParams, today: Date): StatsRoute | null {
  const level = params.get('level');
  const id = params.get('id');
  if (level === null || id === null || id === '' || !(levels as readonly string[]).includes(level))
    return null;
  const from = params.get('from');
  const to = params.get('to');
  const period =
    from !== null && to !== null && isValidPeriod({ from, to }) ? { from, to } : homePeriod(today);
  const g = params.get('g');
  const chosen = g !== null && (granularities as readonly string[]).includes(g);
  const target = params.get('target');
  return {
    page: 'stats',
    level: level as Level,
    id,
    period,
    granularity: chosen ? (g as Granularity) : defaultGranularity(period),
    ...(chosen ? {} : { autoGranularity: true as const }),
    ...(target !== null && target !== '' ? { target } : {}),
    compare: params.get('cmp') !== '0',
    compareYear: params.get('an') !== '0',
    ...(params.get('pas') === 'jours' ? { byDays: true as const } : {}),
  };
}

/** The hash of a route (inverse of parseHash). */
export function formatHash(route: Route): string {
  switch (route.page) {
    case 'home':
      return '#/';
    case 'directory':
      return '#/annuaire';
    case 'calendar':
      return '#/calendrier';
    case 'notifications':
      return '#/notifications';
    case 'login':
      return route.next === undefined
        ? '#/connexion'
        : `#/connexion?${new URLSearchParams({ suite: route.next })}`;
    case 'stats': {
      const params = new URLSearchParams({
        level: route.level,
        id: route.id,
        from: route.period.from,
        to: route.period.to,
      });
      if (route.autoGranularity !== true) params.set('g', route.granularity);
      if (route.target !== undefined) params.set('target', route.target);
      if (!route.compare) params.set('cmp', '0');
      if (!route.compareYear) params.set('an', '0');
      if (route.byDays === true) params.set('pas', 'jours');
      return `#/stats?${params}`;
    }
  }
}

/** The user's top view over the home period (this month, or the month just ended in its first week). */
export function homeRoute(scope: Scope, today: Date): StatsRoute {
  const period = homePeriod(today);
  return {
    page: 'stats',
    level: scope.level,
    id: scope.id,
    period,
    granularity: defaultGranularity(period),
    autoGranularity: true,
    compare: true,
    compareYear: true,
  };
}

/** National views are asked with this id (the server also accepts 'all' or no id). */
export const NATIONAL_ID = 'national';

/**
 * Accepts the session's scope as the server sends it ({level:'national'} | {level, code}) and,
 * leniently, as the CLI writes it ("national", "department:75", "service:…") or as {level, id}.
 */
export function parseScope(scope: unknown): Scope | null {
  if (typeof scope === 'string') {
    if (scope === 'national') return { level: 'national', id: NATIONAL_ID };
    const [level, ...rest] = scope.split(':');
    const id = rest.join(':');
    if (level !== undefined && (levels as readonly string[]).includes(level) && id !== '')
      return { level: level as Level, id };
    return null;
  }
  if (typeof scope === 'object' && scope !== null) {
    const { level, id, code } = scope as { level?: unknown; id?: unknown; code?: unknown };
    if (level === 'national') return { level: 'national', id: NATIONAL_ID };
    const key = typeof code === 'string' ? code : id;
    if (
      typeof level === 'string' &&
      (levels as readonly string[]).includes(level) &&
      typeof key === 'string' &&
      key !== ''
    ) {
      return { level: level as Level, id: key };
    }
  }
  return null;
}

/** The period before (-1) or after (1) the route's, with the route's stepping. */
export function neighbour(route: StatsRoute, step: 1 | -1): StatsRoute {
  const unit = stepUnit(route);
  const period = shiftPeriod(route.period, step, unit);
  return {
    ...route,
    period,
    ...(route.autoGranularity === true ? { granularity: defaultGranularity(period) } : {}),
    ...(unit === 'days' ? { byDays: true as const } : {}),
  };
}

/** Custom ranges, and routes already stepped by days, move by their length; whole units by the unit. */
function stepUnit(route: StatsRoute): Unit | undefined {
  return route.byDays === true || unitOf(route.period) === 'days' ? 'days' : undefined;
}

/** The period a route's figures are compared with (see comparisonPeriod), stepping like `neighbour`. */
export function comparedPeriod(route: StatsRoute, today: Date): Period {
  return comparisonPeriod(route.period, today, stepUnit(route));
}

/** The same period a year earlier a route's figures are compared with (see lastYearPeriod). */
export function yearAgoPeriod(route: StatsRoute, today: Date): Period {
  return lastYearPeriod(route.period, today, stepUnit(route));
}

/**
 * The CSV export of what the route shows: its figures and, when shown, the compared periods' totals
 * and children (`previous`, `lastYear`: the API's `from..to`).
 */
export function csvQuery(route: StatsRoute, today: Date): string {
  const params = new URLSearchParams(statsQuery(route, route.period, 'csv'));
  const span = (p: Period) => `${p.from}..${p.to}`;
  if (route.compare) params.set('previous', span(comparedPeriod(route, today)));
  if (route.compareYear) params.set('lastYear', span(yearAgoPeriod(route, today)));
  return params.toString();
}

/** The stats request (query string of /api/v1/stats) a route shows. */
export function statsQuery(route: StatsRoute, period: Period = route.period, format?: 'csv'): string {
  const params = new URLSearchParams({
    level: route.level,
    id: route.id,
    from: period.from,
    to: period.to,
    granularity: route.granularity,
  });
  if (route.target !== undefined) params.set('target', route.target);
  if (format !== undefined) params.set('format', format);
  return params.toString();
}
