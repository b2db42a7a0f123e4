// After a retention purge: purged days are never counted twice by a re-sent record, nor refined (their
// provisional count stays), and a BALF moved in the directory keeps its purged days' counts (credited to
// its new home).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { recomputeStaleBalfs } from '../../src/server/ingest/recompute.ts';
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
  type RecordInput,
} from './support.ts';

const BALF = 'sie.lyon@dgfip.finances.gouv.fr';
const NOW = new Date('2025-06-30T10:00:00Z');
const DAYS = 100; // first day kept: 22 March 2025

describe.each(databaseKinds)('ingest and directory moves after a purge, on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  let old: RecordInput[];
  let recent: RecordInput[];

  beforeEach(async () => {
    h = await harness(kind, { now: NOW.toISOString() });
    await seedDirectory(h.db, [
      { department: '69', region: 'metropole', service: 'S69', balfs: [BALF] },
      { department: '57', region: 'alsace-moselle', service: 'S57', balfs: [] },
    ]);
    write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
    const q1 = newKey();
    const q2 = newKey();
    old = [
      { k: q1, dir: 'in', at: '2025-03-10T08:00:00Z', cat: 'usager', hdr: true },
      { k: newKey(), dir: 'out', at: '2025-03-12T09:00:00Z', cat: 'reply', re: [q1] },
      { k: newKey(), dir: 'in', at: '2025-03-14T08:00:00Z', cat: 'usager' }, // never answered
    ];
    recent = [
      { k: q2, dir: 'in', at: '2025-04-01T08:00:00Z', cat: 'usager' },
      { k: newKey(), dir: 'out', at: '2025-04-02T09:00:00Z', cat: 'reply', re: [q2] },
    ];
    const res = await post(h.app, write, batch(BALF, [...old, ...recent]));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 5 });
    expect(await purgeOlderThan(h.db, { days: DAYS, now: NOW })).toMatchObject({ records: 3 });
  });
  afterEach(async () => h.close());

  const stats = async (query: Record<string, string>): Promise<StatsAnswer> => {
    const res = await getStats(h.app, read, {
      level: 'national',
      from: '2025-03-01',
      to: '2025-04-30',
      granularity: 'month',
      ...query,
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const figures = (a: StatsAnswer) => [
    a.totals.received,
    a.totals.sent,
    a.totals.answeredInTime,
    a.totals.overdue,
    a.totals.unrefined,
  ];

  it('refuses records of purged days re-sent by a reinstalled workstation, and says why', async () => {
    const before = await stats({});
    expect(figures(before)).toEqual([3, 2, 2, 1, 2]);
    // A new batch (new batchId, as after a reinstall) with the whole history again, the never-answered
    // message of a purged day now classified with its headers.
    const refined: RecordInput = { ...old[2]!, cat: 'auto', hdr: true };
    const res = await post(h.app, write, batch(BALF, [old[0]!, old[1]!, refined, ...recent], { schema: 2 }));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      accepted: 0,
      duplicates: 2,
      rejected: 3,
    });
    expect(await stats({})).toEqual(before);
    const stored = await h.db.selectFrom('records').select('key').execute();
    expect(stored.length).toBe(2);
  });

  it('keeps the purged days of a BALF moved to another department, and credits them there', async () => {
    const before = await stats({});
    await h.db.updateTable('balfs').set({ service_code: 'S57' }).where('address', '=', BALF).execute();
    expect(await recomputeStaleBalfs(h.db)).toBe(1);
    const after = await stats({});
    expect(figures(after)).toEqual(figures(before));
    const byDepartment = Object.fromEntries(after.children.map((c) => [c.id, c.received]));
    expect(byDepartment).toMatchObject({ '69': 0, '57': 3 });
    const march = await stats({ level: 'department', id: '57', from: '2025-03-01', to: '2025-03-31' });
    expect(figures(march)).toEqual([2, 1, 1, 1, 1]);
    const balf = await stats({ level: 'balf', id: BALF, from: '2025-03-01', to: '2025-03-31' });
    expect(figures(balf)).toEqual([2, 1, 1, 1, 1]);
  });
});
