// Batches carrying absurd dates: an instant that is not one (or has no offset) makes the whole
// batch a 400 naming the record, nothing stored; a real instant outside the calendar (before 1900,
// after 2200) or more than 36 h ahead of the server is refused record by record and counted in the
// answer, the rest stored; 1970 is a calendar date and lands on its own day, not in today's figures.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUTURE_TOLERANCE_MS } from '../../src/core/protocol.ts';
import { startCollector, type Collector } from '../support/faults/collector.ts';

const NOW = new Date('2026-11-20T10:00:00Z');
const BALF = 'sip.dates@dgfip.finances.gouv.fr';
let c: Collector;
let keyCount = 0;

beforeAll(async () => {
  c = await startCollector(() => NOW);
});
afterAll(() => c.close());

const key = () => `d${String(++keyCount).padStart(21, '0')}`;

function batch(ats: string[]) {
  return {
    schema: 1,
    batchId: randomUUID(),
    client: { id: 'poste-dates', addon: '0.1.0', thunderbird: '153.0' },
    balf: BALF,
    records: ats.map((at) => ({ k: key(), dir: 'in', at, cat: 'usager' })),
  };
}

function post(body: unknown) {
  return c.app.inject({
    method: 'POST',
    url: '/api/v1/tallies',
    headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
    payload: JSON.stringify(body),
  });
}

async function stored(): Promise<{
  records: { key: string; day: string }[];
  flows: { day: string; count: number }[];
}> {
  const records = await c.db.selectFrom('records').select(['key', 'day']).where('balf', '=', BALF).execute();
  const flows = await c.db
    .selectFrom('daily_flows')
    .select(['day', 'count'])
    .where('balf', '=', BALF)
    .orderBy('day')
    .execute();
  return { records, flows: flows.map((f) => ({ day: f.day, count: Number(f.count) })) };
}

describe('absurd dates in a batch', () => {
  it.each([
    ['not a date', 'pas-une-date'],
    ['an impossible day', '2026-02-30T10:00:00Z'],
    ['hour 24', '2026-11-20T24:00:00Z'],
    ['no time-zone offset', '2026-11-20T10:00:00'],
    ['an extended year', '+275760-09-13T00:00:00.000Z'],
    ['an empty string', ''],
  ])('%s: 400 naming the record, nothing stored', async (_label, at) => {
    const before = await stored();
    const body = batch(['2026-11-19T09:00:00Z', at]);
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(400);
    const answer = res.json<{ error: string; message: string; details: { path: string }[] }>();
    expect(answer.error).toBe('invalid');
    expect(answer.message).toMatch(/invalide/);
    expect(answer.details.map((d) => d.path)).toEqual(['records.1.at']);
    expect(await stored()).toEqual(before);
    // The batchId was not consumed: once corrected, the same batch is stored.
    const fixed = await post({
      ...body,
      records: body.records.map((r, i) => (i === 1 ? { ...r, at: '2026-11-19T10:00:00Z' } : r)),
    });
    expect(fixed.json()).toMatchObject({ accepted: 2, rejected: 0 });
  });

  it('outside the calendar or too far ahead: refused one by one and counted; the rest stored on their days', async () => {
    const before = await stored();
    const tooFar = new Date(NOW.getTime() + FUTURE_TOLERANCE_MS + 3_600_000).toISOString();
    const justInside = new Date(NOW.getTime() + FUTURE_TOLERANCE_MS - 3_600_000).toISOString();
    const body = batch([
      '2026-11-20T08:00:00Z', // today
      '2999-01-01T00:00:00Z', // after 2200: outside the calendar
      '1899-12-31T12:00:00Z', // before 1900
      '0000-01-01T00:00:00Z',
      tooFar, // 37 h ahead of the server
      justInside, // 35 h ahead: a workstation clock a day fast, tolerated
      '1970-01-01T00:00:00Z', // the epoch: a calendar date like any other
      '2026-11-20T10:00:00+14:00', // Kiribati offset: 2026-11-19T20:00Z
    ]);
    const res = await post(body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 4, duplicates: 0, rejected: 4 });
    const after = await stored();
    const days = new Map(after.records.map((r) => [r.key, r.day]));
    const k = body.records.map((r) => r.k);
    expect([k[1], k[2], k[3], k[4]].map((x) => days.get(x ?? ''))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(days.get(k[0] ?? '')).toBe('2026-11-20');
    expect(days.get(k[5] ?? '')).toBe('2026-11-21');
    expect(days.get(k[6] ?? '')).toBe('1970-01-01');
    expect(days.get(k[7] ?? '')).toBe('2026-11-19');
    expect(after.records.length).toBe(before.records.length + 4);
    // Daily figures: 1970 has its own row; today's counts only what happened today.
    const flow = (day: string) =>
      after.flows.filter((f) => f.day === day).reduce((n, f) => n + f.count, 0) -
      before.flows.filter((f) => f.day === day).reduce((n, f) => n + f.count, 0);
    expect(flow('1970-01-01')).toBe(1);
    expect(flow('2026-11-20')).toBe(1);
    expect(flow('2026-11-21')).toBe(1);
    expect(after.flows.some((f) => f.day > '2200-01-01' || f.day < '1900-01-01')).toBe(false);
    // Re-sending the batch (a client that missed the answer) gets the same answer, stores nothing more.
    const again = await post(body);
    expect(again.json()).toMatchObject({ accepted: 4, duplicates: 0, rejected: 4 });
    expect((await stored()).records.length).toBe(after.records.length);
  });

  it('a batch of nothing but absurd instants is answered, not failed', async () => {
    const res = await post(batch(['2999-12-31T23:59:59Z', '1800-01-01T00:00:00Z']));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 0, duplicates: 0, rejected: 2 });
  });
});
