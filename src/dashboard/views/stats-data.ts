// Loads what a statistics page shows: the period, the compared ones, breadcrumbs, spot-checks, storage and, for a service,
// its last weeks.
import { ApiError, type Api, type Crumb, type SpotCheckList, type Target } from '../api.ts';
import { comparedPeriod, statsQuery, yearAgoPeriod, type StatsRoute } from '../route.ts';
import type { SpotAutomatic, StatsData, WeekData } from './blocks/block.ts';
import { loadStorage } from './blocks/storage.ts';
import { weekWindow } from './blocks/week.ts';

/** Spot-checks whose BALF-wide automatic rate is fetched (one small query each). */
const MAX_SPOT_AUTOMATIC = 10;

/** The target of the automatic rate beside a spot-check: the server's with the same delay, else the page's. */
function spotTarget(targets: Target[], pageTarget: Target, workingDays: number): Target {
  return targets.find((t) => t.workingDays === workingDays) ?? pageTarget;
}

export function targetOf(route: StatsRoute, targets: Target[]): Target {
  return (
    targets.find((t) => t.id === route.target) ??
    targets.find((t) => t.primary) ??
    targets[0] ?? { id: 'defaut', label: '5 jours ouvrés', workingDays: 5, primary: true }
  );
}

/**
 * Fetches the period, the compared ones, the breadcrumbs, the spot-checks, the storage and (service, BALF) this week,
 * in parallel. The « À traiter » block asks for its own figures once shown.
 */
export async function loadStats(
  api: Api,
  route: StatsRoute,
  targets: Target[],
  today: Date,
): Promise<StatsData> {
  const spotQuery = new URLSearchParams({
    level: route.level,
    id: route.id,
    from: route.period.from,
    to: route.period.to,
  });
  const weekly = route.level === 'service' || route.level === 'balf' ? weekWindow(today) : null;
  const [answer, previous, lastYear, crumbs, spotChecks, weekAnswer, storage] = await Promise.all([
    api.stats(statsQuery(route)),
    route.compare ? api.stats(statsQuery(route, comparedPeriod(route, today))) : Promise.resolve(null),
    route.compareYear ? api.stats(statsQuery(route, yearAgoPeriod(route, today))) : Promise.resolve(null),
    api.path(route.level, route.id).catch((error: unknown) => {
      // Breadcrumbs are a convenience: without them the page still shows its figures.
      if (error instanceof ApiError && error.status !== 401) return [] as Crumb[];
      throw error;
    }),
    // A failure here must not hide the figures: the section says why instead.
    api
      .spotChecks(spotQuery.toString())
      .catch((error: unknown): SpotCheckList | string =>
        error instanceof Error ? error.message : String(error),
      ),
    weekly === null
      ? Promise.resolve(null)
      : api.stats(statsQuery({ ...route, granularity: 'week' }, { from: weekly.from, to: weekly.to })),
    // Like the spot-checks, a failure becomes the reason the block shows.
    loadStorage(api, route.level, route.id),
  ]);
  const week: WeekData | null =
    weekly === null || weekAnswer === null ? null : { monday: weekly.monday, answer: weekAnswer };
  const spotAutomatic = new Map<string, SpotAutomatic>();
  if (typeof spotChecks !== 'string') {
    const pageTarget = targetOf(route, targets);
    await Promise.all(
      spotChecks.spotChecks.slice(0, MAX_SPOT_AUTOMATIC).map(async (s) => {
        const target = spotTarget(targets, pageTarget, s.target.workingDays);
        const query = new URLSearchParams({
          level: 'balf',
          id: s.balf,
          from: s.from,
          to: s.to,
          granularity: 'month',
          target: target.id,
        });
        // Beside the spot-check only: a BALF that left the user's scope just shows no automatic rate.
        const whole = await api.stats(query.toString()).catch(() => null);
        if (whole !== null) spotAutomatic.set(s.id, { answer: whole, target });
      }),
    );
  }
  return { answer, previous, lastYear, crumbs, spotChecks, spotAutomatic, week, storage };
}
