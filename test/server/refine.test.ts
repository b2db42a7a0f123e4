// Upload schema 2 on SQLite and PostgreSQL: a classification made with headers replaces a list-only one
// whatever the order, rollups and delay buckets follow, request closures (`hre`) pair as heuristic, and a
// sent message's references grow by union. Every state is compared with a rebuild from the records.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { recomputeBalf } from '../../src/server/ingest/recompute.ts';
import { rollupTables } from './rollup-tables.ts';
import {
  batch,
  databaseKinds,
  getStats,
  harness,
  newKey,
  post,
  seedDirectory,
  token,
  type Harness,
  type RecordInput,
} from './support.ts';

const BALF = 'sip.paris1@dgfip.finances.gouv.fr';
const OTHER = 'sie.paris2@dgfip.finances.gouv.fr';
// Monday 2 June 2025, 10:00 in Paris; replies on Wednesday (2 working days) and Tuesday 10 June (5: the
// 9th is Whit Monday).
const MONDAY = '2025-06-02T08:00:00.000Z';
const THURSDAY = '2025-06-05T08:00:00.000Z';
const WEDNESDAY = '2025-06-04T09:00:00.000Z';
const NEXT_TUESDAY = '2025-06-10T09:00:00.000Z';

describe.each(databaseKinds)('refinement and request closure on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  beforeEach(async () => {
    h = await harness(kind);
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [BALF, OTHER] },
    ]);
    write = await token(h.db, { level: 'department', code: '75' });
    read = await token(h.db, { level: 'national' }, false);
  });
  afterEach(async () => h.close());

  const send = async (records: RecordInput[], client = 'a', balf = BALF) => {
    const res = await post(
      h.app,
      write,
      batch(balf, records, { schema: 2, client: { id: client, addon: '1', thunderbird: '128' } }),
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { accepted: number; duplicates: number; rejected: number; updated?: number };
  };
  const record = (key: string) =>
    h.db
      .selectFrom('records')
      .select(['cat', 'hdr', 'answered_at', 'answer_heuristic'])
      .where('balf', '=', BALF)
      .where('key', '=', key)
      .executeTakeFirstOrThrow()
      .then((r) => ({ ...r, hdr: Number(r.hdr), answer_heuristic: Number(r.answer_heuristic) }));
  const flows = async () =>
    (await rollupTables(h.db)).daily_flows
      .filter((f) => f['balf'] === BALF)
      .map((f) => `${f['day']} ${f['dir']}:${f['cat']} ${f['count']} (${f['refined']} refined)`);
  const buckets = async () =>
    (await rollupTables(h.db)).daily_replies.map((r) => `${r['day']} delay ${r['delay']}: ${r['count']}`);
  /** The rollups equal a rebuild from the stored records (which then changes nothing). */
  const expectRebuildable = async () => {
    const before = await rollupTables(h.db);
    await recomputeBalf(h.db, BALF);
    await recomputeBalf(h.db, OTHER);
    expect(await rollupTables(h.db)).toEqual(before);
  };
  const totals = async (query: Record<string, string> = { level: 'balf', id: BALF }) => {
    const res = await getStats(h.app, read, { from: '2025-06-01', to: '2025-06-30', ...query });
    expect(res.statusCode, res.body).toBe(200);
    return (res.json() as StatsAnswer).totals;
  };

  describe('the same key sent as usager without headers and as auto with them', () => {
    const k = 'refinedKey000000000000';
    const listOnly: RecordInput = { k, dir: 'in', at: MONDAY, cat: 'usager' };
    const withHeaders: RecordInput = { k, dir: 'in', at: MONDAY, cat: 'auto', hdr: true };
    const expectAuto = async () => {
      expect(await record(k)).toMatchObject({ cat: 'auto', hdr: 1 });
      expect(await flows()).toEqual(['2025-06-02 in:auto 1 (1 refined)']);
      expect(await buckets()).toEqual([]);
      const department = (await rollupTables(h.db)).department_daily_flows;
      expect(department).toEqual([
        { department: '75', day: '2025-06-02', dir: 'in', cat: 'auto', count: 1, refined: 1 },
      ]);
      expect(await totals()).toMatchObject({
        received: 1,
        receivedByCategory: { usager: 0, auto: 1 },
        unrefined: 0,
        overdue: 0,
      });
      await expectRebuildable();
    };

    it('list-only first, then with headers from another client: auto wins, counted once', async () => {
      expect(await send([listOnly], 'a')).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
      expect(await totals()).toMatchObject({ receivedByCategory: { usager: 1 }, unrefined: 1, overdue: 1 });
      expect(await send([withHeaders], 'b')).toEqual({ accepted: 0, duplicates: 1, rejected: 0, updated: 1 });
      await expectAuto();
    });

    it('with headers first: the list-only upload changes nothing', async () => {
      await send([withHeaders], 'b');
      expect(await send([listOnly], 'a')).toEqual({ accepted: 0, duplicates: 1, rejected: 0 });
      await expectAuto();
    });

    it('both at once, in either order', async () => {
      await Promise.all([send([listOnly], 'a'), send([withHeaders], 'b')]);
      await expectAuto();
      const k2 = 'refinedKey000000000001';
      await Promise.all([send([{ ...withHeaders, k: k2 }], 'b'), send([{ ...listOnly, k: k2 }], 'a')]);
      expect(await record(k2)).toMatchObject({ cat: 'auto', hdr: 1 });
      expect(await flows()).toEqual(['2025-06-02 in:auto 2 (2 refined)']);
      await expectRebuildable();
    });

    it('both in one batch, in either order', async () => {
      await send([listOnly, withHeaders]);
      await send([
        { ...withHeaders, k: 'refinedKey000000000001' },
        { ...listOnly, k: 'refinedKey000000000001' },
      ]);
      expect(await flows()).toEqual(['2025-06-02 in:auto 2 (2 refined)']);
      await expectRebuildable();
    });

    it('many batches of both BALFs of a department at once give exact rollups', async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `concurrentKey${String(i).padStart(9, '0')}`);
      const uploads: Promise<unknown>[] = [];
      for (const balf of [BALF, OTHER]) {
        for (let i = 0; i < keys.length; i += 10) {
          const part = keys.slice(i, i + 10);
          uploads.push(
            send(
              part.map((key) => ({ ...listOnly, k: key })),
              'a',
              balf,
            ),
          );
          uploads.push(
            send(
              part.map((key) => ({ ...withHeaders, k: key })),
              'b',
              balf,
            ),
          );
          uploads.push(
            send(
              part.map((key) => ({ ...listOnly, k: key, cat: 'junk' as const })),
              'c',
              balf,
            ),
          );
        }
      }
      await Promise.all(uploads);
      expect(await flows()).toEqual(['2025-06-02 in:auto 40 (40 refined)']);
      expect((await rollupTables(h.db)).department_daily_flows).toEqual([
        { department: '75', day: '2025-06-02', dir: 'in', cat: 'auto', count: 80, refined: 80 },
      ]);
      await expectRebuildable();
    });
  });

  it('usager → auto on an answered message removes its delay bucket', async () => {
    const q = newKey();
    await send([
      { k: q, dir: 'in', at: MONDAY, cat: 'usager' },
      { k: newKey(), dir: 'out', at: WEDNESDAY, cat: 'reply', re: [q] },
    ]);
    expect(await buckets()).toEqual(['2025-06-02 delay 2: 1']);
    expect(await totals()).toMatchObject({ answeredInTime: 1, medianDelayDays: 2 });
    await send([{ k: q, dir: 'in', at: MONDAY, cat: 'auto', hdr: true }], 'b');
    expect(await buckets()).toEqual([]);
    expect(await totals()).toMatchObject({ answeredInTime: 0, medianDelayDays: null, unrefined: 0 });
    await expectRebuildable();
  });

  it('auto → usager adds its bucket with its current answer', async () => {
    const q = newKey();
    await send([
      { k: q, dir: 'in', at: MONDAY, cat: 'auto' },
      { k: newKey(), dir: 'out', at: NEXT_TUESDAY, cat: 'reply', re: [q] },
    ]);
    expect(await buckets()).toEqual([]);
    expect(await send([{ k: q, dir: 'in', at: MONDAY, cat: 'usager', hdr: true }], 'b')).toMatchObject({
      updated: 1,
    });
    expect(await buckets()).toEqual(['2025-06-02 delay 5: 1']);
    expect(await totals()).toMatchObject({ answeredInTime: 1, receivedByCategory: { usager: 1, auto: 0 } });
    await expectRebuildable();
  });

  it('a usager message refined with headers leaves its category and becomes refined', async () => {
    const q = newKey();
    await send([{ k: q, dir: 'in', at: MONDAY, cat: 'usager' }]);
    expect(await send([{ k: q, dir: 'in', at: MONDAY, cat: 'usager', hdr: true }], 'b')).toMatchObject({
      updated: 1,
    });
    expect(await flows()).toEqual(['2025-06-02 in:usager 1 (1 refined)']);
    expect(await buckets()).toEqual(['2025-06-02 delay -1: 1']);
    await expectRebuildable();
  });

  it('pairs a request closure (hre) as heuristic, and the reference itself as not', async () => {
    const first = newKey();
    const reminder = newKey();
    const reply = newKey();
    await send([
      { k: first, dir: 'in', at: MONDAY, cat: 'usager', hdr: true },
      { k: reminder, dir: 'in', at: THURSDAY, cat: 'usager', hdr: true },
      { k: reply, dir: 'out', at: NEXT_TUESDAY, cat: 'reply', re: [reminder], hre: [first] },
    ]);
    expect(await record(first)).toMatchObject({ answered_at: NEXT_TUESDAY, answer_heuristic: 1 });
    expect(await record(reminder)).toMatchObject({ answered_at: NEXT_TUESDAY, answer_heuristic: 0 });
    const refs = await h.db
      .selectFrom('record_refs')
      .select(['ref_key', 'heuristic'])
      .where('sent_key', '=', reply)
      .execute();
    expect(Object.fromEntries(refs.map((r) => [r.ref_key, Number(r.heuristic)]))).toEqual({
      [reminder]: 0,
      [first]: 1,
    });
    // Monday → Tuesday 10 June: 5 working days (in time); Thursday → Tuesday: 2.
    expect(await buckets()).toEqual(['2025-06-02 delay 5: 1', '2025-06-05 delay 2: 1']);
    await expectRebuildable();
  });

  it('adds references a stored reply did not have (union), and never removes one', async () => {
    const first = newKey();
    const reminder = newKey();
    const reply = newKey();
    const bare: RecordInput = { k: reply, dir: 'out', at: NEXT_TUESDAY, cat: 'reply', re: [reminder] };
    await send([
      { k: first, dir: 'in', at: MONDAY, cat: 'usager', hdr: true },
      { k: reminder, dir: 'in', at: THURSDAY, cat: 'usager', hdr: true },
      bare,
    ]);
    expect(await record(first)).toMatchObject({ answered_at: null });
    expect(await buckets()).toEqual(['2025-06-02 delay -1: 1', '2025-06-05 delay 2: 1']);
    // Another client saw the whole request: the same reply with its closure.
    expect(await send([{ ...bare, hre: [first] }], 'b')).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: 0,
      updated: 1,
    });
    expect(await record(first)).toMatchObject({ answered_at: NEXT_TUESDAY, answer_heuristic: 1 });
    expect(await buckets()).toEqual(['2025-06-02 delay 5: 1', '2025-06-05 delay 2: 1']);
    // The reply without the closure again: nothing removed, nothing updated.
    expect(await send([bare], 'c')).toEqual({ accepted: 0, duplicates: 1, rejected: 0 });
    expect(await record(first)).toMatchObject({ answered_at: NEXT_TUESDAY, answer_heuristic: 1 });
    // The closure's key now named by the reply's headers: a header reference (no longer heuristic).
    expect(await send([{ ...bare, re: [reminder, first] }], 'd')).toMatchObject({ updated: 1 });
    expect(await record(first)).toMatchObject({ answered_at: NEXT_TUESDAY, answer_heuristic: 0 });
    await expectRebuildable();
  });

  it('moves an answer earlier when a stored earlier reply gains a closure', async () => {
    const first = newKey();
    const reminder = newKey();
    const early = newKey();
    await send([
      { k: first, dir: 'in', at: MONDAY, cat: 'usager', hdr: true },
      { k: reminder, dir: 'in', at: '2025-06-03T08:00:00.000Z', cat: 'usager', hdr: true },
      { k: early, dir: 'out', at: WEDNESDAY, cat: 'reply', re: [reminder] },
      { k: newKey(), dir: 'out', at: NEXT_TUESDAY, cat: 'reply', re: [first] },
    ]);
    expect(await buckets()).toEqual(['2025-06-02 delay 5: 1', '2025-06-03 delay 1: 1']);
    await send([{ k: early, dir: 'out', at: WEDNESDAY, cat: 'reply', re: [reminder], hre: [first] }], 'b');
    expect(await record(first)).toMatchObject({ answered_at: WEDNESDAY, answer_heuristic: 1 });
    expect(await buckets()).toEqual(['2025-06-02 delay 2: 1', '2025-06-03 delay 1: 1']);
    await expectRebuildable();
  });

  it('a replay, or the same records again, changes nothing', async () => {
    const q = newKey();
    await send([{ k: q, dir: 'in', at: MONDAY, cat: 'usager' }]);
    const refining = batch(BALF, [{ k: q, dir: 'in', at: MONDAY, cat: 'auto', hdr: true }], { schema: 2 });
    const first = await post(h.app, write, refining);
    expect(first.json()).toEqual({ accepted: 0, duplicates: 1, rejected: 0, updated: 1 });
    const state = await rollupTables(h.db);
    const replay = await post(h.app, write, refining);
    expect(replay.json()).toEqual(first.json());
    expect(await send([{ k: q, dir: 'in', at: MONDAY, cat: 'auto', hdr: true }], 'b')).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: 0,
    });
    expect(await rollupTables(h.db)).toEqual(state);
  });

  it('schema 1 batches keep their answer; list-only disagreements settle the same in any order', async () => {
    const [a, b] = [newKey(), newKey()];
    const old = (records: RecordInput[], client: string) =>
      post(h.app, write, batch(BALF, records, { client: { id: client, addon: '0.9', thunderbird: '115' } }));
    // One workstation flagged the message as junk, another did not.
    expect((await old([{ k: a, dir: 'in', at: MONDAY, cat: 'usager' }], 'x')).json()).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: 0,
    });
    expect((await old([{ k: a, dir: 'in', at: MONDAY, cat: 'junk' }], 'y')).json()).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: 0,
      updated: 1,
    });
    await old([{ k: b, dir: 'in', at: MONDAY, cat: 'junk' }], 'y');
    await old([{ k: b, dir: 'in', at: MONDAY, cat: 'usager' }], 'x');
    expect((await record(a)).cat).toBe('junk');
    expect((await record(b)).cat).toBe('junk');
    expect(await flows()).toEqual(['2025-06-02 in:junk 2 (0 refined)']);
    expect(await totals()).toMatchObject({ received: 2, unrefined: 2 });
    await expectRebuildable();
  });

  it('leaves a key stored in the other direction alone', async () => {
    const k = newKey();
    const q = newKey();
    await send([
      { k: q, dir: 'in', at: MONDAY, cat: 'usager', hdr: true },
      { k, dir: 'in', at: MONDAY, cat: 'usager' },
    ]);
    expect(await send([{ k, dir: 'out', at: WEDNESDAY, cat: 'reply', re: [q] }], 'b')).toEqual({
      accepted: 0,
      duplicates: 1,
      rejected: 0,
    });
    expect(await h.db.selectFrom('record_refs').selectAll().execute()).toEqual([]);
    expect(await record(q)).toMatchObject({ answered_at: null });
    await expectRebuildable();
  });
});
