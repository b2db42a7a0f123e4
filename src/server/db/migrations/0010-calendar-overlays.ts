/**
 * Calendar overlays: days closed (or exceptionally open) declared for the nation, a region, a
 * department or a service. A withdrawal keeps the row (withdrawn_at) so the history of declarations
 * stays readable; at most one active declaration per scope and day.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('calendar_overlays')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('declared_by', 'text', (c) => c.notNull())
    .addColumn('declared_at', 'text', (c) => c.notNull())
    .addColumn('withdrawn_by', 'text')
    .addColumn('withdrawn_at', 'text')
    .execute();
  // Partial unique index: same syntax on SQLite and PostgreSQL.
  await sql`create unique index calendar_overlays_active on calendar_overlays (scope, day)
    where withdrawn_at is null`.execute(db);
  await db.schema.createIndex('calendar_overlays_day').on('calendar_overlays').columns(['day']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('calendar_overlays').ifExists().execute();
}
