/**
 * Who sees and who declares calendar overlays: everyone reads the declarations that apply to their
 * scope; a national user declares for any scope, a departmental user for their department and its
 * services; nobody else declares (service users and tokens read only).
 */
import { isRegion, parseOverlayScope, type OverlayScope } from '../../core/calendar.ts';
import { notFoundInScope, type Principal } from '../auth/scope.ts';
import type { Db } from '../db/schema.ts';
import { HttpError } from '../http-error.ts';

/** Scopes whose declarations a principal reads; undefined: all (national). */
export async function visibleScopes(db: Db, principal: Principal): Promise<OverlayScope[] | undefined> {
  const scope = principal.scope;
  if (scope.level === 'national') return undefined;
  const services = await db
    .selectFrom('services as s')
    .innerJoin('departments as d', 'd.code', 's.department_code')
    .select(['s.code', 's.department_code', 's.region', 'd.region as departmentRegion'])
    .where(scope.level === 'department' ? 's.department_code' : 's.code', '=', scope.code)
    .execute();
  const out = new Set<OverlayScope>(['nation']);
  if (scope.level === 'department') {
    out.add(`department:${scope.code}`);
    const department = await db
      .selectFrom('departments')
      .select('region')
      .where('code', '=', scope.code)
      .executeTakeFirst();
    if (department && isRegion(department.region)) out.add(`region:${department.region}`);
  }
  for (const s of services) {
    const region = s.region ?? s.departmentRegion;
    if (isRegion(region)) out.add(`region:${region}`);
    out.add(`department:${s.department_code}`);
    out.add(`service:${s.code}`);
  }
  return [...out];
}

/** Throws 403 unless `principal` may declare or withdraw at all (a national or departmental user). */
export function requireDeclarer(principal: Principal): void {
  if (principal.kind !== 'user' || principal.scope.level === 'service') {
    throw new HttpError(
      403,
      'forbidden_scope',
      'Déclarer un jour au calendrier est réservé aux utilisateurs nationaux et départementaux connectés.',
    );
  }
}

/**
 * Throws unless `principal` may declare or withdraw for `scope`: 403 for a scope above the caller's
 * level, 404 (as for an unknown node) for a department or service outside it or not in the directory.
 */
export async function requireDeclarable(db: Db, principal: Principal, scope: OverlayScope): Promise<void> {
  const parsed = parseOverlayScope(scope);
  const mine = principal.scope;
  requireDeclarer(principal);
  if (parsed.kind === 'nation' || parsed.kind === 'region') {
    if (mine.level !== 'national')
      throw new HttpError(
        403,
        'forbidden_scope',
        'Seul un utilisateur national déclare un jour pour la nation ou une région.',
      );
    return;
  }
  if (parsed.kind === 'department') {
    const known = await db
      .selectFrom('departments')
      .select('code')
      .where('code', '=', parsed.code)
      .executeTakeFirst();
    if (!known || (mine.level === 'department' && mine.code !== parsed.code))
      throw notFoundInScope(`Département « ${parsed.code} »`);
    return;
  }
  const service = await db
    .selectFrom('services')
    .select('department_code')
    .where('code', '=', parsed.code)
    .executeTakeFirst();
  if (!service || (mine.level === 'department' && mine.code !== service.department_code))
    throw notFoundInScope(`Service « ${parsed.code} »`);
}
