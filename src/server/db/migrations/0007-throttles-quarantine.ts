/**
 * State that several server instances must share: fixed-window counters (login throttles, upload
 * rate limits), the addresses each login has succeeded from, and the quarantine of uploads a token
 * sent for addresses outside its scope.
 */
import type { Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('throttles')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('login', 'text')
    .addColumn('address', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max', 'integer', (c) => c.notNull())
    .addColumn('window_end', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('throttles_login').on('throttles').column('login').execute();
  await db.schema.createIndex('throttles_window_end').on('throttles').column('window_end').execute();
  await db.schema
    .createTable('login_addresses')
    .addColumn('login', 'text', (c) => c.notNull().references('users.login').onDelete('cascade'))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('last_success_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_addresses_pk', ['login', 'address'])
    .execute();
  await db.schema
    .createTable('quarantine')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('token_id', 'text', (c) => c.notNull())
    .addColumn('token_scope', 'text', (c) => c.notNull())
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('quarantine_pk', ['kind', 'id'])
    .execute();
  await db.schema.createIndex('quarantine_balf').on('quarantine').columns(['balf', 'received_at']).execute();
  await db.schema.createIndex('quarantine_scope').on('quarantine').columns(['token_scope', 'balf']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['quarantine', 'login_addresses', 'throttles'])
    await db.schema.dropTable(table).ifExists().execute();
}
