// A Thunderbird that cannot stream messages (busy downloading a large IMAP folder's headers: each read waits
// for its timeout) stops the walk's reads after REFINE_BUSY_FAILURES failures in a row, none counted against
// its rows; a read that fails alone still counts.
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import { ingestHeaders } from '../../src/extension/ingest.ts';
import { Refine } from '../../src/extension/ledger.ts';
import type { MessageHeader } from '../../src/extension/platform.ts';
import { REFINE_BUSY_FAILURES, Refiner } from '../../src/extension/refine.ts';
import { header } from './fake-messenger.ts';
import { BALF, freshLedger, SECRET, TestClock, testConfig } from './helpers.ts';

async function waitingRows(count: number, tag: string) {
  const ledger = await freshLedger();
  const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
  const ctx = { balf: BALF, config: testConfig() };
  const headers: MessageHeader[] = Array.from({ length: count }, (_, i) =>
    header({ headerMessageId: `${tag}-${i}@example.org` }),
  );
  const unreadable = async (): Promise<never> => {
    throw new Error('unreadable');
  };
  // Counted from the list: the rows wait for their headers.
  await ingestHeaders({ ledger, getFull: unreadable, clock: clock.fn }, ctx, headers, {
    deferHeuristic: false,
    listFirst: { refine: () => undefined, waiting: new Set() },
  });
  const keys = await Promise.all(headers.map((h) => messageKey(SECRET, h.headerMessageId)));
  return { ledger, ctx, headers, keys };
}

describe('refinement while Thunderbird cannot stream messages', () => {
  it('stops reading after a run of failures and counts none of them against the rows', async () => {
    const { ledger, ctx, headers, keys } = await waitingRows(40, 'busy');
    let reads = 0;
    const refiner = new Refiner(
      {
        ledger,
        getFull: async () => {
          reads += 1;
          throw new Error('Error while streaming message: Timeout');
        },
      },
      ctx,
      4,
    );
    refiner.add(headers.map((h, i) => ({ key: keys[i]!, header: h })));
    const stats = await refiner.drain();
    expect(reads).toBeGreaterThanOrEqual(REFINE_BUSY_FAILURES);
    expect(reads).toBeLessThan(REFINE_BUSY_FAILURES + 4);
    expect(stats.failed).toBe(reads);
    expect(stats.stopped).toBe(true);
    // Tasks handed over later in the same walk are not read either.
    refiner.add([{ key: 'later', header: header({}) }]);
    await refiner.drain();
    expect(reads).toBeLessThan(REFINE_BUSY_FAILURES + 4);
    for (const key of keys) {
      const row = await ledger.get(BALF, key);
      expect(row).toMatchObject({ refine: Refine.waiting });
      expect(row?.refineFailures ?? 0).toBe(0);
    }
  });

  it('counts a read that fails alone, and refines the others', async () => {
    const { ledger, ctx, headers, keys } = await waitingRows(12, 'alone');
    const broken = headers[5]!.id;
    const refiner = new Refiner(
      {
        ledger,
        getFull: async (id) => {
          if (id === broken) throw new Error('unreadable');
          return { headers: { 'auto-submitted': ['auto-generated'] } };
        },
      },
      ctx,
      2,
    );
    refiner.add(headers.map((h, i) => ({ key: keys[i]!, header: h })));
    const stats = await refiner.drain();
    expect(stats).toMatchObject({ refined: 11, failed: 1, stopped: false });
    for (const [i, key] of keys.entries()) {
      const row = await ledger.get(BALF, key);
      if (i === 5) expect(row).toMatchObject({ refine: Refine.waiting, refineFailures: 1 });
      else expect(row).toMatchObject({ hdr: true, cat: 'auto' });
    }
  });
});
