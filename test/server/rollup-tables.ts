// Every rollup row of a database, in a fixed order with numbers as numbers: two states compare with toEqual.
import { sql } from 'kysely';
import type { Db } from '../../src/server/db/schema.ts';

type Row = Record<string, unknown>;

/** Rows of `table` sorted by `order`, every listed numeric column read as a number. */
async function rows(db: Db, table: string, order: string, numeric: readonly string[]): Promise<Row[]> {
  const { rows } = await sql<Row>`select * from ${sql.table(table)} order by ${sql.raw(order)}`.execute(db);
  return rows.map((r) => {
    const out: Row = { ...r };
    for (const c of numeric) if (c in out) out[c] = Number(out[c]);
    return out;
  });
}

export async function rollupTables(db: Db) {
  return {
    daily_flows: await rows(db, 'daily_flows', 'balf, day, dir, cat', ['count', 'refined']),
    department_daily_flows: await rows(db, 'department_daily_flows', 'department, day, dir, cat', [
      'count',
      'refined',
    ]),
    daily_replies: await rows(db, 'daily_replies', 'balf, day, delay', ['count', 'delay']),
    department_daily_replies: await rows(db, 'department_daily_replies', 'department, region, day, delay', [
      'count',
      'delay',
    ]),
  };
}
