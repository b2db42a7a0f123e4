/**
 * Replies sent from another identity than the BALF's (upload field `via`): the flag on each sent record
 * (`records.via`, null when the reply left from the BALF itself) and its daily rollup per BALF
 * (`daily_sent_via`), kept like the other rollups when old records are purged. No department rollup:
 * such replies are few, and national queries group them through `balf_homes`.
 */
import { sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  // A nullable column without default: instant on SQLite and PostgreSQL, whatever the table's size.
  await db.schema.alterTable('records').addColumn('via', 'text').execute();
  await db.schema
    .createTable('daily_sent_via')
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('daily_sent_via_pk', ['balf', 'day', 'via'])
    .execute();
  // Stats read a period of days across every BALF (national, department): by day first.
  await db.schema.createIndex('daily_sent_via_day').on('daily_sent_via').columns(['day', 'balf']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('daily_sent_via').ifExists().execute();
  await sql`alter table records drop column via`.execute(db);
}
