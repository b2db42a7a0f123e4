// SQLite group commit: concurrent batches where some are refused (409 batchId reuse, 400) or held in quarantine
// (another department's BALF) — the others
// commit whole; every answer waits for the WAL sync done off the server thread, and a failed sync loses nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, sqliteHandleOf } from '../../src/server/db/connect.ts';
import { createToken, principalForToken, revokeToken } from '../../src/server/auth/tokens.ts';
import { inGroupCommit, setWalSyncForTests, type FileSync } from '../../src/server/ingest/group-commit.ts';
import { batch, newKey, post, seedDirectory, token } from '../server/support.ts';
import { snapshot } from './db-snapshot.ts';

const dir = mkdtempSync(join(tmpdir(), 'suivi-group-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OWN = (i: number) => `sip.own${i}@dgfip.finances.gouv.fr`;
const FOREIGN = 'sip.foreign@dgfip.finances.gouv.fr';
const records = (n: number, day: string) =>
  Array.from({ length: n }, (_, i) => ({
    k: newKey(),
    dir: 'in' as const,
    at: `${day}T${String(8 + (i % 10)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`,
    cat: 'usager' as const,
  }));

describe('concurrent batches with refusals in the same commit group (SQLite file)', () => {
  it('stores exactly the accepted batches', async () => {
    const opened = await openDatabase({ kind: 'sqlite', file: join(dir, 'group.sqlite') });
    const app = await buildApp({
      db: opened.db,
      clock: () => new Date('2025-06-30T10:00:00Z'),
      rateLimit: false,
      config: loadConfig({}),
    });
    try {
      await seedDirectory(opened.db, [
        {
          department: '67',
          region: 'metropole',
          service: 'SIP-67',
          balfs: Array.from({ length: 8 }, (_, i) => OWN(i)),
        },
        { department: '75', region: 'metropole', service: 'SIP-75', balfs: [FOREIGN] },
      ]);
      const write67 = await token(opened.db, { level: 'department', code: '67' });
      const stored = batch(OWN(0), records(10, '2025-06-02'));
      expect((await post(app, write67, stored)).statusCode).toBe(200);
      const before = await snapshot(opened.db);
      for (let round = 0; round < 5; round++) {
        const good = Array.from({ length: 8 }, (_, i) => batch(OWN(i), records(300, '2025-06-03')));
        const bad = [
          batch(FOREIGN, records(300, '2025-06-03')), // held: another department's BALF, counted nowhere
          { ...batch(OWN(1), records(300, '2025-06-03')), batchId: stored.batchId }, // 409: batchId of another BALF
          batch(OWN(2), [
            ...records(299, '2025-06-03'),
            { k: 'x', dir: 'in', at: 'hier', cat: 'usager' },
          ] as never), // 400
        ];
        const answers = await Promise.all([...good, ...bad].map((b) => post(app, write67, b)));
        expect(answers.slice(0, 8).map((a) => a.statusCode)).toEqual(Array(8).fill(200));
        expect(answers.slice(8).map((a) => a.statusCode)).toEqual([200, 409, 400]);
        expect(answers[8]!.json()).toEqual({ accepted: 0, duplicates: 0, rejected: 0, quarantined: 300 });
        for (const a of answers.slice(0, 8)) expect(a.json()).toMatchObject({ accepted: 300, duplicates: 0 });
      }
      const after = await snapshot(opened.db);
      expect(after.counts['records']).toBe(before.counts['records']! + 5 * 8 * 300);
      expect(after.counts['batches']).toBe(before.counts['batches']! + 5 * 8);
      const flows = await opened.db
        .selectFrom('daily_flows')
        .select((eb) => eb.fn.sum<number>('count').as('n'))
        .where('day', '=', '2025-06-03')
        .executeTakeFirstOrThrow();
      expect(Number(flows.n)).toBe(5 * 8 * 300);
      const foreign = await opened.db
        .selectFrom('records')
        .select('key')
        .where('balf', '=', FOREIGN)
        .execute();
      expect(foreign).toEqual([]);
      expect(after.counts['quarantine']).toBe(before.counts['quarantine']! + 5);
    } finally {
      await app.close();
      await opened.close();
    }
  });
});

describe('WAL sync before every answer (SQLite file)', () => {
  let restore: FileSync | null = null;
  afterEach(() => {
    if (restore) setWalSyncForTests(restore);
    restore = null;
  });

  async function open(name: string) {
    const opened = await openDatabase({ kind: 'sqlite', file: join(dir, name) });
    const app = await buildApp({
      db: opened.db,
      clock: () => new Date('2025-06-30T10:00:00Z'),
      rateLimit: false,
      config: loadConfig({}),
    });
    await seedDirectory(opened.db, [
      { department: '67', region: 'metropole', service: 'SIP-67', balfs: [OWN(0)] },
    ]);
    const write67 = await token(opened.db, { level: 'department', code: '67' });
    const close = async () => {
      await app.close();
      await opened.close();
    };
    return { opened, app, write67, close };
  }

  it('answers a batch only once its WAL has been synced, and leaves the connection at synchronous=FULL', async () => {
    const { opened, app, write67, close } = await open('sync-order.sqlite');
    try {
      const synced: string[] = [];
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      restore = setWalSyncForTests(async (path) => {
        synced.push(path);
        await gate;
      });
      let answered = false;
      const pending = post(app, write67, batch(OWN(0), records(50, '2025-06-02'))).then((res) => {
        answered = true;
        return res;
      });
      await expect.poll(() => synced.length).toBe(1);
      expect(synced[0]).toBe(`${join(dir, 'sync-order.sqlite')}-wal`);
      // Committed (readable) but not yet answered: the answer waits for the sync.
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(answered).toBe(false);
      release();
      const res = await pending;
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ accepted: 50, duplicates: 0 });
      expect(sqliteHandleOf(opened.db)!.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      await close();
    }
  });

  it('answers a group once its WAL is synced while the next group is being written, not after it', async () => {
    const opened = await openDatabase({ kind: 'sqlite', file: join(dir, 'pipeline.sqlite') });
    // Like fdatasync in libuv's thread pool: the sync completes on a later turn of the event loop.
    restore = setWalSyncForTests(() => new Promise((resolve) => setImmediate(resolve)));
    try {
      const seen: Record<string, boolean> = {};
      let firstAnswered = false;
      let later: Promise<unknown> | undefined;
      const first = inGroupCommit(opened.db, async () => {
        // Queued while the first group is written: they form the next group.
        later = Promise.all(
          ['second', 'third'].map((name) =>
            inGroupCommit(opened.db, async (trx) => {
              await trx.selectFrom('settings').select('name').execute();
              seen[name] = firstAnswered;
              return name;
            }),
          ),
        );
        return 'first';
      }).then((value) => {
        firstAnswered = true;
        return value;
      });
      expect(await first).toBe('first');
      expect(await later).toEqual(['second', 'third']);
      // The first group's answer went out before the next group's batches were stored.
      expect(seen).toEqual({ second: true, third: true });
    } finally {
      await opened.close();
    }
  });

  it('answers 503 when the sync fails; the batch sent again is counted once', async () => {
    const { opened, app, write67, close } = await open('sync-fail.sqlite');
    try {
      let failures = 1;
      const real = setWalSyncForTests(async (path) => {
        if (failures-- > 0) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        await real(path);
      });
      restore = real;
      const sent = batch(OWN(0), records(40, '2025-06-02'));
      const first = await post(app, write67, sent);
      expect(first.statusCode, first.body).toBe(503);
      expect(first.headers['retry-after']).toBeDefined();
      const again = await post(app, write67, sent);
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toMatchObject({ accepted: 40, duplicates: 0 });
      const other = await post(app, write67, { ...sent, batchId: crypto.randomUUID() });
      expect(other.json()).toMatchObject({ accepted: 0, duplicates: 40 });
      const flows = await opened.db
        .selectFrom('daily_flows')
        .select((eb) => eb.fn.sum<number>('count').as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(flows.n)).toBe(40);
    } finally {
      await close();
    }
  });
});

describe('another connection on the same file (the command line, a second process)', () => {
  it('a group holds the write lock from its start: it never fails with SQLITE_BUSY_SNAPSHOT', async () => {
    const file = join(dir, 'lock.sqlite');
    const opened = await openDatabase({ kind: 'sqlite', file });
    const other = new SQLite(file);
    other.pragma('busy_timeout = 0');
    try {
      let otherWrite: string | null = 'not tried';
      const stored = await inGroupCommit(opened.db, async (trx) => {
        // The group has read…
        await trx.selectFrom('departments').select('code').execute();
        // …when another connection tries to commit: it must wait for the group (here: give up at once).
        try {
          other.exec(`insert into departments (code, name, region) values ('01', 'Ain', 'metropole')`);
          otherWrite = null;
        } catch (error) {
          otherWrite = (error as { code?: string }).code ?? String(error);
        }
        // Had the other commit gone through, this write would fail: the group's snapshot would be stale.
        await trx
          .insertInto('departments')
          .values({ code: '67', name: 'Bas-Rhin', region: 'alsace-moselle' })
          .execute();
        return 'stored';
      });
      expect(stored).toBe('stored');
      expect(otherWrite).toBe('SQLITE_BUSY');
      // Once the group committed, the other connection writes normally.
      other.exec(`insert into departments (code, name, region) values ('01', 'Ain', 'metropole')`);
      expect(other.prepare('select code from departments order by code').pluck().all()).toEqual(['01', '67']);
    } finally {
      other.close();
      await opened.close();
    }
  });
});

describe('token checks while a group writes (SQLite file)', () => {
  it('answers a token lookup without waiting for the group, and sees a revocation at once', async () => {
    const opened = await openDatabase({ kind: 'sqlite', file: join(dir, 'reader.sqlite') });
    try {
      const { id, token: secret } = await createToken(opened.db, {
        scope: { level: 'national' },
        canWrite: true,
        label: 'lecture pendant un groupe',
      });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let lookedUp: Awaited<ReturnType<typeof principalForToken>> | 'pending' = 'pending';
      let writing = false;
      const group = inGroupCommit(opened.db, async (trx) => {
        await trx.selectFrom('settings').select('name').execute();
        writing = true;
        // The group holds the connection (its transaction open) until the lookup has answered.
        await held;
        return 'stored';
      });
      await expect.poll(() => writing).toBe(true);
      const lookup = principalForToken(opened.db, secret).then((p) => (lookedUp = p));
      await expect.poll(() => lookedUp, { timeout: 2000 }).not.toBe('pending');
      expect(lookedUp).toMatchObject({ kind: 'token', id, canWrite: true });
      release();
      expect(await group).toBe('stored');
      await lookup;
      expect(await revokeToken(opened.db, id)).toBe(true);
      expect(await principalForToken(opened.db, secret)).toBeNull();
    } finally {
      await opened.close();
    }
  });
});
