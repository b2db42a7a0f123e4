/** Where a BALF sits in the directory and which calendar region gives its days and holidays. */
import { isRegion, type Region } from '../../core/calendar.ts';
import type { Db } from '../db/schema.ts';
import type { Placement } from '../auth/scope.ts';

/** Region of mail that no directory entry claims yet ("non rattachées"). */
export const UNATTACHED_REGION: Region = 'metropole';

export interface BalfPlacement extends Placement {
  balf: string;
  region: Region;
}

export async function placeBalf(db: Db, balf: string): Promise<BalfPlacement> {
  const row = await db
    .selectFrom('balfs as b')
    .innerJoin('services as s', 's.code', 'b.service_code')
    .innerJoin('departments as d', 'd.code', 's.department_code')
    .select([
      's.code as service',
      's.department_code as department',
      's.region as serviceRegion',
      'd.region as departmentRegion',
    ])
    .where('b.address', '=', balf)
    .executeTakeFirst();
  return placementOf(balf, row);
}

/** The directory row of a BALF (service, department and their regions), as both stores read it. */
export interface PlacementRow {
  service: string;
  department: string;
  serviceRegion: string | null;
  departmentRegion: string;
}

/** Placement of a BALF from its directory row; no row: unattached. */
export function placementOf(balf: string, row: PlacementRow | undefined): BalfPlacement {
  if (!row) return { balf, service: null, department: null, region: UNATTACHED_REGION };
  return {
    balf,
    service: row.service,
    department: row.department,
    region: regionOf(row.serviceRegion, row.departmentRegion),
  };
}

/** A service's own region wins over its department's; an unknown value falls back to metropole. */
export function regionOf(serviceRegion: string | null, departmentRegion: string | null): Region {
  const r = serviceRegion ?? departmentRegion;
  return isRegion(r) ? r : UNATTACHED_REGION;
}
