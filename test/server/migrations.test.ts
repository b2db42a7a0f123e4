// Every migration applies on a fresh SQLite and PostgreSQL database, leaves the expected tables, and runs once.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/server/db/connect.ts';
import type { Db } from '../../src/server/db/schema.ts';
import { databaseKinds, openTestDb, openTestDbAt, type DatabaseKind } from './support.ts';

const TABLES = [
  'departments',
  'services',
  'balfs',
  'records',
  'record_refs',
  'daily_flows',
  'daily_replies',
  'department_daily_flows',
  'department_daily_replies',
  'balf_homes',
  'batches',
  'tokens',
  'users',
  'sessions',
  'spot_checks',
  'settings',
];

describe.each(databaseKinds)('migrations on %s', (kind) => {
  it('create every table of the schema, and a second run changes nothing', async () => {
    const { db, close } = await openTestDb(kind);
    try {
      const query =
        kind === 'sqlite'
          ? sql<{ name: string }>`select name from sqlite_master where type = 'table'`
          : sql<{
              name: string;
            }>`select table_name as name from information_schema.tables where table_schema = 'public'`;
      const names = (await query.execute(db)).rows.map((r) => r.name);
      for (const table of TABLES) expect(names, `table ${table}`).toContain(table);
      await migrate(db);
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        db,
      );
      expect(applied.rows.map((r) => r.name)).toEqual([
        '0001-initial',
        '0002-ref-order',
        '0003-department-rollups',
        '0004-drop-day-indexes',
        '0005-refs-by-target',
      ]);
    } finally {
      await close();
    }
  });
});

describe.each(databaseKinds)('migration 0003 on %s', (kind) => {
  it('credits existing BALF rollups to their department (unattached and region included)', async () => {
    const { db, close } = await openTestDbAt(kind, '0002-ref-order');
    try {
      await db
        .insertInto('departments')
        .values({ code: '971', name: 'Guadeloupe', region: 'guadeloupe' })
        .execute();
      await db
        .insertInto('services')
        .values({ code: 'S', name: 'S', kind: 'SIP', department_code: '971', region: null })
        .execute();
      await db.insertInto('balfs').values({ address: 'a@x.fr', service_code: 'S' }).execute();
      await db
        .insertInto('daily_flows')
        .values([
          { balf: 'a@x.fr', day: '2025-06-02', dir: 'in', cat: 'usager', count: 3 },
          { balf: 'z@x.fr', day: '2025-06-02', dir: 'in', cat: 'usager', count: 2 },
        ])
        .execute();
      await db
        .insertInto('daily_replies')
        .values([
          { balf: 'a@x.fr', day: '2025-06-02', delay: 1, count: 3 },
          { balf: 'z@x.fr', day: '2025-06-02', delay: -1, count: 2 },
        ])
        .execute();
      await migrate(db);
      const flows = await db.selectFrom('department_daily_flows').selectAll().orderBy('department').execute();
      expect(flows.map((f) => [f.department, f.day, f.dir, f.cat, Number(f.count)])).toEqual([
        ['971', '2025-06-02', 'in', 'usager', 3],
        ['unattached', '2025-06-02', 'in', 'usager', 2],
      ]);
      const replies = await db
        .selectFrom('department_daily_replies')
        .selectAll()
        .orderBy('department')
        .execute();
      expect(replies.map((r) => [r.department, r.region, Number(r.delay), Number(r.count)])).toEqual([
        ['971', 'guadeloupe', 1, 3],
        ['unattached', 'metropole', -1, 2],
      ]);
    } finally {
      await close();
    }
  });
});

/** Names of the indexes on `tables` (SQLite: from sqlite_master; PostgreSQL: pg_indexes), sorted. */
async function indexNames(db: Db, kind: DatabaseKind, tables: readonly string[]): Promise<string[]> {
  const list = sql.join(tables.map((t) => sql.lit(t)));
  const query =
    kind === 'sqlite'
      ? sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name in (${list})`
      : sql<{ name: string }>`select indexname as name from pg_indexes where tablename in (${list})`;
  return (await query.execute(db)).rows.map((r) => r.name).sort();
}

describe.each(databaseKinds)('migration 0004 on %s', (kind) => {
  it('drops the day indexes of the BALF rollups and keeps their primary keys', async () => {
    const { db, close } = await openTestDbAt(kind, '0003-department-rollups');
    try {
      const indexes = (): Promise<string[]> => indexNames(db, kind, ['daily_flows', 'daily_replies']);
      expect(await indexes()).toEqual(expect.arrayContaining(['daily_flows_day', 'daily_replies_day']));
      await migrate(db);
      const after = await indexes();
      expect(after).not.toContain('daily_flows_day');
      expect(after).not.toContain('daily_replies_day');
      // The primary keys stay (SQLite names them sqlite_autoindex_…, PostgreSQL by constraint).
      expect(after).toHaveLength(2);
    } finally {
      await close();
    }
  });
});

describe.each(databaseKinds)('migration 0005 on %s', (kind) => {
  it('keys record_refs by (balf, ref_key, sent_key), keeping every reference and its position', async () => {
    const { db, close } = await openTestDbAt(kind, '0004-drop-day-indexes');
    try {
      const refs = [
        { balf: 'a@x.fr', sent_key: 's1', ref_key: 'r1', position: 0 },
        { balf: 'a@x.fr', sent_key: 's1', ref_key: 'r2', position: 1 },
        { balf: 'a@x.fr', sent_key: 's2', ref_key: 'r1', position: 0 },
        { balf: 'b@x.fr', sent_key: 's1', ref_key: 'r1', position: 0 },
      ];
      await db.insertInto('record_refs').values(refs).execute();
      await migrate(db);
      const rows = await db
        .selectFrom('record_refs')
        .select(['balf', 'sent_key', 'ref_key', 'position'])
        .orderBy('balf')
        .orderBy('sent_key')
        .orderBy('ref_key')
        .execute();
      expect(rows.map((r) => ({ ...r, position: Number(r.position) }))).toEqual(refs);
      // Still unique on the same three columns: a repeated reference is a conflict, ignored by the ingest.
      await expect(db.insertInto('record_refs').values(refs[1]!).execute()).rejects.toThrow();
      await db
        .insertInto('record_refs')
        .values(refs[1]!)
        .onConflict((oc) => oc.columns(['balf', 'ref_key', 'sent_key']).doNothing())
        .execute();
      // One b-tree: SQLite's WITHOUT ROWID table is its primary key; PostgreSQL keeps only the key's index.
      expect(await indexNames(db, kind, ['record_refs'])).toEqual(
        kind === 'sqlite' ? [] : ['record_refs_pk'],
      );
    } finally {
      await close();
    }
  });
});
