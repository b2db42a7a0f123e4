// Stats on generated data, three overlapping clients, checked against a plain-loop computation written here.
// Clients disagree as real ones do: some send a received message's list-only guess, another its category
// decided with headers (`hdr`); some send a reply without the request closure (`hre`), another with it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addDays,
  isoWeekStart,
  localDay,
  monthStart,
  todayIn,
  workingDaysAfter,
  type Region,
} from '../../src/core/calendar.ts';
import type { Granularity, Metrics, StatsAnswer } from '../../src/core/protocol.ts';
import { recomputeBalf } from '../../src/server/ingest/recompute.ts';
import {
  batch,
  databaseKinds,
  getStats,
  harness,
  post,
  seedDirectory,
  token,
  type Harness,
  type RecordInput,
} from './support.ts';
import { seededRandom as rng } from '../support/seeded-random.ts';
import { rollupTables } from './rollup-tables.ts';

const NOW = '2025-06-30T10:00:00Z';
const DIRECTORY = [
  { department: '75', region: 'metropole', service: 'S75A', balfs: ['a1@x.fr', 'a2@x.fr'] },
  { department: '75', region: 'metropole', service: 'S75B', balfs: ['b1@x.fr'] },
  { department: '67', region: 'alsace-moselle', service: 'S67A', balfs: ['c1@x.fr'] },
  { department: '971', region: 'guadeloupe', service: 'S971', balfs: ['d1@x.fr'] },
  { department: '974', region: 'reunion', service: 'S974', balfs: ['e1@x.fr', 'e2@x.fr'] },
];
const UNATTACHED = 'zz@x.fr';

interface Gen {
  balf: string;
  /** The record as a client that refined it (or saw its whole request) sends it: what the server must keep. */
  rec: RecordInput & { k: string };
  /** What another client may send instead: the list-only guess, or the reply without its closure. */
  alt?: RecordInput;
}

function generate(seed: number): Gen[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  let n = 0;
  const key = () => `k${String(n++).padStart(8, '0')}${'x'.repeat(13)}`;
  const start = Date.parse('2025-04-01T00:00:00Z');
  const span = Date.parse('2025-06-30T09:00:00Z') - start;
  const out: Gen[] = [];
  for (const balf of [...DIRECTORY.flatMap((d) => d.balfs), UNATTACHED]) {
    const received: { k: string; ms: number }[] = [];
    const any: { k: string; ms: number }[] = [];
    for (let i = 0; i < 70; i++) {
      const ms = start + Math.floor(r() * span);
      const cat = pick(['usager', 'usager', 'usager', 'interne', 'auto', 'junk'] as const);
      const k = key();
      const at = new Date(ms).toISOString();
      // Four in five refined with headers; the others are known from the message list only.
      if (r() < 0.8) {
        const guess = pick(['usager', 'usager', 'usager', 'interne', 'auto', 'junk'] as const);
        out.push({ balf, rec: { k, dir: 'in', at, cat, hdr: true }, alt: { k, dir: 'in', at, cat: guess } });
      } else out.push({ balf, rec: { k, dir: 'in', at, cat } });
      if (cat === 'usager') received.push({ k, ms });
      any.push({ k, ms });
    }
    for (let i = 0; i < 60; i++) {
      const cat = pick(['reply', 'reply', 'reply', 'forward', 'new', 'auto'] as const);
      // Mostly usager mail; sometimes mail a list-only guess may have called usager.
      const target = pick(r() < 0.85 ? received : any);
      // Mostly after receipt (0–12 days), sometimes before it (a skewed client clock).
      const ms = target.ms + Math.floor((r() * 13 - (r() < 0.1 ? 14 : 0)) * 86_400_000 * r());
      const re =
        cat === 'reply' || cat === 'forward'
          ? [
              target.k,
              ...(r() < 0.3 ? [pick(received).k] : []),
              ...(r() < 0.2 ? ['nowhere' + 'y'.repeat(15)] : []),
            ]
          : [];
      const rec = {
        k: key(),
        dir: 'out' as const,
        at: new Date(Math.min(ms, Date.parse(NOW))).toISOString(),
        cat,
        ...(re.length ? { re } : {}),
      };
      // A reply that also closes an earlier message of the same request.
      if (cat === 'reply' && r() < 0.3)
        out.push({ balf, rec: { ...rec, hre: [pick(received).k] }, alt: rec });
      else out.push({ balf, rec });
    }
  }
  return out;
}

function regionOf(balf: string): Region {
  return (DIRECTORY.find((d) => d.balfs.includes(balf))?.region ?? 'metropole') as Region;
}

/** The independent computation: plain loops over the generated records. */
function expected(
  records: readonly Gen[],
  filter: (balf: string) => boolean,
  from: string,
  to: string,
  target: number,
) {
  const rows: {
    balf: string;
    day: string;
    flow: [string, string];
    unrefined: boolean;
    status?: string;
    delay?: number;
  }[] = [];
  for (const { balf, rec } of records) {
    if (!filter(balf)) continue;
    const region = regionOf(balf);
    const day = localDay(rec.at, region);
    if (day < from || day > to) continue;
    const row: (typeof rows)[number] = {
      balf,
      day,
      flow: [rec.dir, rec.cat],
      unrefined: rec.dir === 'in' && rec.hdr !== true,
    };
    if (rec.dir === 'in' && rec.cat === 'usager') {
      let best: { ms: number; k: string; at: string } | null = null;
      for (const o of records) {
        const answers = [...(o.rec.re ?? []), ...(o.rec.hre ?? [])];
        if (o.balf !== balf || o.rec.cat !== 'reply' || !answers.includes(rec.k)) continue;
        const ms = Date.parse(o.rec.at);
        if (!best || ms < best.ms || (ms === best.ms && o.rec.k < best.k))
          best = { ms, k: o.rec.k, at: o.rec.at };
      }
      if (best) {
        const answerDay = localDay(best.at, region);
        row.delay = answerDay <= day ? 0 : workingDaysAfter(day, answerDay, region);
        row.status = row.delay <= target ? 'answeredInTime' : 'answeredLate';
      } else {
        const today = todayIn(region, new Date(NOW));
        row.status = workingDaysAfter(day, today, region) > target ? 'overdue' : 'pending';
      }
    }
    rows.push(row);
  }
  return rows;
}

function metricsOf(rows: ReturnType<typeof expected>): Metrics {
  const m: Metrics = {
    received: 0,
    receivedByCategory: { usager: 0, interne: 0, auto: 0, junk: 0 },
    unrefined: 0,
    sent: 0,
    sentByCategory: { reply: 0, forward: 0, new: 0, auto: 0 },
    sentVia: { personal: 0, otherBalf: 0 },
    answeredInTime: 0,
    answeredLate: 0,
    pending: 0,
    overdue: 0,
    complianceRate: null,
    medianDelayDays: null,
    p90DelayDays: null,
  };
  const delays: number[] = [];
  for (const r of rows) {
    if (r.unrefined) m.unrefined++;
    if (r.flow[0] === 'in') {
      m.received++;
      m.receivedByCategory[r.flow[1] as 'usager']++;
    } else {
      m.sent++;
      m.sentByCategory[r.flow[1] as 'reply']++;
    }
    if (r.status) m[r.status as 'pending']++;
    if (r.delay !== undefined) delays.push(r.delay);
  }
  const decided = m.answeredInTime + m.answeredLate + m.overdue;
  m.complianceRate = decided ? m.answeredInTime / decided : null;
  delays.sort((a, b) => a - b);
  const rank = (p: number) => delays[Math.max(1, Math.ceil(p * delays.length)) - 1]!;
  m.medianDelayDays = delays.length ? rank(0.5) : null;
  m.p90DelayDays = delays.length ? rank(0.9) : null;
  return m;
}

function period(day: string, g: Granularity): string {
  return g === 'day' ? day : g === 'week' ? isoWeekStart(day) : monthStart(day);
}

describe.each(databaseKinds)('stats against an independent computation on %s', (kind) => {
  let h: Harness;
  let read: string;
  const records = generate(20250630);
  beforeAll(async () => {
    h = await harness(kind, { now: NOW });
    await seedDirectory(h.db, DIRECTORY);
    const write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
    // Three clients each see ~70 % of the records (every record by at least one, the one that refined it
    // or saw its whole request), in their own order and batches; the others often send the other version.
    const r = rng(7);
    const byBalf = new Map<string, Gen[]>();
    for (const g of records) byBalf.set(g.balf, [...(byBalf.get(g.balf) ?? []), g]);
    const uploads: { balf: string; recs: RecordInput[]; client: string }[] = [];
    for (const [balf, list] of byBalf) {
      for (const client of ['a', 'b', 'c']) {
        const mine = ['a', 'b', 'c'].indexOf(client);
        const seen = list.flatMap((g, i) =>
          i % 3 === mine ? [g.rec] : r() < 0.55 ? [g.alt !== undefined && r() < 0.6 ? g.alt : g.rec] : [],
        );
        seen.sort(() => r() - 0.5);
        for (let i = 0, size = 0; i < seen.length; i += size) {
          size = 17 + Math.floor(r() * 40);
          uploads.push({ balf, client, recs: seen.slice(i, i + size) });
        }
      }
    }
    uploads.sort(() => r() - 0.5);
    // Six uploads at a time: batches of one BALF and of one department meet in the database.
    for (let i = 0; i < uploads.length; i += 6) {
      const answers = await Promise.all(
        uploads
          .slice(i, i + 6)
          .map((u) =>
            post(
              h.app,
              write,
              batch(u.balf, u.recs, { schema: 2, client: { id: u.client, addon: '1', thunderbird: '128' } }),
            ),
          ),
      );
      for (const res of answers) expect(res.statusCode, res.body).toBe(200);
    }
  }, 120_000);
  afterAll(async () => h.close());

  const cases: {
    query: Record<string, string>;
    filter: (balf: string) => boolean;
    children: [string, (balf: string) => boolean][];
  }[] = [
    {
      query: { level: 'national', from: '2025-04-01', to: '2025-06-30', granularity: 'month' },
      filter: () => true,
      children: [
        ['67', (b) => b === 'c1@x.fr'],
        ['75', (b) => ['a1@x.fr', 'a2@x.fr', 'b1@x.fr'].includes(b)],
        ['971', (b) => b === 'd1@x.fr'],
        ['974', (b) => b.startsWith('e')],
        ['unattached', (b) => b === UNATTACHED],
      ],
    },
    {
      query: {
        level: 'department',
        id: '75',
        from: '2025-04-14',
        to: '2025-06-11',
        granularity: 'week',
        target: 'dgfip-48h',
      },
      filter: (b) => ['a1@x.fr', 'a2@x.fr', 'b1@x.fr'].includes(b),
      children: [
        ['S75A', (b) => b.startsWith('a')],
        ['S75B', (b) => b === 'b1@x.fr'],
      ],
    },
    {
      query: { level: 'service', id: 'S974', from: '2025-05-01', to: '2025-05-31', granularity: 'day' },
      filter: (b) => b.startsWith('e'),
      children: [
        ['e1@x.fr', (b) => b === 'e1@x.fr'],
        ['e2@x.fr', (b) => b === 'e2@x.fr'],
      ],
    },
    {
      // Unattached BALFs: found through balf_homes, read by primary key (no day index, migration 0004).
      query: {
        level: 'department',
        id: 'unattached',
        from: '2025-04-01',
        to: '2025-06-30',
        granularity: 'month',
      },
      filter: (b) => b === UNATTACHED,
      children: [[UNATTACHED, (b) => b === UNATTACHED]],
    },
    {
      query: { level: 'balf', id: 'd1@x.fr', from: '2025-04-01', to: '2025-06-30', granularity: 'week' },
      filter: (b) => b === 'd1@x.fr',
      children: [],
    },
  ];

  it.each(cases)(
    'matches for $query.level $query.id $query.granularity',
    async ({ query, filter, children }) => {
      const res = await getStats(h.app, read, query);
      expect(res.statusCode, res.body).toBe(200);
      const answer = res.json() as StatsAnswer;
      const target = query['target'] === 'dgfip-48h' ? 2 : 5;
      const rows = expected(records, filter, query['from']!, query['to']!, target);
      expect(answer.totals).toEqual(metricsOf(rows));
      const g = query['granularity'] as Granularity;
      const periods: string[] = [];
      for (let d = query['from']!; d <= query['to']!; d = addDays(d, 1))
        if (!periods.includes(period(d, g))) periods.push(period(d, g));
      expect(answer.series).toEqual(
        periods.map((p) => ({ period: p, ...metricsOf(rows.filter((x) => period(x.day, g) === p)) })),
      );
      expect(
        answer.children.map((c) => [c.id, { ...c, level: undefined, id: undefined, name: undefined }]),
      ).toEqual(
        children.map(([id, f]) => [
          id,
          { ...metricsOf(rows.filter((x) => f(x.balf))), level: undefined, id: undefined, name: undefined },
        ]),
      );
      expect(answer.totals.received).toBeGreaterThan(0);
    },
  );

  it('keeps rollups equal to a rebuild from the stored records', async () => {
    const before = await rollupTables(h.db);
    expect(before.daily_flows.length).toBeGreaterThan(0);
    for (const balf of new Set(records.map((g) => g.balf))) await recomputeBalf(h.db, balf);
    expect(await rollupTables(h.db)).toEqual(before);
  });
});
