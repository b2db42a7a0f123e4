/**
 * Calendar overlays in the database: declare, withdraw and list them, resolve the overrides of a BALF's
 * place, and recompute the stored delays of every BALF a declaration concerns (history included).
 */
import { randomUUID } from 'node:crypto';
import { parseOverlayScope, type CalendarOverlay } from '../../core/calendar.ts';
import type { Database, Db } from '../db/schema.ts';
import { recomputeBalf, type RecomputeOptions } from '../ingest/recompute.ts';

export interface StoredOverlay extends CalendarOverlay {
  id: string;
  declaredBy: string;
  declaredAt: string;
  withdrawnBy: string | null;
  withdrawnAt: string | null;
}

function toStored(r: Database['calendar_overlays']): StoredOverlay {
  return {
    id: r.id,
    scope: r.scope,
    day: r.day,
    state: r.state,
    label: r.label,
    source: r.source,
    declaredBy: r.declared_by,
    declaredAt: r.declared_at,
    withdrawnBy: r.withdrawn_by,
    withdrawnAt: r.withdrawn_at,
  };
}

/** Declarations of the given scopes (all scopes when undefined), by day then scope. */
export async function listOverlays(
  db: Db,
  options: { scopes?: readonly string[]; from?: string; to?: string; withdrawn?: boolean },
): Promise<StoredOverlay[]> {
  let q = db.selectFrom('calendar_overlays').selectAll();
  if (options.scopes) {
    if (options.scopes.length === 0) return [];
    q = q.where('scope', 'in', [...options.scopes]);
  }
  if (options.from) q = q.where('day', '>=', options.from);
  if (options.to) q = q.where('day', '<=', options.to);
  if (!options.withdrawn) q = q.where('withdrawn_at', 'is', null);
  const rows = await q.orderBy('day').orderBy('scope').orderBy('declared_at').execute();
  return rows.map(toStored);
}

/**
 * Stores declarations in one transaction; an active declaration of the same scope and day is
 * withdrawn by the new one (the last word wins, the old one stays in the record).
 */
export async function declareOverlays(
  db: Db,
  entries: readonly CalendarOverlay[],
  by: string,
  now: Date,
): Promise<StoredOverlay[]> {
  for (const e of entries) parseOverlayScope(e.scope);
  const at = now.toISOString();
  return db.transaction().execute(async (trx) => {
    const out: StoredOverlay[] = [];
    for (const e of entries) {
      await trx
        .updateTable('calendar_overlays')
        .set({ withdrawn_at: at, withdrawn_by: by })
        .where('scope', '=', e.scope)
        .where('day', '=', e.day)
        .where('withdrawn_at', 'is', null)
        .execute();
      const row = {
        id: randomUUID(),
        scope: e.scope,
        day: e.day,
        state: e.state,
        label: e.label,
        source: e.source,
        declared_by: by,
        declared_at: at,
        withdrawn_by: null,
        withdrawn_at: null,
      };
      await trx.insertInto('calendar_overlays').values(row).execute();
      out.push(toStored(row));
    }
    return out;
  });
}

/** The active declaration with this id, or undefined. */
export async function activeOverlay(db: Db, id: string): Promise<StoredOverlay | undefined> {
  const row = await db
    .selectFrom('calendar_overlays')
    .selectAll()
    .where('id', '=', id)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  return row ? toStored(row) : undefined;
}

/** Withdraws an active declaration; false when there is none with this id. */
export async function withdrawOverlay(db: Db, id: string, by: string, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('calendar_overlays')
    .set({ withdrawn_at: now.toISOString(), withdrawn_by: by })
    .where('id', '=', id)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** BALFs whose place a scope covers: those with counts credited there, and a service's directory BALFs. */
export async function balfsOfScope(db: Db, scope: string): Promise<string[]> {
  const parsed = parseOverlayScope(scope);
  let rows: { balf: string }[];
  switch (parsed.kind) {
    case 'nation':
      rows = await db.selectFrom('balf_homes').select('balf').execute();
      break;
    case 'region':
      rows = await db.selectFrom('balf_homes').select('balf').where('region', '=', parsed.region).execute();
      break;
    case 'department':
      rows = await db.selectFrom('balf_homes').select('balf').where('department', '=', parsed.code).execute();
      break;
    case 'service':
      rows = await db
        .selectFrom('balfs as b')
        .innerJoin('balf_homes as h', 'h.balf', 'b.address')
        .select('h.balf')
        .where('b.service_code', '=', parsed.code)
        .execute();
      break;
  }
  return rows.map((r) => r.balf).sort();
}

/**
 * Recomputes every BALF of the given scopes from its records — the same rebuild as a directory move
 * or a change of the Whit Monday setting (ingest/recompute.ts), which reads the overlays itself.
 * Returns how many BALFs were recomputed.
 */
export async function recomputeScopes(
  db: Db,
  scopes: Iterable<string>,
  options: RecomputeOptions = {},
): Promise<number> {
  const balfs = new Set<string>();
  for (const scope of new Set(scopes)) for (const b of await balfsOfScope(db, scope)) balfs.add(b);
  for (const balf of [...balfs].sort()) await recomputeBalf(db, balf, options);
  return balfs.size;
}
