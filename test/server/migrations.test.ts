// Every migration applies on a fresh SQLite and PostgreSQL database, leaves the expected tables, and runs once.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/server/db/connect.ts';
import { databaseKinds, openTestDb } from './support.ts';

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
      ]);
    } finally {
      await close();
    }
  });
});
