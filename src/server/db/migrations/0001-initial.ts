/** First schema: directory, records and rollups, ingest batches, tokens, users, sessions, spot-checks. */
import type { Kysely } from 'kysely';

// Migrations take Kysely<any>: they describe the past, not today's types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('departments')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('services')
    .addColumn('code', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('department_code', 'text', (c) => c.notNull().references('departments.code'))
    .addColumn('region', 'text')
    .execute();
  await db.schema.createIndex('services_department').on('services').column('department_code').execute();
  await db.schema
    .createTable('balfs')
    .addColumn('address', 'text', (c) => c.primaryKey())
    .addColumn('service_code', 'text', (c) => c.notNull().references('services.code'))
    .execute();
  await db.schema.createIndex('balfs_service').on('balfs').column('service_code').execute();

  await db.schema
    .createTable('records')
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('dir', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('cat', 'text', (c) => c.notNull())
    .addColumn('heuristic', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('answered_at', 'text')
    .addColumn('answer_heuristic', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('records_pk', ['balf', 'key'])
    .execute();
  await db.schema.createIndex('records_balf_day').on('records').columns(['balf', 'day']).execute();
  await db.schema
    .createTable('record_refs')
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('sent_key', 'text', (c) => c.notNull())
    .addColumn('ref_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('record_refs_pk', ['balf', 'sent_key', 'ref_key'])
    .execute();
  await db.schema.createIndex('record_refs_target').on('record_refs').columns(['balf', 'ref_key']).execute();

  await db.schema
    .createTable('daily_flows')
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('dir', 'text', (c) => c.notNull())
    .addColumn('cat', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('daily_flows_pk', ['balf', 'day', 'dir', 'cat'])
    .execute();
  await db.schema.createIndex('daily_flows_day').on('daily_flows').columns(['day', 'balf']).execute();
  await db.schema
    .createTable('daily_replies')
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('delay', 'integer', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('daily_replies_pk', ['balf', 'day', 'delay'])
    .execute();
  await db.schema.createIndex('daily_replies_day').on('daily_replies').columns(['day', 'balf']).execute();

  await db.schema
    .createTable('batches')
    .addColumn('batch_id', 'text', (c) => c.primaryKey())
    .addColumn('token_id', 'text', (c) => c.notNull())
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer')
    .addColumn('records', 'integer', (c) => c.notNull())
    .addColumn('accepted', 'integer', (c) => c.notNull())
    .addColumn('duplicates', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('can_write', 'integer', (c) => c.notNull())
    .addColumn('label', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema
    .createTable('users')
    .addColumn('login', 'text', (c) => c.primaryKey())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('failed_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'text')
    .execute();
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('login', 'text', (c) => c.notNull().references('users.login').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('spot_checks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('balf', 'text', (c) => c.notNull())
    .addColumn('token_id', 'text', (c) => c.notNull())
    .addColumn('from_day', 'text', (c) => c.notNull())
    .addColumn('to_day', 'text', (c) => c.notNull())
    .addColumn('done_at', 'text', (c) => c.notNull())
    .addColumn('seed', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('target_days', 'integer', (c) => c.notNull())
    .addColumn('population', 'integer', (c) => c.notNull())
    .addColumn('sample_size', 'integer', (c) => c.notNull())
    .addColumn('conforme', 'integer', (c) => c.notNull())
    .addColumn('non_conforme', 'integer', (c) => c.notNull())
    .addColumn('sans_objet', 'integer', (c) => c.notNull())
    .addColumn('auto_in_time', 'integer', (c) => c.notNull())
    .addColumn('auto_late', 'integer', (c) => c.notNull())
    .addColumn('auto_pending', 'integer', (c) => c.notNull())
    .addColumn('auto_overdue', 'integer', (c) => c.notNull())
    .addColumn('disagreements', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('spot_checks_balf').on('spot_checks').columns(['balf', 'from_day']).execute();

  await db.schema
    .createTable('settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'settings',
    'spot_checks',
    'sessions',
    'users',
    'tokens',
    'batches',
    'daily_replies',
    'daily_flows',
    'record_refs',
    'records',
    'balfs',
    'services',
    'departments',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
