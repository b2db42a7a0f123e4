/**
 * The storage watch (issue 27): IMAP quota readings, one per BALF per hour (`storage_samples`), and the
 * last one of each day in the BALF's region (`storage_days`), which the trend and the dashboard read.
 * Both keep a reading without quota (limit null: « quota inconnu ») apart from one with.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('storage_samples')
    .addColumn('balf', 'text', (c) => c.notNull())
    /** UTC hour of the reading, `YYYY-MM-DDTHH`. */
    .addColumn('hour', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('used_bytes', 'bigint')
    .addColumn('limit_bytes', 'bigint')
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('storage_samples_pk', ['balf', 'hour'])
    .execute();
  await db.schema
    .createTable('storage_days')
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('used_bytes', 'bigint')
    .addColumn('limit_bytes', 'bigint')
    .addPrimaryKeyConstraint('storage_days_pk', ['balf', 'day'])
    .execute();
  // The national line reads the last 90 days of every BALF.
  await db.schema.createIndex('storage_days_day').on('storage_days').columns(['day', 'balf']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('storage_days').ifExists().execute();
  await db.schema.dropTable('storage_samples').ifExists().execute();
}
