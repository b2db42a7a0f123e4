/**
 * Upload schema 2: received mail classified with its own headers, and request closures.
 * - `records.hdr`: 1 when the stored category was decided with the message's headers (a later
 *   classification made with them replaces one made from the message list alone).
 * - `record_refs.heuristic`: 1 for a reference from the request closure (`hre`), always paired as
 *   heuristic; 0 for `In-Reply-To`/`References` (`re`).
 * - `daily_flows.refined`, `department_daily_flows.refined`: received records of the row classified with
 *   headers; `count − refined` are the provisional ones the stats report as `unrefined`.
 * - `batches.updated`: records of the batch that refined a stored record, kept for replays' answers.
 * Every column defaults to 0, which is exactly what existing rows are (nothing was refined before this
 * schema): no row is rewritten, so the migration is instant on a national PostgreSQL.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

const COLUMNS = [
  ['records', 'hdr'],
  ['record_refs', 'heuristic'],
  ['daily_flows', 'refined'],
  ['department_daily_flows', 'refined'],
  ['batches', 'updated'],
] as const;

export async function up(db: AnyDb): Promise<void> {
  for (const [table, column] of COLUMNS) {
    await db.schema
      .alterTable(table)
      .addColumn(column, 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  }
}

export async function down(db: AnyDb): Promise<void> {
  for (const [table, column] of COLUMNS) await db.schema.alterTable(table).dropColumn(column).execute();
}
