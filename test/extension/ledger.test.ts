// Ledger: idempotent writes, upload states, batches, bounded queue with a logged eviction, migration.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { Ledger, openLedgerDb, Refine, Up, type LedgerRow } from '../../src/extension/ledger.ts';
import { recordOf } from '../../src/extension/uploader.ts';
import { freshDbName } from './helpers.ts';

async function freshLedger(): Promise<Ledger> {
  return new Ledger(await openLedgerDb(freshDbName()));
}

function row(key: string, over: Partial<LedgerRow> = {}): LedgerRow {
  const at = over.at ?? '2026-11-16T08:12:00.000Z';
  return {
    balf: 'sip.test@dgfip.finances.gouv.fr',
    key,
    dir: 'in',
    at,
    atMs: Date.parse(at),
    cat: 'usager',
    up: Up.pending,
    headerMessageId: `${key}@example.org`,
    firstSeen: '2026-11-20T10:00:00.000Z',
    ...over,
  };
}

/** A ledger database as version 1 to 4 of the add-on created it (schemas of src/extension/ledger.ts). */
function openOldLedger(name: string, version: 1 | 2 | 3 | 4) {
  return openDB(name, version, {
    upgrade(db, _old, _new, tx) {
      const rows = db.createObjectStore('rows', { keyPath: ['balf', 'key'] });
      rows.createIndex('byUp', 'up');
      db.createObjectStore('meta');
      if (version < 2) return;
      db.createObjectStore('batches', { keyPath: 'batchId' }).createIndex('byCreated', 'createdAt');
      tx.objectStore('rows').createIndex('byBalfAt', ['balf', 'atMs']);
      if (version < 3) return;
      db.createObjectStore('received', { keyPath: ['balf', 'key'] }).createIndex('byBalfAt', [
        'balf',
        'atMs',
      ]);
      tx.objectStore('rows').createIndex('byRe', 're', { multiEntry: true });
      if (version < 4) return;
      db.deleteObjectStore('received');
      db.createObjectStore('receivedAt');
    },
  });
}

describe('ledger', () => {
  it('counts a message once: the first write wins, later ones are ignored', async () => {
    const ledger = await freshLedger();
    expect(await ledger.addIfAbsent([row('a'), row('b')])).toBe(2);
    expect(await ledger.addIfAbsent([row('a', { folder: '/Archives' }), row('c')])).toBe(1);
    expect(await ledger.count()).toBe(3);
    expect((await ledger.get('sip.test@dgfip.finances.gouv.fr', 'a'))?.folder).toBeUndefined();
    expect(
      [...(await ledger.existingKeys('sip.test@dgfip.finances.gouv.fr', ['a', 'z', 'c']))].sort(),
    ).toEqual(['a', 'c']);
    // Same key under another BALF is another row.
    expect(await ledger.existingKeys('autre@dgfip.finances.gouv.fr', ['a'])).toEqual(new Set());
  });

  it('lists every key of one BALF (what a back-fill looks its pages up in) and counts rows in any state', async () => {
    const ledger = await freshLedger();
    await ledger.addIfAbsent([row('a'), row('b', { up: Up.acknowledged }), row('c', { up: Up.hold })]);
    await ledger.addIfAbsent([{ ...row('z'), balf: 'autre@dgfip.finances.gouv.fr' }]);
    expect([...(await ledger.keysOf('sip.test@dgfip.finances.gouv.fr'))].sort()).toEqual(['a', 'b', 'c']);
    expect([...(await ledger.keysOf('autre@dgfip.finances.gouv.fr'))]).toEqual(['z']);
    expect(await ledger.keysOf('personne@dgfip.finances.gouv.fr')).toEqual(new Set());
    expect(await ledger.count()).toBe(4);
  });

  it('moves rows through batched → acknowledged and keeps the queue size right', async () => {
    const ledger = await freshLedger();
    await ledger.addIfAbsent([row('a'), row('b'), row('c', { up: Up.hold })]);
    expect(await ledger.queueSize()).toBe(3);
    await ledger.createBatch({
      batchId: '00000000-0000-4000-8000-000000000001',
      balf: 'sip.test@dgfip.finances.gouv.fr',
      seq: 0,
      records: [recordOf(row('a')), recordOf(row('b'))],
      keys: ['a', 'b'],
      createdAt: '2026-11-20T10:00:00.000Z',
      attempts: 0,
      state: 'open',
    });
    expect((await ledger.rowsWithState(Up.batched)).map((r) => r.key).sort()).toEqual(['a', 'b']);
    await ledger.acknowledgeBatch('00000000-0000-4000-8000-000000000001');
    expect(await ledger.batches()).toEqual([]);
    expect((await ledger.rowsWithState(Up.acknowledged)).map((r) => r.key).sort()).toEqual(['a', 'b']);
    expect(await ledger.queueSize()).toBe(1);
  });

  it('evicts the oldest pending rows beyond the bound and logs it', async () => {
    const ledger = await freshLedger();
    await ledger.addIfAbsent([
      row('new', { at: '2026-11-19T08:00:00.000Z' }),
      row('old', { at: '2026-11-01T08:00:00.000Z' }),
      row('mid', { at: '2026-11-10T08:00:00.000Z' }),
    ]);
    const eviction = await ledger.evictOverflow(1, new Date('2026-11-20T12:00:00Z'));
    expect(eviction).toEqual({
      at: '2026-11-20T12:00:00.000Z',
      count: 2,
      oldest: '2026-11-01T08:00:00.000Z',
      newest: '2026-11-10T08:00:00.000Z',
    });
    expect((await ledger.rowsWithState(Up.pending)).map((r) => r.key)).toEqual(['new']);
    expect(await ledger.getMeta('evictions')).toEqual([eviction]);
    expect(await ledger.evictOverflow(1, new Date())).toBeNull();
  });

  it('lists BALFs and time ranges from the time index', async () => {
    const ledger = await freshLedger();
    await ledger.addIfAbsent([
      row('a'),
      row('b', { balf: 'sie.x@dgfip.finances.gouv.fr', at: '2026-11-18T08:00:00.000Z' }),
      row('c', { at: '2026-11-18T08:00:00.000Z' }),
    ]);
    expect(await ledger.balfs()).toEqual(['sie.x@dgfip.finances.gouv.fr', 'sip.test@dgfip.finances.gouv.fr']);
    const between = await ledger.rowsBetween(
      'sip.test@dgfip.finances.gouv.fr',
      Date.parse('2026-11-17T00:00:00Z'),
      Date.parse('2026-11-19T00:00:00Z'),
    );
    expect(between.map((r) => r.key)).toEqual(['c']);
  });

  it('upgrades a version-1 database without losing rows', async () => {
    const name = `ledger-v1-${Math.random()}`;
    const v1 = await openOldLedger(name, 1);
    await v1.put('rows', row('kept'));
    v1.close();
    const ledger = new Ledger(await openLedgerDb(name));
    expect((await ledger.allRows()).map((r) => r.key)).toEqual(['kept']);
    expect(await ledger.batches()).toEqual([]);
    expect(
      (await ledger.receivedBetween('sip.test@dgfip.finances.gouv.fr', 0, Date.now())).map((r) => r.key),
    ).toEqual(['kept']);
  });

  it('upgrades a version-2 ledger: the sampling references and the reply index cover the rows already there', async () => {
    const name = `ledger-v2-${Math.random()}`;
    const v2 = await openOldLedger(name, 2);
    const balf = 'sip.test@dgfip.finances.gouv.fr';
    await v2.put('rows', row('question'));
    await v2.put('rows', row('collegue', { cat: 'interne' }));
    await v2.put('rows', row('reponse', { dir: 'out', cat: 'reply', re: ['question'] }));
    v2.close();
    const ledger = new Ledger(await openLedgerDb(name));
    expect((await ledger.receivedBetween(balf, 0, Date.now())).map((r) => r.key)).toEqual(['question']);
    expect((await ledger.rowsReferring(balf, ['question'])).map((r) => r.key)).toEqual(['reponse']);
    // New rows keep both up to date; purge empties the references too.
    await ledger.addIfAbsent([row('nouvelle', { at: '2026-11-17T09:00:00.000Z' }), row('question')]);
    expect((await ledger.receivedBetween(balf, 0, Date.now())).map((r) => r.key)).toEqual([
      'question',
      'nouvelle',
    ]);
    await ledger.purge();
    expect(await ledger.receivedBetween(balf, 0, Date.now())).toEqual([]);
  });

  it('upgrades a version-3 ledger: its object references become keys, the old store is gone, the draw order holds', async () => {
    const name = `ledger-v3-${Math.random()}`;
    const balf = 'sip.test@dgfip.finances.gouv.fr';
    const v3 = await openOldLedger(name, 3);
    const later = row('z-plus-tard', { at: '2026-11-17T10:00:00.000Z' });
    const earlier = row('a-plus-tot', { at: '2026-11-17T09:00:00.000Z' });
    for (const r of [later, earlier, row('interne', { cat: 'interne' })]) {
      await v3.put('rows', r);
      if (r.cat === 'usager') await v3.put('received', { balf, key: r.key, atMs: r.atMs });
    }
    v3.close();
    const db = await openLedgerDb(name);
    expect([...db.objectStoreNames]).not.toContain('received');
    const ledger = new Ledger(db);
    // Time order (then key), as the v3 index gave it: the seeded draw picks the same messages.
    expect(await ledger.receivedBetween(balf, 0, Date.now())).toEqual([
      { balf, key: 'a-plus-tot', atMs: earlier.atMs },
      { balf, key: 'z-plus-tard', atMs: later.atMs },
    ]);
    // Bounds: from included, to excluded.
    expect((await ledger.receivedBetween(balf, earlier.atMs, later.atMs)).map((r) => r.key)).toEqual([
      'a-plus-tot',
    ]);
    // A duplicate seen later with another time keeps the first row's time, once.
    await ledger.addIfAbsent([row('a-plus-tot', { at: '2026-11-18T09:00:00.000Z' })]);
    expect((await ledger.receivedBetween(balf, 0, Date.now())).map((r) => r.key)).toEqual([
      'a-plus-tot',
      'z-plus-tard',
    ]);
  });

  it('upgrades a version-4 ledger: every received row waits for its headers, sent rows are left alone', async () => {
    const name = `ledger-v4-${Math.random()}`;
    const balf = 'sip.test@dgfip.finances.gouv.fr';
    const v4 = await openOldLedger(name, 4);
    await v4.put('rows', row('question', { up: Up.acknowledged }));
    await v4.put('rows', row('ancienne', { cat: 'interne', at: '2026-08-01T08:00:00.000Z' }));
    await v4.put('rows', row('reponse', { dir: 'out', cat: 'reply', re: ['question'] }));
    v4.close();
    const ledger = new Ledger(await openLedgerDb(name));
    expect(await ledger.refineCounts(balf)).toEqual({ waiting: 2, unverified: 0 });
    expect(await ledger.waitingKeys(balf)).toEqual(new Set(['question', 'ancienne']));
    expect(await ledger.waitingKeys(balf, Date.parse('2026-11-01'))).toEqual(new Set(['question']));
    expect(await ledger.earliestWaiting(balf)).toBe(Date.parse('2026-08-01T08:00:00.000Z'));
    expect((await ledger.get(balf, 'reponse'))?.refine).toBeUndefined();
    // Out of every walk's window from now on: given up, no longer waited for.
    expect(await ledger.giveUpBefore(balf, Date.parse('2026-09-01'))).toBe(1);
    expect(await ledger.refineCounts(balf)).toEqual({ waiting: 1, unverified: 1 });
    expect(await ledger.get(balf, 'ancienne')).toMatchObject({ refine: Refine.unverified, cat: 'interne' });
  });

  it('purges everything', async () => {
    const ledger = await freshLedger();
    await ledger.addIfAbsent([row('a')]);
    await ledger.setMeta('installId', 'x');
    await ledger.purge();
    expect(await ledger.count()).toBe(0);
    expect(await ledger.getMeta('installId')).toBeUndefined();
  });
});
