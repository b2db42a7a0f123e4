// A BALF moved in the directory: recomputeBalf / recomputeStaleBalfs / the next ingest move its days and counts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { recomputeBalf, recomputeStaleBalfs } from '../../src/server/ingest/recompute.ts';
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
} from './support.ts';

const BALF = 'mobile@dgfip.finances.gouv.fr';

describe.each(databaseKinds)('recompute on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  beforeEach(async () => {
    h = await harness(kind);
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'S75', balfs: [] },
      { department: '971', region: 'guadeloupe', service: 'S971', balfs: [] },
    ]);
    write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
    const q = newKey();
    // 02:30Z on 10 March: 10 March in Paris, 9 March (a Sunday) in Guadeloupe.
    await post(
      h.app,
      write,
      batch(BALF, [
        { k: q, dir: 'in', at: '2025-03-10T02:30:00Z', cat: 'usager' },
        { k: newKey(), dir: 'out', at: '2025-03-10T20:00:00Z', cat: 'reply', re: [q] },
      ]),
    );
  });
  afterEach(async () => h.close());

  const national = async (): Promise<StatsAnswer> => {
    const res = await getStats(h.app, read, {
      level: 'national',
      from: '2025-03-01',
      to: '2025-03-31',
      granularity: 'day',
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const byChild = (a: StatsAnswer) =>
    Object.fromEntries(a.children.map((c) => [c.id, [c.received, c.sent, c.answeredInTime]]));
  const day = (a: StatsAnswer, p: string) => a.series.find((s) => s.period === p)!;

  it('credits an unknown BALF to the unattached, then moves it when the directory claims it', async () => {
    let a = await national();
    expect(byChild(a)).toEqual({ '75': [0, 0, 0], '971': [0, 0, 0], unattached: [1, 1, 1] });
    expect(day(a, '2025-03-10').received).toBe(1);

    await h.db.insertInto('balfs').values({ address: BALF, service_code: 'S971' }).execute();
    expect(await recomputeStaleBalfs(h.db)).toBe(1);
    a = await national();
    expect(byChild(a)).toEqual({ '75': [0, 0, 0], '971': [1, 1, 1], unattached: [0, 0, 0] });
    expect([day(a, '2025-03-09').received, day(a, '2025-03-10').received]).toEqual([1, 0]);
    const replies = await h.db
      .selectFrom('daily_replies')
      .select(['day', 'delay', 'count'])
      .where('balf', '=', BALF)
      .execute();
    // Received Sunday 9 March (Guadeloupe), answered Monday 10 March 16:00 local: one working day.
    expect(replies.map((r) => [r.day, Number(r.delay), Number(r.count)])).toEqual([['2025-03-09', 1, 1]]);
    expect(await recomputeStaleBalfs(h.db)).toBe(0);

    // Moved again, to Paris; recomputeBalf directly (what the directory import calls).
    await h.db.updateTable('balfs').set({ service_code: 'S75' }).where('address', '=', BALF).execute();
    await recomputeBalf(h.db, BALF.toUpperCase());
    a = await national();
    expect(byChild(a)).toEqual({ '75': [1, 1, 1], '971': [0, 0, 0], unattached: [0, 0, 0] });
    const flows = await h.db
      .selectFrom('department_daily_flows')
      .select(['department', 'day', 'count'])
      .execute();
    expect(flows.map((f) => [f.department, f.day, Number(f.count)]).sort()).toEqual([
      ['75', '2025-03-10', 1],
      ['75', '2025-03-10', 1],
    ]);
  });

  it('self-heals on the next batch when nobody recomputed after a move', async () => {
    await h.db.insertInto('balfs').values({ address: BALF, service_code: 'S971' }).execute();
    await post(
      h.app,
      write,
      batch(BALF, [{ k: newKey(), dir: 'in', at: '2025-03-11T12:00:00Z', cat: 'interne' }]),
    );
    const a = await national();
    expect(byChild(a)).toEqual({ '75': [0, 0, 0], '971': [2, 1, 1], unattached: [0, 0, 0] });
    // The BALF-level and department-level rollups agree.
    const sum = async (table: 'daily_flows' | 'department_daily_flows') =>
      Number(
        (
          await h.db
            .selectFrom(table)
            .select((eb) => eb.fn.sum<number>('count').as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await sum('department_daily_flows')).toBe(await sum('daily_flows'));
  });
});
