// Retention purge on SQLite and PostgreSQL: old per-message rows go, newer stay, rollups keep the stats.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import {
  HORIZON_SETTING,
  horizonFor,
  parseRetentionDays,
  readRetentionHorizon,
  retentionDaysFromEnv,
} from '../../src/server/retention/horizon.ts';
import { purgeOlderThan } from '../../src/server/retention/purge.ts';
import { startRetentionSchedule } from '../../src/server/retention/schedule.ts';
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

const BALF = 'sip.paris@dgfip.finances.gouv.fr';
const NOW = new Date('2025-06-30T10:00:00Z');
// 100 days kept on 30 June 2025: the first day kept is 22 March 2025.
const DAYS = 100;
const HORIZON = '2025-03-22';

describe('retention setting', () => {
  it('computes the first day kept on the metropolitan calendar', () => {
    expect(horizonFor(NOW, DAYS)).toBe(HORIZON);
    // 23:30Z on 31 Dec is already 1 January in Paris.
    expect(horizonFor(new Date('2024-12-31T23:30:00Z'), 1)).toBe('2024-12-31');
  });

  it('accepts a whole number of days and refuses anything else in French', () => {
    expect(parseRetentionDays(' 730 ', 'SUIVI_RETENTION_DAYS')).toBe(730);
    for (const bad of ['0', '-5', '1.5', 'deux ans', '2y', '', '36501']) {
      expect(() => parseRetentionDays(bad, 'SUIVI_RETENTION_DAYS')).toThrow(
        /SUIVI_RETENTION_DAYS invalide .*nombre entier de jours entre 1 et 36500/,
      );
    }
    expect(retentionDaysFromEnv({})).toBeNull();
    expect(retentionDaysFromEnv({ SUIVI_RETENTION_DAYS: '' })).toBeNull();
    expect(retentionDaysFromEnv({ SUIVI_RETENTION_DAYS: '365' })).toBe(365);
    expect(() => retentionDaysFromEnv({ SUIVI_RETENTION_DAYS: 'jamais' })).toThrow(/invalide « jamais »/);
  });
});

describe.each(databaseKinds)('retention purge on %s', (kind) => {
  let h: Harness;
  let read: string;
  const purged: string[] = [];
  const kept: string[] = [];

  beforeEach(async () => {
    purged.length = 0;
    kept.length = 0;
    h = await harness(kind, { now: NOW.toISOString() });
    await seedDirectory(h.db, [{ department: '75', region: 'metropole', service: 'S75', balfs: [BALF] }]);
    const write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
    const k = (list: string[]) => {
      const key = newKey();
      list.push(key);
      return key;
    };
    const q10 = k(purged);
    const q20 = k(purged);
    const q22 = k(kept);
    // An old batch, received on 10 March: its journal row is older than the horizon too.
    h.now.value = new Date('2025-03-10T18:00:00Z');
    let res = await post(
      h.app,
      write,
      batch(BALF, [
        { k: q10, dir: 'in', at: '2025-03-10T08:00:00Z', cat: 'usager' },
        { k: k(purged), dir: 'out', at: '2025-03-10T15:00:00Z', cat: 'reply', re: [q10] },
        { k: k(purged), dir: 'in', at: '2025-03-10T09:00:00Z', cat: 'interne' },
      ]),
    );
    expect(res.statusCode, res.body).toBe(200);
    h.now.value = NOW;
    res = await post(
      h.app,
      write,
      batch(BALF, [
        { k: q20, dir: 'in', at: '2025-03-20T08:00:00Z', cat: 'usager' },
        { k: k(purged), dir: 'in', at: '2025-03-21T16:00:00Z', cat: 'usager' }, // never answered
        { k: q22, dir: 'in', at: '2025-03-22T08:00:00Z', cat: 'usager' }, // the first day kept
        { k: k(kept), dir: 'out', at: '2025-03-24T09:00:00Z', cat: 'reply', re: [q22] },
        // A kept reply to a purged message: the pair was made at ingest, the reply stays.
        { k: k(kept), dir: 'out', at: '2025-03-25T09:00:00Z', cat: 'reply', re: [q20] },
        { k: k(kept), dir: 'in', at: '2025-04-15T08:00:00Z', cat: 'usager' },
      ]),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 6, duplicates: 0 });
  });
  afterEach(async () => h.close());

  const stats = async (query: Record<string, string>): Promise<StatsAnswer> => {
    const res = await getStats(h.app, read, { granularity: 'day', ...query });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const views = () =>
    Promise.all([
      stats({ level: 'national', from: '2025-03-01', to: '2025-03-31' }),
      stats({ level: 'national', from: '2025-04-01', to: '2025-04-30', granularity: 'week' }),
      stats({ level: 'department', id: '75', from: '2025-01-01', to: '2025-06-30', granularity: 'month' }),
      stats({ level: 'balf', id: BALF, from: '2025-03-01', to: '2025-03-31' }),
    ]);
  const keys = async () =>
    (await h.db.selectFrom('records').select('key').execute()).map((r) => r.key).sort();
  const refs = async () =>
    (await h.db.selectFrom('record_refs').select(['sent_key', 'ref_key']).execute())
      .map((r) => `${r.sent_key}>${r.ref_key}`)
      .sort();

  it('removes records before the horizon, keeps the newer ones, and the stats do not move', async () => {
    const before = await views();
    // Sanity: the purged days are really in the figures.
    const march = before[0];
    expect(march.totals.received).toBe(5);
    expect(march.totals.sent).toBe(3);
    expect(march.series.find((s) => s.period === '2025-03-10')).toMatchObject({
      received: 2,
      sent: 1,
      answeredInTime: 1,
    });
    expect(march.series.find((s) => s.period === '2025-03-21')).toMatchObject({ received: 1, overdue: 1 });
    expect(march.series.find((s) => s.period === '2025-03-20')).toMatchObject({ answeredInTime: 1 });

    const report = await purgeOlderThan(h.db, { days: DAYS, now: NOW });
    expect(report).toMatchObject({
      horizon: HORIZON,
      dryRun: false,
      balfs: 1,
      records: 5,
      refs: 1,
      batches: 1,
      firstDay: '2025-03-10',
      lastDay: '2025-03-21',
    });
    expect(await keys()).toEqual([...kept].sort());
    // The purged reply's reference is gone; the kept replies keep theirs (even to a purged key).
    expect(await refs()).toEqual([`${kept[2]}>${purged[1]}`, `${kept[1]}>${kept[0]}`].sort());
    expect(await readRetentionHorizon(h.db)).toBe(HORIZON);

    // Purged and kept periods alike are answered from the rollups, unchanged.
    expect(await views()).toEqual(before);
  });

  it('is idempotent, and a dry run changes nothing', async () => {
    const dry = await purgeOlderThan(h.db, { days: DAYS, now: NOW, dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, records: 5, refs: 1, batches: 1, balfs: 1 });
    expect((await keys()).length).toBe(9);
    expect(await readRetentionHorizon(h.db)).toBeNull();

    const before = await views();
    await purgeOlderThan(h.db, { days: DAYS, now: NOW });
    const again = await purgeOlderThan(h.db, { days: DAYS, now: NOW });
    expect(again).toMatchObject({ records: 0, refs: 0, batches: 0, balfs: 0, firstDay: null, lastDay: null });
    expect(await keys()).toEqual([...kept].sort());
    expect(await views()).toEqual(before);

    // A longer retention afterwards does not move the horizon back (those days are gone).
    await purgeOlderThan(h.db, { days: 400, now: NOW });
    expect(await readRetentionHorizon(h.db)).toBe(HORIZON);
    // A shorter one moves it forward.
    await purgeOlderThan(h.db, { days: 30, now: NOW });
    const row = await h.db
      .selectFrom('settings')
      .select('value')
      .where('name', '=', HORIZON_SETTING)
      .executeTakeFirstOrThrow();
    expect(row.value).toBe('2025-05-31');
    expect((await keys()).length).toBe(0);
  });

  it('removes spot-check summaries of purged periods and expired sessions', async () => {
    const spot = (id: string, from: string, to: string) => ({
      id,
      balf: BALF,
      token_id: 'x',
      from_day: from,
      to_day: to,
      done_at: NOW.toISOString(),
      seed: 's',
      target_id: 'marianne',
      target_days: 5,
      population: 10,
      sample_size: 5,
      conforme: 3,
      non_conforme: 1,
      sans_objet: 1,
      auto_in_time: 3,
      auto_late: 1,
      auto_pending: 0,
      auto_overdue: 1,
      disagreements: 0,
      created_at: NOW.toISOString(),
    });
    await h.db
      .insertInto('spot_checks')
      .values([spot('old', '2025-03-01', '2025-03-21'), spot('straddling', '2025-03-15', '2025-03-22')])
      .execute();
    await h.db
      .insertInto('users')
      .values({
        login: 'chef',
        password_hash: 'x',
        scope: 'national',
        created_at: NOW.toISOString(),
        failed_attempts: 0,
        locked_until: null,
      })
      .execute();
    const session = (id: string, expires: string) => ({
      id_hash: id,
      login: 'chef',
      csrf_token: 'c',
      created_at: '2025-06-01T00:00:00Z',
      expires_at: expires,
    });
    await h.db
      .insertInto('sessions')
      .values([session('expired', '2025-06-30T09:00:00.000Z'), session('valid', '2025-06-30T18:00:00.000Z')])
      .execute();

    const report = await purgeOlderThan(h.db, { days: DAYS, now: NOW });
    expect(report).toMatchObject({ spotChecks: 1, sessions: 1 });
    expect((await h.db.selectFrom('spot_checks').select('id').execute()).map((r) => r.id)).toEqual([
      'straddling',
    ]);
    expect((await h.db.selectFrom('sessions').select('id_hash').execute()).map((r) => r.id_hash)).toEqual([
      'valid',
    ]);
  });

  it('runs at start from the schedule, logs what it removed, and stops cleanly', async () => {
    const logs: { msg: string; obj: unknown }[] = [];
    const logger = {
      info: (obj: unknown, msg: string) => logs.push({ obj, msg }),
      error: (obj: unknown, msg: string) => logs.push({ obj, msg }),
    };
    const schedule = startRetentionSchedule(h.db, DAYS, logger as never, { clock: () => NOW });
    const report = await schedule.last;
    await schedule.stop();
    expect(report).toMatchObject({ records: 5, horizon: HORIZON });
    expect(logs).toEqual([
      {
        msg: 'purge de conservation effectuée',
        obj: { retention: expect.objectContaining({ days: DAYS, records: 5, refs: 1, horizon: HORIZON }) },
      },
    ]);
    expect(await keys()).toEqual([...kept].sort());
  });
});
