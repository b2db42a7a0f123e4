/** Calendar region of a directory node, whose "today" is a backlog's default day. */
import type { Region } from '../../core/calendar.ts';
import type { Db } from '../db/schema.ts';
import { placeBalf, regionOf, UNATTACHED_REGION } from '../ingest/directory.ts';
import { UNATTACHED_ID, type Subject } from '../stats/subject.ts';

/** National and the unattached BALFs: metropole (Paris time). */
export async function subjectRegion(db: Db, subject: Subject): Promise<Region> {
  switch (subject.level) {
    case 'national':
      return UNATTACHED_REGION;
    case 'balf':
      return (await placeBalf(db, subject.id)).region;
    case 'department': {
      if (subject.id === UNATTACHED_ID) return UNATTACHED_REGION;
      const dep = await db
        .selectFrom('departments')
        .select('region')
        .where('code', '=', subject.id)
        .executeTakeFirst();
      return regionOf(null, dep?.region ?? null);
    }
    case 'service': {
      const svc = await db
        .selectFrom('services as s')
        .innerJoin('departments as d', 'd.code', 's.department_code')
        .select(['s.region as serviceRegion', 'd.region as departmentRegion'])
        .where('s.code', '=', subject.id)
        .executeTakeFirst();
      return regionOf(svc?.serviceRegion ?? null, svc?.departmentRegion ?? null);
    }
  }
}
