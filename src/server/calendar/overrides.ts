/** Reads the active calendar overlays that decide a place's working days (ingest, recompute, stats). */
import type { Kysely } from 'kysely';
import {
  resolveOverlays,
  scopesOfPlace,
  type CalendarOverlay,
  type CalendarPlace,
  type DayOverrides,
} from '../../core/calendar.ts';
import type { Database } from '../db/schema.ts';

type Reader = Kysely<Database>;

/** The overrides of a place from the active declarations of its four scopes (undefined: none). */
export async function overridesFor(db: Reader, place: CalendarPlace): Promise<DayOverrides | undefined> {
  const rows = await db
    .selectFrom('calendar_overlays')
    .select(['scope', 'day', 'state'])
    .where('withdrawn_at', 'is', null)
    .where('scope', 'in', scopesOfPlace(place))
    .execute();
  return rows.length === 0 ? undefined : resolveOverlays(rows, place);
}

/** Every active declaration (the stats runner resolves them per place). */
export async function activeOverlays(
  db: Reader,
): Promise<Pick<CalendarOverlay, 'scope' | 'day' | 'state'>[]> {
  return db
    .selectFrom('calendar_overlays')
    .select(['scope', 'day', 'state'])
    .where('withdrawn_at', 'is', null)
    .execute();
}
