// Replies sent from another identity than the BALF's (`via`), on SQLite and PostgreSQL: stored per sent
// record, paired like any reply, counted once per BALF and day in `sentVia` at every level (the share per
// service is the chef's training signal), in the CSV, kept through a purge and moved with the BALF.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statsAnswerSchema, type StatsAnswer } from '../../src/core/protocol.ts';
import { recomputeBalf } from '../../src/server/ingest/recompute.ts';
import { purgeOlderThan } from '../../src/server/retention/purge.ts';
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

const A = 'sip.a@dgfip.finances.gouv.fr';
const A2 = 'sip.a2@dgfip.finances.gouv.fr';
const B = 'sie.b@dgfip.finances.gouv.fr';
const LOOSE = 'inconnue@dgfip.finances.gouv.fr';

describe.each(databaseKinds)('sent via another identity on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  beforeEach(async () => {
    h = await harness(kind, { now: '2025-06-30T10:00:00Z' });
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP-A', balfs: [A, A2] },
      { department: '75', region: 'metropole', service: 'SIE-B', balfs: [B] },
      { department: '971', region: 'guadeloupe', service: 'SIP-PAP', balfs: [] },
    ]);
    write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
  });
  afterEach(async () => h.close());

  const stats = async (query: Record<string, string>): Promise<StatsAnswer> => {
    const res = await getStats(h.app, read, {
      from: '2025-06-01',
      to: '2025-06-30',
      granularity: 'day',
      ...query,
    });
    expect(res.statusCode, res.body).toBe(200);
    return statsAnswerSchema.parse(res.json());
  };
  const upload = async (balf: string, records: Parameters<typeof batch>[1], batchId?: string) => {
    const res = await post(
      h.app,
      write,
      batch(balf, records, { schema: 2, ...(batchId ? { batchId } : {}) }),
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { accepted: number; duplicates: number };
  };
  const via = (m: { sentVia: { personal: number; otherBalf: number } }) => [
    m.sentVia.personal,
    m.sentVia.otherBalf,
  ];

  /** A: two usager questions, one answered from the BALF, one from an agent's personal address. B: one, answered from A. */
  async function seed() {
    const [qa1, qa2, qb, ra1, rp, rab] = [newKey(), newKey(), newKey(), newKey(), newKey(), newKey()];
    await upload(A, [
      { k: qa1, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
      { k: qa2, dir: 'in', at: '2025-06-02T09:00:00Z', cat: 'usager' },
      { k: ra1, dir: 'out', at: '2025-06-03T08:00:00Z', cat: 'reply', re: [qa1] },
      { k: rp, dir: 'out', at: '2025-06-04T08:00:00Z', cat: 'reply', re: [qa2], via: 'personal' },
      // A's own copy of its reply to B's message: A sent it, no via for A.
      { k: rab, dir: 'out', at: '2025-06-05T08:00:00Z', cat: 'reply', re: [qb] },
    ]);
    await upload(B, [
      { k: qb, dir: 'in', at: '2025-06-02T10:00:00Z', cat: 'usager' },
      { k: rab, dir: 'out', at: '2025-06-05T08:00:00Z', cat: 'reply', re: [qb], via: 'other-balf' },
    ]);
    return { qa1, qa2, qb, ra1, rp, rab };
  }

  it('stores the flag per sent record and pairs the reply like any other', async () => {
    const k = await seed();
    const rows = await h.db
      .selectFrom('records')
      .select(['balf', 'key', 'via'])
      .where('dir', '=', 'out')
      .execute();
    const flags = Object.fromEntries(rows.map((r) => [`${r.balf}|${r.key}`, r.via ?? null]));
    expect(flags).toEqual({
      [`${A}|${k.ra1}`]: null,
      [`${A}|${k.rp}`]: 'personal',
      [`${A}|${k.rab}`]: null,
      [`${B}|${k.rab}`]: 'other-balf',
    });
    const a = await stats({ level: 'balf', id: A });
    expect([a.totals.answeredInTime, a.totals.sentByCategory.reply, ...via(a.totals)]).toEqual([2, 3, 1, 0]);
    expect(via(a.series.find((s) => s.period === '2025-06-04')!)).toEqual([1, 0]);
    expect(via(a.series.find((s) => s.period === '2025-06-03')!)).toEqual([0, 0]);
    const b = await stats({ level: 'balf', id: B });
    expect([b.totals.answeredInTime, b.totals.sentByCategory.reply, ...via(b.totals)]).toEqual([1, 1, 0, 1]);
  });

  it('gives the share per service at department level and per department at national level, never per agent', async () => {
    await seed();
    const dep = await stats({ level: 'department', id: '75' });
    const byService = Object.fromEntries(
      dep.children.map((c) => [c.id, [c.sentByCategory.reply, ...via(c)]]),
    );
    expect(byService).toEqual({ 'SIP-A': [3, 1, 0], 'SIE-B': [1, 0, 1] });
    expect(via(dep.totals)).toEqual([1, 1]);
    const service = await stats({ level: 'service', id: 'SIP-A' });
    expect(Object.fromEntries(service.children.map((c) => [c.id, via(c)]))).toEqual({
      [A]: [1, 0],
      [A2]: [0, 0],
    });
    const week = await stats({ level: 'service', id: 'SIP-A', granularity: 'week' });
    expect(week.series.map((s) => [s.period, ...via(s)])).toContainEqual(['2025-06-02', 1, 0]);
    const nation = await stats({ level: 'national' });
    expect(Object.fromEntries(nation.children.map((c) => [c.id, via(c)]))).toEqual({
      '75': [1, 1],
      '971': [0, 0],
      unattached: [0, 0],
    });
    // The answer carries no per-agent figure: nothing in the wire names an agent.
    expect(JSON.stringify(nation)).not.toMatch(/agent/i);
  });

  it('counts a reply once, however often it is uploaded', async () => {
    const q = newKey();
    const r = newKey();
    const records = [
      { k: q, dir: 'in' as const, at: '2025-06-10T08:00:00Z', cat: 'usager' as const },
      {
        k: r,
        dir: 'out' as const,
        at: '2025-06-10T09:00:00Z',
        cat: 'reply' as const,
        re: [q],
        via: 'personal' as const,
      },
    ];
    const first = crypto.randomUUID();
    await upload(A, records, first);
    expect(await upload(A, records, first)).toMatchObject({ accepted: 2 }); // replay: the stored answer
    expect(await upload(A, [records[1]!, records[1]!])).toMatchObject({ accepted: 0, duplicates: 2 });
    expect(via((await stats({ level: 'balf', id: A })).totals)).toEqual([1, 0]);
  });

  it('refuses via where it means nothing, saying why', async () => {
    const res = await post(
      h.app,
      write,
      batch(A, [{ k: newKey(), dir: 'in', at: '2025-06-10T08:00:00Z', cat: 'usager', via: 'personal' }], {
        schema: 2,
      }),
    );
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('via est réservé aux réponses envoyées');
  });

  it('puts the counts in the CSV, the same as JSON', async () => {
    await seed();
    const res = await getStats(h.app, read, {
      level: 'department',
      id: '75',
      from: '2025-06-01',
      to: '2025-06-30',
      granularity: 'month',
      format: 'csv',
    });
    expect(res.statusCode, res.body).toBe(200);
    const [head, ...lines] = res.body
      .replace(/^\uFEFF/, '')
      .split('\r\n')
      .filter((l) => l !== '')
      .map((l) => l.split(';'));
    const personal = head!.indexOf('Réponses depuis une adresse personnelle');
    const other = head!.indexOf('Réponses depuis une autre BALF');
    // Appended after the provisional count (itself after the original columns), so that the columns
    // read by position before them keep their place.
    const unrefined = head!.indexOf('Reçus à vérifier (classement provisoire)');
    expect(unrefined).toBeGreaterThan(head!.indexOf('Cible (jours ouvrés)'));
    expect([personal, other]).toEqual([unrefined + 1, unrefined + 2]);
    const row = (id: string) => lines.find((l) => l[0] === 'sous-niveau' && l[2] === id)!;
    expect([
      row('SIP-A')[personal],
      row('SIP-A')[other],
      row('SIE-B')[personal],
      row('SIE-B')[other],
    ]).toEqual(['1', '0', '0', '1']);
  });

  it('keeps the counts of purged days and moves them with the BALF', async () => {
    const q = newKey();
    // 02:30Z on 10 March: 10 March in Paris, 9 March in Guadeloupe.
    await upload(LOOSE, [
      { k: q, dir: 'in', at: '2025-03-09T12:00:00Z', cat: 'usager' },
      { k: newKey(), dir: 'out', at: '2025-03-10T02:30:00Z', cat: 'reply', re: [q], via: 'personal' },
    ]);
    await upload(LOOSE, [
      { k: newKey(), dir: 'out', at: '2025-06-10T02:30:00Z', cat: 'reply', re: [q], via: 'other-balf' },
    ]);
    const days = async () =>
      (
        await h.db
          .selectFrom('daily_sent_via')
          .select(['day', 'via', 'count'])
          .where('balf', '=', LOOSE)
          .orderBy('day')
          .execute()
      ).map((r) => [r.day, r.via, Number(r.count)]);
    expect(await days()).toEqual([
      ['2025-03-10', 'personal', 1],
      ['2025-06-10', 'other-balf', 1],
    ]);
    const unattached = await stats({ level: 'national', from: '2025-03-01', to: '2025-06-30' });
    expect(via(unattached.children.find((c) => c.id === 'unattached')!)).toEqual([1, 1]);
    // The records of March are purged; their day's count stays.
    const report = await purgeOlderThan(h.db, { days: 60, now: new Date('2025-06-30T10:00:00Z') });
    expect(report.records).toBe(2);
    expect(await days()).toEqual([
      ['2025-03-10', 'personal', 1],
      ['2025-06-10', 'other-balf', 1],
    ]);
    // Claimed by a Guadeloupe service: the kept March day stays, June's record moves to its local day.
    await h.db.insertInto('balfs').values({ address: LOOSE, service_code: 'SIP-PAP' }).execute();
    await recomputeBalf(h.db, LOOSE);
    expect(await days()).toEqual([
      ['2025-03-10', 'personal', 1],
      ['2025-06-09', 'other-balf', 1],
    ]);
    const nation = await stats({ level: 'national', from: '2025-03-01', to: '2025-06-30' });
    expect(Object.fromEntries(nation.children.map((c) => [c.id, via(c)]))).toEqual({
      '75': [0, 0],
      '971': [1, 1],
      unattached: [0, 0],
    });
  });
});
