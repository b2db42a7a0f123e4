/**
 * What a stats query is about: the directory node named by (level, id), who may see it, which
 * rollup rows belong to it and how they group into its children (the "build" step).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Level } from '../../core/protocol.ts';
import type { Db } from '../db/schema.ts';
import { HttpError } from '../http-error.ts';
import { canSee, notFoundInScope, type Placement, type Scope } from '../auth/scope.ts';
import { unattachedAddresses } from '../directory/placement.ts';

export const UNATTACHED_ID = 'unattached';
export const UNATTACHED_NAME = 'Non rattachées';

export interface Child {
  level: Level;
  id: string;
  name: string;
}

export interface Subject {
  level: Level;
  id: string;
  name: string;
  /** SQL condition on aliases f (rollup row), b (balfs), s (services). */
  where: RawBuilder<unknown>;
  /** SQL expression naming the child a rollup row belongs to. */
  childExpr: RawBuilder<unknown>;
  /** Children in display order, zero rows included (filled after the query for unattached BALFs). */
  children: Child[];
  childrenFromData: boolean;
  childLevel: Level | null;
  /** National queries read the department rollups (one row per department, not per BALF). */
  rollup: 'balf' | 'department';
  /**
   * Only directory BALFs: inner joins let the database start from the department's or service's
   * BALFs and read their rollups by primary key, instead of scanning every BALF's days.
   */
  attachedOnly: boolean;
}

/** The user's scope in words: « votre périmètre : le département 75 ». */
function scopeInWords(scope: Scope): string {
  if (scope.level === 'national') return 'le niveau national';
  return `${scope.level === 'department' ? 'le département' : 'le service'} ${scope.code}`;
}

/**
 * The 403 of the national view and the unattached pseudo-department, which always exist (refusing
 * them tells nothing). `what` names the thing and agrees with its verb: « La vue nationale n’est
 * pas… », « Les BALF non rattachées ne sont pas… ».
 */
function forbidden(scope: Scope, what: { text: string; plural?: true }): HttpError {
  const verb = what.plural === true ? 'ne sont pas' : 'n’est pas';
  return new HttpError(
    403,
    'forbidden_scope',
    `${what.text} ${verb} dans votre périmètre (${scopeInWords(scope)}).`,
  );
}

export async function resolveSubject(db: Db, level: Level, id: string, scope: Scope): Promise<Subject> {
  const check = (place: Placement, what: { text: string; plural?: true }): void => {
    if (!canSee(scope, place)) throw forbidden(scope, what);
  };
  // A real node out of scope answers as an unknown one (see notFoundInScope).
  const visible = (place: Placement | null, what: string): void => {
    if (place === null || !canSee(scope, place)) throw notFoundInScope(what);
  };
  switch (level) {
    case 'national': {
      check({ department: null, service: null }, { text: 'La vue nationale' });
      const departments = await db
        .selectFrom('departments')
        .select(['code', 'name'])
        .orderBy('code')
        .execute();
      return {
        level,
        id: 'national',
        name: 'National',
        where: sql`1 = 1`,
        childExpr: sql`coalesce(s.department_code, ${UNATTACHED_ID})`,
        children: [
          ...departments.map((d) => ({ level: 'department' as const, id: d.code, name: d.name })),
          { level: 'department', id: UNATTACHED_ID, name: UNATTACHED_NAME },
        ],
        childrenFromData: false,
        childLevel: 'department',
        rollup: 'department',
        attachedOnly: false,
      };
    }
    case 'department': {
      if (id === UNATTACHED_ID) {
        check({ department: null, service: null }, { text: 'Les BALF non rattachées', plural: true });
        return {
          level,
          id,
          name: UNATTACHED_NAME,
          where: sql`f.balf in (${unattachedAddresses})`,
          childExpr: sql`f.balf`,
          children: [],
          childrenFromData: true,
          childLevel: 'balf',
          rollup: 'balf',
          attachedOnly: false,
        };
      }
      const dep = await db
        .selectFrom('departments')
        .select(['code', 'name'])
        .where('code', '=', id)
        .executeTakeFirst();
      visible(dep ? { department: dep.code, service: null } : null, `Département ${id}`);
      const services = await db
        .selectFrom('services')
        .select(['code', 'name'])
        .where('department_code', '=', id)
        .orderBy('code')
        .execute();
      return {
        level,
        id,
        name: dep!.name,
        where: sql`s.department_code = ${id}`,
        childExpr: sql`s.code`,
        children: services.map((s) => ({ level: 'service' as const, id: s.code, name: s.name })),
        childrenFromData: false,
        childLevel: 'service',
        rollup: 'balf',
        attachedOnly: true,
      };
    }
    case 'service': {
      const svc = await db
        .selectFrom('services')
        .select(['code', 'name', 'department_code'])
        .where('code', '=', id)
        .executeTakeFirst();
      visible(svc ? { department: svc.department_code, service: svc.code } : null, `Service ${id}`);
      const balfs = await db
        .selectFrom('balfs')
        .select('address')
        .where('service_code', '=', id)
        .orderBy('address')
        .execute();
      return {
        level,
        id,
        name: svc!.name,
        where: sql`b.service_code = ${id}`,
        childExpr: sql`f.balf`,
        children: balfs.map((b) => ({ level: 'balf' as const, id: b.address, name: b.address })),
        childrenFromData: false,
        childLevel: 'balf',
        rollup: 'balf',
        attachedOnly: true,
      };
    }
    case 'balf': {
      const row = await db
        .selectFrom('balfs as b')
        .innerJoin('services as s', 's.code', 'b.service_code')
        .select(['b.address', 's.code', 's.department_code'])
        .where('b.address', '=', id)
        .executeTakeFirst();
      // A BALF outside the directory ("non rattachée") is the national scope's only.
      visible({ department: row?.department_code ?? null, service: row?.code ?? null }, `BALF ${id}`);
      return {
        level,
        id,
        name: id,
        where: sql`f.balf = ${id}`,
        childExpr: sql`f.balf`,
        children: [],
        childrenFromData: false,
        childLevel: null,
        rollup: 'balf',
        attachedOnly: false,
      };
    }
  }
}
