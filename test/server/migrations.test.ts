// Every migration applies on a fresh SQLite database and leaves the expected tables.
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/server/db/connect.ts';

describe('migrations on SQLite', () => {
  it('create every table of the schema', async () => {
    const { db, close } = await openDatabase({ kind: 'sqlite', file: ':memory:' });
    const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db);
    const names = rows.rows.map((r) => r.name);
    for (const table of [
      'departments',
      'services',
      'balfs',
      'records',
      'record_refs',
      'daily_flows',
      'daily_replies',
      'batches',
      'tokens',
      'users',
      'sessions',
      'spot_checks',
      'settings',
    ]) {
      expect(names, `table ${table}`).toContain(table);
    }
    await close();
  });
});
