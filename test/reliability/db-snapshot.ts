// Row counts and a SHA-256 of every data table, to prove a rejected request changed nothing.
import { createHash } from 'node:crypto';
import type { Db } from '../../src/server/db/schema.ts';

/** Data tables whose content an ingest may change (sessions/tokens are not touched by ingest). */
export const DATA_TABLES = [
  'records',
  'record_refs',
  'daily_flows',
  'daily_replies',
  'department_daily_flows',
  'department_daily_replies',
  'balf_homes',
  'batches',
  'balfs',
  'services',
  'departments',
  'spot_checks',
  'quarantine',
] as const;

export interface DbSnapshot {
  counts: Record<string, number>;
  checksum: string;
}

/** Rows sorted by their JSON text, so the checksum does not depend on the engine's row order. */
export async function snapshot(db: Db): Promise<DbSnapshot> {
  const counts: Record<string, number> = {};
  const hash = createHash('sha256');
  for (const table of DATA_TABLES) {
    const rows = await db.selectFrom(table).selectAll().execute();
    counts[table] = rows.length;
    // Counts come back as strings from PostgreSQL bigint columns and numbers from SQLite: normalise.
    const lines = rows
      .map((r) =>
        JSON.stringify(
          Object.entries(r as Record<string, unknown>)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v == null ? null : String(v)]),
        ),
      )
      .sort();
    hash.update(`${table}\n${lines.join('\n')}\n`);
  }
  return { counts, checksum: hash.digest('hex') };
}
