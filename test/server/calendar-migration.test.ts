// Migration 0010-calendar-overlays on SQLite and PostgreSQL: applies after main's 0009-storage on an
// existing database, keeps one active declaration per scope and day (withdrawals kept), goes back down.
import { Migrator } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate, migrations } from '../../src/server/db/connect.ts';
import { databaseKinds, openTestDbAt } from './support.ts';

const row = (id: string, withdrawn: string | null) => ({
  id,
  scope: 'service:S75',
  day: '2025-06-03',
  state: 'closed' as const,
  label: 'Déménagement',
  source: 'Note',
  declared_by: 'admin',
  declared_at: '2025-06-01T08:00:00.000Z',
  withdrawn_by: withdrawn === null ? null : 'admin',
  withdrawn_at: withdrawn,
});

describe.each(databaseKinds)('migration 0010 on %s', (kind) => {
  it('comes right after 0009-storage and applies on a database at 0009, then goes back down', async () => {
    const names = Object.keys(migrations);
    expect(names.indexOf('0010-calendar-overlays')).toBe(names.indexOf('0009-storage') + 1);
    expect([...names].sort()).toEqual(names);
    const { db, close } = await openTestDbAt(kind, '0009-storage');
    try {
      await migrate(db);
      await db.insertInto('calendar_overlays').values(row('a', '2025-06-02T08:00:00.000Z')).execute();
      await db.insertInto('calendar_overlays').values(row('b', null)).execute();
      // A second active declaration of the same scope and day is refused by the partial unique index.
      await expect(db.insertInto('calendar_overlays').values(row('c', null)).execute()).rejects.toThrow();
      expect(await db.selectFrom('calendar_overlays').select('id').orderBy('id').execute()).toEqual([
        { id: 'a' },
        { id: 'b' },
      ]);
      const down = await new Migrator({
        db,
        provider: { getMigrations: async () => migrations },
      }).migrateTo('0009-storage');
      expect(down.error).toBeUndefined();
      await expect(db.selectFrom('calendar_overlays').selectAll().execute()).rejects.toThrow();
      await db.selectFrom('storage_days').selectAll().execute();
    } finally {
      await close();
    }
  });
});
