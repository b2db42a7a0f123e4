/**
 * `record_refs` keyed by what the ingest looks it up by: (balf, ref_key, sent_key). Pairing reads the
 * references *to* received messages; the (balf, sent_key, ref_key) key only served uniqueness, which
 * the new key keeps (same columns). On SQLite the table becomes WITHOUT ROWID: one b-tree per
 * reference instead of three (rowid table, primary key, `record_refs_target`); on PostgreSQL the
 * heap keeps one index instead of two. The few reads by sent message (purge, rebuild) scan a BALF's
 * references, which they did already.
 */
import { PostgresAdapter, sql, type Kysely } from 'kysely';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations must not depend on current table types
type AnyDb = Kysely<any>;

const isPostgres = (db: AnyDb): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

export async function up(db: AnyDb): Promise<void> {
  if (isPostgres(db)) {
    await sql`alter table record_refs drop constraint record_refs_pk`.execute(db);
    await sql`alter table record_refs add constraint record_refs_pk primary key (balf, ref_key, sent_key)`.execute(
      db,
    );
    await db.schema.dropIndex('record_refs_target').ifExists().execute();
    return;
  }
  await sql`create table record_refs_next (
      balf text not null, ref_key text not null, sent_key text not null,
      position integer not null default 0,
      constraint record_refs_pk primary key (balf, ref_key, sent_key)
    ) without rowid`.execute(db);
  await sql`insert into record_refs_next (balf, ref_key, sent_key, position)
    select balf, ref_key, sent_key, position from record_refs`.execute(db);
  await db.schema.dropTable('record_refs').execute();
  await sql`alter table record_refs_next rename to record_refs`.execute(db);
}

export async function down(db: AnyDb): Promise<void> {
  if (isPostgres(db)) {
    await sql`alter table record_refs drop constraint record_refs_pk`.execute(db);
    await sql`alter table record_refs add constraint record_refs_pk primary key (balf, sent_key, ref_key)`.execute(
      db,
    );
  } else {
    await sql`create table record_refs_prev (
        balf text not null, sent_key text not null, ref_key text not null,
        position integer not null default 0,
        constraint record_refs_pk primary key (balf, sent_key, ref_key)
      )`.execute(db);
    await sql`insert into record_refs_prev (balf, sent_key, ref_key, position)
      select balf, sent_key, ref_key, position from record_refs`.execute(db);
    await db.schema.dropTable('record_refs').execute();
    await sql`alter table record_refs_prev rename to record_refs`.execute(db);
  }
  await db.schema.createIndex('record_refs_target').on('record_refs').columns(['balf', 'ref_key']).execute();
}
