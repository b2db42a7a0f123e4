// The Whit Monday setting changed between two starts: the stored delays (BALF and department rollups) are recomputed once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { CALENDAR_SETTING, recomputeOnCalendarChange } from '../../src/server/ingest/calendar-settings.ts';
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

const PARIS = 'sip.paris@dgfip.finances.gouv.fr';
const LOOSE = 'inconnue@dgfip.finances.gouv.fr';

describe.each(databaseKinds)('working-day calendar change on %s', (kind) => {
  let h: Harness;
  let read: string;
  beforeEach(async () => {
    // The harness runs with SUIVI_WHIT_MONDAY_WORKED unset: Whit Monday (9 June 2025) is a holiday.
    h = await harness(kind);
    await seedDirectory(h.db, [{ department: '75', region: 'metropole', service: 'S75', balfs: [PARIS] }]);
    const write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
    for (const balf of [PARIS, LOOSE]) {
      const friday = newKey();
      const tuesday = newKey();
      const res = await post(
        h.app,
        write,
        batch(balf, [
          // Received Friday 6 June, answered Tuesday 10 June: 1 working day, or 2 if Whit Monday is worked.
          { k: friday, dir: 'in', at: '2025-06-06T08:00:00Z', cat: 'usager' },
          { k: newKey(), dir: 'out', at: '2025-06-10T08:00:00Z', cat: 'reply', re: [friday] },
          // Received Tuesday, answered the same day: 0 whatever the setting.
          { k: tuesday, dir: 'in', at: '2025-06-10T07:00:00Z', cat: 'usager' },
          { k: newKey(), dir: 'out', at: '2025-06-10T09:00:00Z', cat: 'reply', re: [tuesday] },
        ]),
      );
      expect(res.statusCode).toBe(200);
    }
  });
  afterEach(async () => h.close());

  const delays = async () => ({
    balf: (
      await h.db
        .selectFrom('daily_replies')
        .select(['balf', 'day', 'delay', 'count'])
        .orderBy('balf')
        .orderBy('day')
        .execute()
    ).map((r) => `${r.balf} ${r.day} ${Number(r.delay)}×${Number(r.count)}`),
    department: (
      await h.db
        .selectFrom('department_daily_replies')
        .select(['department', 'day', 'delay', 'count'])
        .orderBy('department')
        .orderBy('day')
        .execute()
    ).map((r) => `${r.department} ${r.day} ${Number(r.delay)}×${Number(r.count)}`),
  });

  const query = { level: 'department', id: '75', from: '2025-06-02', to: '2025-06-15', granularity: 'week' };

  it('recomputes every BALF when Whit Monday becomes worked, then nothing until it changes again', async () => {
    // buildApp (the harness) recorded the calendar at start, on an empty database.
    expect(await recomputeOnCalendarChange(h.db, { whitMondayWorked: false })).toBe(0);
    // A database from before the setting was recorded: its history was computed with an unknown calendar.
    await h.db.deleteFrom('settings').where('name', '=', CALENDAR_SETTING).execute();
    expect(
      await recomputeOnCalendarChange(h.db, { whitMondayWorked: false }),
      'first start: history of unknown calendar',
    ).toBe(2);
    expect(await recomputeOnCalendarChange(h.db, { whitMondayWorked: false })).toBe(0);
    const before = (await getStats(h.app, read, query)).json<StatsAnswer>().totals;
    expect(before).toMatchObject({ received: 2, answeredInTime: 2, p90DelayDays: 1 });
    expect(await delays()).toEqual({
      balf: [
        `${LOOSE} 2025-06-06 1×1`,
        `${LOOSE} 2025-06-10 0×1`,
        `${PARIS} 2025-06-06 1×1`,
        `${PARIS} 2025-06-10 0×1`,
      ],
      department: [
        '75 2025-06-06 1×1',
        '75 2025-06-10 0×1',
        'unattached 2025-06-06 1×1',
        'unattached 2025-06-10 0×1',
      ],
    });

    expect(await recomputeOnCalendarChange(h.db, { whitMondayWorked: true })).toBe(2);
    expect(await delays()).toEqual({
      balf: [
        `${LOOSE} 2025-06-06 2×1`,
        `${LOOSE} 2025-06-10 0×1`,
        `${PARIS} 2025-06-06 2×1`,
        `${PARIS} 2025-06-10 0×1`,
      ],
      department: [
        '75 2025-06-06 2×1',
        '75 2025-06-10 0×1',
        'unattached 2025-06-06 2×1',
        'unattached 2025-06-10 0×1',
      ],
    });
    expect(await recomputeOnCalendarChange(h.db, { whitMondayWorked: true })).toBe(0);
    const stored = await h.db
      .selectFrom('settings')
      .select('value')
      .where('name', '=', CALENDAR_SETTING)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.value)).toMatchObject({ whitMondayWorked: true });

    // A server started with the new setting reads the recomputed delays (nearest-rank p90 of 0 and 2).
    const app = await buildApp({
      db: h.db,
      rateLimit: false,
      config: loadConfig({ SUIVI_WHIT_MONDAY_WORKED: '1' }),
    });
    try {
      const totals = (await getStats(app, read, query)).json<StatsAnswer>().totals;
      expect(totals).toMatchObject({ received: 2, answeredInTime: 2, p90DelayDays: 2 });
    } finally {
      await app.close();
    }

    // Back to a holiday: a server started with the setting off puts the delays back by itself.
    const restarted = await buildApp({ db: h.db, rateLimit: false, config: loadConfig({}) });
    await restarted.close();
    expect(await recomputeOnCalendarChange(h.db, { whitMondayWorked: false })).toBe(0);
    expect((await delays()).department).toEqual([
      '75 2025-06-06 1×1',
      '75 2025-06-10 0×1',
      'unattached 2025-06-06 1×1',
      'unattached 2025-06-10 0×1',
    ]);
  });

  it('records the calendar of a fresh database without recomputing anything', async () => {
    const empty = await harness(kind);
    try {
      expect(await recomputeOnCalendarChange(empty.db, { whitMondayWorked: true })).toBe(0);
      expect(await recomputeOnCalendarChange(empty.db, { whitMondayWorked: true })).toBe(0);
    } finally {
      await empty.close();
    }
  });
});
