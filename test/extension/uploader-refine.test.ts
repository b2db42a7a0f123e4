// A received row sent list-only and refined afterwards is sent again with `hdr: true`, whatever state its first
// record was in (acknowledged, in a batch still open, being batched); evicted rows stay evicted; the queue's
// counts stay right; local-only refinement fields never leave the workstation.
import { describe, expect, it } from 'vitest';
import { TALLY_SCHEMA, tallyBatchSchema, type TallyRecord } from '../../src/core/protocol.ts';
import { Refine, Up, type Ledger } from '../../src/extension/ledger.ts';
import { Uploader } from '../../src/extension/uploader.ts';
import { BALF, fakeKey, freshLedger, row, TestClock, testConfig } from './helpers.ts';

interface Body {
  schema: number;
  batchId: string;
  records: TallyRecord[];
}

function server() {
  const bodies: Body[] = [];
  let down = false;
  const fetchFn = (async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as Body;
    if (down) return new Response('{"message":"indisponible"}', { status: 503 });
    bodies.push(body);
    return new Response(JSON.stringify({ accepted: body.records.length, duplicates: 0 }), { status: 200 });
  }) as typeof fetch;
  return { bodies, fetch: fetchFn, setDown: (d: boolean) => (down = d) };
}

let uuids = 0;
function uploader(ledger: Ledger, fetchFn: typeof fetch, clock: TestClock, over: object = {}): Uploader {
  return new Uploader({
    ledger,
    fetch: fetchFn,
    clock: clock.fn,
    random: () => 0.5,
    uuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, '0')}`,
    client: async () => ({ id: 'install-1', addon: '0.2.0', thunderbird: '153.0' }),
    ...over,
  });
}

const refinedAuto = (key: string) => ({ key, ok: true as const, cat: 'auto' as const, refs: [fakeKey()] });

describe('uploader and refined rows', () => {
  it('sends an acknowledged row again once refined, even when its category did not change', async () => {
    const ledger = await freshLedger();
    const [a, b] = [fakeKey(), fakeKey()];
    await ledger.addIfAbsent([
      row({ key: a, refine: Refine.waiting }),
      row({ key: b, refine: Refine.waiting }),
    ]);
    const srv = server();
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    await uploader(ledger, srv.fetch, clock).run(testConfig());
    expect(await ledger.queueSize()).toBe(0);
    await ledger.applyRefinements(BALF, [refinedAuto(a), { key: b, ok: true, cat: 'usager', refs: [] }]);
    expect(await ledger.queueSize()).toBe(2);
    clock.advance(60_000);
    await uploader(ledger, srv.fetch, clock).run(testConfig());
    expect(srv.bodies.map((x) => x.schema)).toEqual([TALLY_SCHEMA, TALLY_SCHEMA]);
    const [first, second] = srv.bodies;
    expect(first?.records.map((r) => [r.cat, r.hdr])).toEqual([
      ['usager', undefined],
      ['usager', undefined],
    ]);
    expect(new Map(second?.records.map((r) => [r.k, [r.cat, r.hdr]]))).toEqual(
      new Map([
        [a, ['auto', true]],
        [b, ['usager', true]],
      ]),
    );
    // What refinement keeps locally (references, state) never leaves the workstation.
    for (const body of srv.bodies) {
      expect(tallyBatchSchema.safeParse(body).success).toBe(true);
      for (const r of body.records)
        expect(Object.keys(r).sort()).toEqual(
          r.hdr ? ['at', 'cat', 'dir', 'hdr', 'k'] : ['at', 'cat', 'dir', 'k'],
        );
    }
    expect(await ledger.queueSize()).toBe(0);
    expect((await ledger.rowsWithState(Up.acknowledged)).length).toBe(2);
  });

  it('takes a row refined while its batch waits out of that batch: the old record is sent, then the new one', async () => {
    const ledger = await freshLedger();
    const a = fakeKey();
    await ledger.addIfAbsent([
      row({ key: a, refine: Refine.waiting }),
      row({ key: fakeKey(), refine: Refine.waiting }),
    ]);
    const srv = server();
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    srv.setDown(true);
    await uploader(ledger, srv.fetch, clock).run(testConfig());
    expect((await ledger.rowsWithState(Up.batched)).length).toBe(2);
    await ledger.applyRefinements(BALF, [refinedAuto(a)]);
    expect(await ledger.get(BALF, a)).toMatchObject({ up: Up.pending, hdr: true, cat: 'auto' });
    expect((await ledger.get(BALF, a))?.batchId).toBeUndefined();
    expect(await ledger.queueSize()).toBe(2);
    srv.setDown(false);
    clock.advance(6 * 3_600_000);
    await uploader(ledger, srv.fetch, clock).run(testConfig(), { force: true });
    // The open batch (list-only record) is acknowledged without taking the refined row with it.
    const sentForA = srv.bodies.flatMap((x) => x.records).filter((r) => r.k === a);
    expect(sentForA.map((r) => [r.cat, r.hdr])).toEqual([
      ['usager', undefined],
      ['auto', true],
    ]);
    expect(await ledger.queueSize()).toBe(0);
    expect(await ledger.get(BALF, a)).toMatchObject({ up: Up.acknowledged, hdr: true });
    expect(await ledger.batches()).toEqual([]);
  });

  it('keeps pending a row refined while its batch is on the wire: the acknowledgement is the old record’s', async () => {
    const ledger = await freshLedger();
    const a = fakeKey();
    await ledger.addIfAbsent([row({ key: a, refine: Refine.waiting })]);
    const srv = server();
    let refinedDuringSend = false;
    const fetchFn = (async (url: string, init?: RequestInit) => {
      if (!refinedDuringSend) {
        refinedDuringSend = true;
        await ledger.applyRefinements(BALF, [refinedAuto(a)]);
      }
      return srv.fetch(url, init);
    }) as typeof fetch;
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    await uploader(ledger, fetchFn, clock).run(testConfig());
    expect(await ledger.get(BALF, a)).toMatchObject({ up: Up.pending, hdr: true });
    expect(await ledger.queueSize()).toBe(1);
    await uploader(ledger, fetchFn, clock).run(testConfig());
    expect(srv.bodies.flatMap((x) => x.records).map((r) => [r.cat, r.hdr])).toEqual([
      ['usager', undefined],
      ['auto', true],
    ]);
    expect(await ledger.get(BALF, a)).toMatchObject({ up: Up.acknowledged, hdr: true });
  });

  it('leaves pending a row refined between the read of the queue and the batch’s creation', async () => {
    const ledger = await freshLedger();
    const a = fakeKey();
    await ledger.addIfAbsent([row({ key: a, refine: Refine.waiting })]);
    const racing = Object.assign(Object.create(ledger) as Ledger, {
      createBatch: async (...args: Parameters<Ledger['createBatch']>) => {
        await ledger.applyRefinements(BALF, [refinedAuto(a)]);
        return ledger.createBatch(...args);
      },
    });
    const srv = server();
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    await uploader(racing, srv.fetch, clock).run(testConfig());
    expect(srv.bodies.flatMap((x) => x.records).map((r) => r.hdr)).toEqual([undefined]);
    expect(await ledger.get(BALF, a)).toMatchObject({ up: Up.pending, hdr: true });
    await uploader(ledger, srv.fetch, clock).run(testConfig());
    expect(srv.bodies.flatMap((x) => x.records).map((r) => [r.cat, r.hdr])).toEqual([
      ['usager', undefined],
      ['auto', true],
    ]);
    expect(await ledger.queueSize()).toBe(0);
  });

  it('keeps an evicted row evicted when refined, and bounds a queue of re-sent rows like any other', async () => {
    const ledger = await freshLedger();
    const keys = Array.from({ length: 4 }, () => fakeKey());
    await ledger.addIfAbsent(
      keys.map((key, i) => row({ key, refine: Refine.waiting, at: `2026-11-1${i}T08:00:00.000Z` })),
    );
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const srv = server();
    // Queue bound 3: the oldest pending row is evicted.
    await uploader(ledger, srv.fetch, clock, { maxQueuedRows: 3 }).run({
      ...testConfig(),
      endpoint: undefined,
    });
    expect((await ledger.rowsWithState(Up.evicted)).map((r) => r.key)).toEqual([keys[0]]);
    await uploader(ledger, srv.fetch, clock).run(testConfig());
    await ledger.applyRefinements(BALF, keys.map(refinedAuto));
    expect(await ledger.get(BALF, keys[0]!)).toMatchObject({ up: Up.evicted, hdr: true, cat: 'auto' });
    expect(await ledger.queueSize()).toBe(3);
    // Re-queued rows beyond the bound are evicted oldest first, and the eviction is logged.
    const eviction = await ledger.evictOverflow(2, clock.fn());
    expect(eviction).toMatchObject({ count: 1, oldest: '2026-11-11T08:00:00.000Z' });
    expect(await ledger.queueSize()).toBe(2);
  });
});
