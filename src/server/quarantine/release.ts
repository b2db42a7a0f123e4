/**
 * Leaving quarantine (see `hold.ts`): held uploads enter the counts once the directory places their
 * address within the sending token's scope; users list what their scope's tokens had held, attach
 * an address, or drop what was sent by mistake.
 */
import { sql } from 'kysely';
import type { SpotCheckSummary, TallyBatch } from '../../core/protocol.ts';
import {
  canSee,
  formatScope,
  notFoundInScope,
  parseScope,
  type Principal,
  type Scope,
} from '../auth/scope.ts';
import type { Db } from '../db/schema.ts';
import { HttpError } from '../http-error.ts';
import { placeBalf } from '../ingest/directory.ts';
import { ingestBatch } from '../ingest/ingest.ts';
import { insertSpotCheck } from './spot-check-store.ts';

export interface ReleaseResult {
  released: number;
  /** Held uploads whose id had meanwhile been used by another upload: dropped, said in the log. */
  conflicts: number;
}

/**
 * Moves into the counts the held uploads of a BALF whose sending token's scope now covers the
 * address, oldest first, each through the ordinary ingest (so a replay of the same batch later
 * answers as any stored batch). Uploads still outside their token's scope stay held.
 */
export async function releaseQuarantine(
  db: Db,
  balf: string,
  options: { now: Date; whitMondayWorked: boolean },
): Promise<ReleaseResult> {
  const placement = await placeBalf(db, balf);
  if (placement.department === null) return { released: 0, conflicts: 0 };
  const rows = await db
    .selectFrom('quarantine')
    .selectAll()
    .where('balf', '=', balf)
    .orderBy('received_at')
    .orderBy('id')
    .execute();
  const result: ReleaseResult = { released: 0, conflicts: 0 };
  for (const row of rows) {
    const scope = parseScope(row.token_scope);
    if (!canSee(scope, placement)) continue;
    const principal: Principal = { kind: 'token', id: row.token_id, scope, canWrite: true };
    try {
      if (row.kind === 'tallies') {
        await ingestBatch(db, JSON.parse(row.payload) as TallyBatch, {
          principal,
          now: options.now,
          whitMondayWorked: options.whitMondayWorked,
        });
      } else {
        await insertSpotCheck(db, JSON.parse(row.payload) as SpotCheckSummary, row.token_id, options.now);
      }
      result.released += 1;
    } catch (error) {
      if (!(error instanceof HttpError) || error.statusCode !== 409) throw error;
      result.conflicts += 1;
    }
    await db.deleteFrom('quarantine').where('kind', '=', row.kind).where('id', '=', row.id).execute();
  }
  return result;
}

/** Releases every held BALF the directory now places (after an import, which may place many). */
export async function releaseAllPlaced(
  db: Db,
  options: { now: Date; whitMondayWorked: boolean },
): Promise<ReleaseResult> {
  const rows = await db
    .selectFrom('quarantine as q')
    .innerJoin('balfs as b', 'b.address', 'q.balf')
    .select('q.balf')
    .distinct()
    .orderBy('q.balf')
    .execute();
  const total: ReleaseResult = { released: 0, conflicts: 0 };
  for (const { balf } of rows) {
    const r = await releaseQuarantine(db, balf, options);
    total.released += r.released;
    total.conflicts += r.conflicts;
  }
  return total;
}

export interface HeldBalf {
  balf: string;
  uploads: number;
  records: number;
  firstReceived: string;
  lastReceived: string;
  /** Scopes of the tokens that sent them (`department:<code>`). */
  tokenScopes: string[];
}

/** Condition on `quarantine q` restricting to what a scope may see: its own tokens' uploads. */
function scopeCondition(scope: Scope) {
  return scope.level === 'national'
    ? sql<boolean>`1 = 1`
    : sql<boolean>`q.token_scope = ${formatScope(scope)}`;
}

/** Held BALFs visible to a scope, one page in address order, with how many there are in all. */
export async function listQuarantine(
  db: Db,
  scope: Scope,
  page: { limit: number; offset: number },
): Promise<{ total: number; balfs: HeldBalf[] }> {
  const where = scopeCondition(scope);
  const total = await db
    .selectFrom('quarantine as q')
    .where(where)
    .select((eb) => eb.fn.count<number | string>(sql`distinct q.balf`).as('n'))
    .executeTakeFirstOrThrow();
  const rows = await db
    .selectFrom('quarantine as q')
    .where(where)
    .select((eb) => [
      'q.balf',
      eb.fn.count<number | string>('q.id').as('uploads'),
      eb.fn.sum<number | string>('q.records').as('records'),
      eb.fn.min('q.received_at').as('first'),
      eb.fn.max('q.received_at').as('last'),
    ])
    .groupBy('q.balf')
    .orderBy('q.balf')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const scopes = new Map<string, Set<string>>();
  if (rows.length > 0) {
    const pairs = await db
      .selectFrom('quarantine as q')
      .where(where)
      .where(
        'q.balf',
        'in',
        rows.map((r) => r.balf),
      )
      .select(['q.balf', 'q.token_scope'])
      .distinct()
      .execute();
    for (const p of pairs) {
      let set = scopes.get(p.balf);
      if (!set) scopes.set(p.balf, (set = new Set()));
      set.add(p.token_scope);
    }
  }
  return {
    total: Number(total.n),
    balfs: rows.map((r) => ({
      balf: r.balf,
      uploads: Number(r.uploads),
      records: Number(r.records),
      firstReceived: String(r.first),
      lastReceived: String(r.last),
      tokenScopes: [...(scopes.get(r.balf) ?? [])].sort(),
    })),
  };
}

/** Drops the held uploads of a BALF that a scope may see; returns how many. */
export async function discardQuarantine(db: Db, scope: Scope, balf: string): Promise<number> {
  let query = db.deleteFrom('quarantine').where('balf', '=', balf);
  if (scope.level !== 'national') query = query.where('token_scope', '=', formatScope(scope));
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface AttachOptions {
  now: Date;
  whitMondayWorked: boolean;
  /** History recompute of a BALF the directory now places (records already counted as « non rattachées »). */
  onBalfChanged?: (db: Db, balf: string) => Promise<void>;
}

/**
 * Attaches an address missing from the directory to a service, then releases what was held for it.
 * A national user may attach any such address to any service; a department user only an address its
 * department's tokens sent, to a service of its department. Unknown and out-of-scope answer alike.
 */
export async function attachBalf(
  db: Db,
  principal: Principal,
  balf: string,
  serviceCode: string,
  options: AttachOptions,
): Promise<{ department: string; service: string; released: ReleaseResult }> {
  if (principal.scope.level === 'service')
    throw new HttpError(
      403,
      'forbidden',
      'Rattacher une BALF est réservé aux utilisateurs nationaux ou départementaux.',
    );
  const held = `BALF ${balf} en attente de rattachement`;
  if (principal.scope.level === 'department') {
    const mine = await db
      .selectFrom('quarantine')
      .select('id')
      .where('balf', '=', balf)
      .where('token_scope', '=', formatScope(principal.scope))
      .limit(1)
      .executeTakeFirst();
    if (!mine) throw notFoundInScope(held);
  }
  const service = await db
    .selectFrom('services')
    .select(['code', 'department_code'])
    .where('code', '=', serviceCode)
    .executeTakeFirst();
  if (!service || !canSee(principal.scope, { department: service.department_code, service: service.code }))
    throw notFoundInScope(`Service ${serviceCode}`);
  const inserted = await db
    .insertInto('balfs')
    .values({ address: balf, service_code: service.code })
    .onConflict((oc) => oc.column('address').doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
    throw new HttpError(
      409,
      'already_attached',
      `La BALF ${balf} est déjà dans l’annuaire : un changement de service se fait par un import de l’annuaire.`,
    );
  }
  await options.onBalfChanged?.(db, balf);
  const released = await releaseQuarantine(db, balf, options);
  return { department: service.department_code, service: service.code, released };
}
