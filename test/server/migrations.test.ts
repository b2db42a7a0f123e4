// Every migration applies on a fresh SQLite and PostgreSQL database, leaves the expected tables, and runs once.
import { Migrator, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { migrate, migrations } from '../../src/server/db/connect.ts';
import type { Db } from '../../src/server/db/schema.ts';
import {
  batch,
  databaseKinds,
  getStats,
  openTestDb,
  openTestDbAt,
  post,
  token,
  type DatabaseKind,
} from './support.ts';

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
  'daily_sent_via',
  'balf_homes',
  'batches',
  'tokens',
  'users',
  'sessions',
  'spot_checks',
  'settings',
  'throttles',
  'login_addresses',
  'quarantine',
  'storage_samples',
  'storage_days',
  'notification_subscriptions',
  'notification_outbox',
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
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(migrations).sort());
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

describe.each(databaseKinds)('migration 0006 on %s', (kind) => {
  it('counts every record stored before it as not refined, and a refined upload then replaces it', async () => {
    const { db, close } = await openTestDbAt(kind, '0005-refs-by-target');
    const balf = 'a@x.fr';
    const [received, reply] = ['receivedKey00000000000', 'replyKey00000000000000'];
    try {
      const common = {
        balf,
        heuristic: 0,
        answer_heuristic: 0,
        batch_id: 'b',
        created_at: '2025-06-03T10:00:00Z',
      };
      await db
        .insertInto('records')
        .values([
          {
            ...common,
            key: received,
            dir: 'in',
            at: '2025-06-02T08:00:00.000Z',
            day: '2025-06-02',
            cat: 'usager',
            answered_at: '2025-06-03T08:00:00.000Z',
          },
          {
            ...common,
            key: reply,
            dir: 'out',
            at: '2025-06-03T08:00:00.000Z',
            day: '2025-06-03',
            cat: 'reply',
            answered_at: null,
          },
        ])
        .execute();
      await db
        .insertInto('record_refs')
        .values({ balf, sent_key: reply, ref_key: received, position: 0 })
        .execute();
      const flows = [
        { day: '2025-06-02', dir: 'in' as const, cat: 'usager', count: 1 },
        { day: '2025-06-03', dir: 'out' as const, cat: 'reply', count: 1 },
      ];
      await db
        .insertInto('daily_flows')
        .values(flows.map((f) => ({ balf, ...f })))
        .execute();
      await db
        .insertInto('department_daily_flows')
        .values(flows.map((f) => ({ department: 'unattached', ...f })))
        .execute();
      await db.insertInto('daily_replies').values({ balf, day: '2025-06-02', delay: 1, count: 1 }).execute();
      await db
        .insertInto('department_daily_replies')
        .values({ department: 'unattached', region: 'metropole', day: '2025-06-02', delay: 1, count: 1 })
        .execute();
      await db
        .insertInto('balf_homes')
        .values({ balf, department: 'unattached', region: 'metropole' })
        .execute();
      await migrate(db);

      expect((await db.selectFrom('records').select('hdr').execute()).map((r) => Number(r.hdr))).toEqual([
        0, 0,
      ]);
      expect(
        Number((await db.selectFrom('record_refs').select('heuristic').executeTakeFirstOrThrow()).heuristic),
      ).toBe(0);
      const app = await buildApp({
        db,
        clock: () => new Date('2025-06-30T10:00:00Z'),
        rateLimit: false,
        config: loadConfig({}),
      });
      try {
        const bearer = await token(db, { level: 'national' });
        const reader = await token(db, { level: 'national' }, false);
        const national = async () => {
          const res = await getStats(app, reader, {
            level: 'national',
            from: '2025-06-01',
            to: '2025-06-30',
          });
          expect(res.statusCode, res.body).toBe(200);
          return (res.json() as StatsAnswer).totals;
        };
        expect(await national()).toMatchObject({ received: 1, unrefined: 1, answeredInTime: 1 });
        const res = await post(
          app,
          bearer,
          batch(balf, [{ k: received, dir: 'in', at: '2025-06-02T08:00:00.000Z', cat: 'auto', hdr: true }], {
            schema: 2,
          }),
        );
        expect(res.json()).toEqual({ accepted: 0, duplicates: 1, rejected: 0, updated: 1 });
        expect(await national()).toMatchObject({
          received: 1,
          receivedByCategory: { usager: 0, auto: 1 },
          unrefined: 0,
          answeredInTime: 0,
        });
      } finally {
        await app.close();
      }
    } finally {
      await close();
    }
  });
});

describe.each(databaseKinds)('migration 0008 on %s', (kind) => {
  it('adds records.via (null on the records already there) and daily_sent_via, and goes back down', async () => {
    const { db, close } = await openTestDbAt(kind, '0007-throttles-quarantine');
    try {
      const record = {
        balf: 'a@x.fr',
        key: 'k1',
        dir: 'out' as const,
        at: '2025-03-10T09:00:00.000Z',
        day: '2025-03-10',
        cat: 'reply',
        heuristic: 0,
        answered_at: null,
        answer_heuristic: 0,
        batch_id: 'b1',
        created_at: '2025-03-10T09:00:00.000Z',
      };
      await db.insertInto('records').values(record).execute();
      await migrate(db);
      expect(await db.selectFrom('records').select(['key', 'via']).execute()).toEqual([
        { key: 'k1', via: null },
      ]);
      await db.updateTable('records').set({ via: 'personal' }).execute();
      await db
        .insertInto('daily_sent_via')
        .values({ balf: 'a@x.fr', day: '2025-03-10', via: 'personal', count: 1 })
        .execute();
      // One row per (BALF, day, via).
      await expect(
        db
          .insertInto('daily_sent_via')
          .values({ balf: 'a@x.fr', day: '2025-03-10', via: 'personal', count: 1 })
          .execute(),
      ).rejects.toThrow();
      const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
      const { error } = await migrator.migrateTo('0007-throttles-quarantine');
      expect(error).toBeUndefined();
      expect(await db.selectFrom('records').selectAll().execute()).toEqual([{ ...record, hdr: 0 }]);
    } finally {
      await close();
    }
  });
});

describe.each(databaseKinds)('migration 0009 on %s', (kind) => {
  it('creates the storage tables on an existing database, and its down removes them', async () => {
    const { db, close } = await openTestDbAt(kind, '0008-sent-via');
    try {
      await migrate(db);
      const reading = {
        balf: 'a@x.fr',
        at: '2026-10-01T08:00:00.000Z',
        used_bytes: 3 * 2 ** 40,
        limit_bytes: null,
      };
      await db
        .insertInto('storage_days')
        .values({ ...reading, day: '2026-10-01' })
        .execute();
      await db
        .insertInto('storage_samples')
        .values({ ...reading, hour: '2026-10-01T08', client_id: 'c', created_at: reading.at })
        .execute();
      // Bytes beyond 32 bits survive (bigint on PostgreSQL, which answers a string).
      const row = await db.selectFrom('storage_samples').select('used_bytes').executeTakeFirstOrThrow();
      expect(Number(row.used_bytes)).toBe(3 * 2 ** 40);
      expect(await indexNames(db, kind, ['storage_days'])).toContain('storage_days_day');
      await new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateTo(
        '0008-sent-via',
      );
      await expect(db.selectFrom('storage_days').selectAll().execute()).rejects.toThrow();
    } finally {
      await close();
    }
  });
});
