// Walks count received mail from the message list, then read each message's headers alongside: header-only
// automatic mail ends `auto`, a person's mail stays `usager`, references are kept; unreadable, gone and
// out-of-window messages are given up after a few tries and stop holding the figures provisional.
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import { Refine, REFINE_MAX_FAILURES, Up, type Ledger, type LedgerRow } from '../../src/extension/ledger.ts';
import { reconcile, scanAccount } from '../../src/extension/scanner.ts';
import type { QueryInfo } from '../../src/extension/platform.ts';
import { eml, HEADER_ONLY_AUTOMATIC, INBOX, SENT } from './eml.ts';
import { FakeMessenger } from './fake-messenger.ts';
import { BALF, freshLedger, SECRET, scanDeps, TestClock, testConfig } from './helpers.ts';

const account = { accountId: 'account1', balf: BALF };

const byId = async (ledger: Ledger, id: string): Promise<LedgerRow | undefined> =>
  ledger.get(BALF, await messageKey(SECRET, id));

function mailbox(): FakeMessenger {
  const fake = new FakeMessenger();
  for (const name of HEADER_ONLY_AUTOMATIC) fake.addMessage(eml(name, INBOX));
  fake.addMessage(eml('question-from-usager', INBOX));
  fake.addMessage(eml('reminder-quoting-question', INBOX));
  return fake;
}

describe('refinement of received mail in walks', () => {
  it('counts from the list first, then classifies every received message with its own headers', async () => {
    const fake = mailbox();
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    let firstFigures: LedgerRow[] = [];
    const deps = scanDeps(fake, ledger, clock, {
      pageSize: 2,
      counted: async () => void (firstFigures = await ledger.allRows()),
    });
    const stats = await scanAccount(deps, testConfig(), account);
    expect(stats).toMatchObject({ added: 6, refined: 6, reclassified: 4, refineFailed: 0 });
    // The first figures: every message counted, from the list alone (an ordinary author and subject: usager).
    expect(firstFigures).toHaveLength(6);
    expect(firstFigures.every((r) => r.cat === 'usager' && r.hdr === undefined)).toBe(true);
    // After the reads: header-only automatic mail is `auto`, the people's mail stays `usager`.
    for (const name of HEADER_ONLY_AUTOMATIC) {
      const { headerMessageId } = eml(name, INBOX).header;
      expect(await byId(ledger, headerMessageId), name).toMatchObject({
        cat: 'auto',
        hdr: true,
        up: Up.pending,
      });
      expect((await byId(ledger, headerMessageId))?.refine, name).toBeUndefined();
    }
    const question = await byId(ledger, 'question-1@example.org');
    expect(question).toMatchObject({ cat: 'usager', hdr: true });
    expect(question?.refs).toBeUndefined();
    // The reminder keeps the keys of what it references, In-Reply-To first (local only, never uploaded).
    expect(await byId(ledger, 'relance-1@example.org')).toMatchObject({
      cat: 'usager',
      hdr: true,
      subject: 'Re: Question sur ma taxe foncière',
      refs: [
        await messageKey(SECRET, 'question-1@example.org'),
        await messageKey(SECRET, 'older-0@example.org'),
      ],
    });
    // The sampling population follows the refined categories: only the two people's messages.
    const population = await ledger.receivedBetween(BALF, 0, Date.parse('2027-01-01'));
    expect(population.map((r) => r.key).sort()).toEqual(
      [question?.key, (await byId(ledger, 'relance-1@example.org'))?.key].sort(),
    );
    expect(await ledger.refineCounts(BALF)).toEqual({ waiting: 0, unverified: 0 });
    // Each message read once; a later walk reads nothing again.
    expect(fake.calls.getFull).toBe(6);
    clock.advance(20_000);
    expect(await scanAccount(deps, testConfig(), account, { full: true })).toMatchObject({ refined: 0 });
    expect(fake.calls.getFull).toBe(6);
  });

  it('keeps the reads within their bound, fewer while the walk still asks for pages', async () => {
    const fake = new FakeMessenger();
    for (let i = 0; i < 30; i++) {
      const m = eml('question-from-usager', INBOX);
      fake.addMessage({ ...m, header: { ...m.header, id: 5000 + i, headerMessageId: `q-${i}@example.org` } });
    }
    const ledger = await freshLedger();
    let inFlight = 0;
    const peaks = { walking: 0, after: 0 };
    let walking = true;
    const getFull = async (id: number) => {
      inFlight += 1;
      const phase = walking ? 'walking' : 'after';
      peaks[phase] = Math.max(peaks[phase], inFlight);
      await new Promise((r) => setTimeout(r, 3));
      inFlight -= 1;
      return fake.api.messages.getFull(id);
    };
    const deps = scanDeps(fake, ledger, new TestClock(new Date('2026-11-20T12:00:00Z')), {
      getFull,
      concurrency: 6,
      pageSize: 10,
      continueList: async (id: string) => {
        await new Promise((r) => setTimeout(r, 10));
        return fake.api.messages.continueList(id);
      },
      counted: async () => void (walking = false),
    });
    expect(await scanAccount(deps, testConfig(), account)).toMatchObject({ added: 30, refined: 30 });
    expect(peaks.walking).toBeLessThanOrEqual(4);
    expect(peaks.walking).toBeGreaterThan(1);
    expect(peaks.after).toBeLessThanOrEqual(6);
  });

  it('starts no refinement read while a page’s own reads of sent mail run', async () => {
    // Pages of 9: eight received messages (more than the reads in flight while walking: some wait) and a reply.
    const fake = new FakeMessenger();
    for (let page = 0; page < 4; page++) {
      for (let i = 0; i < 8; i++) {
        const q = eml('question-from-usager', INBOX);
        const n = page * 8 + i;
        fake.addMessage({
          ...q,
          header: { ...q.header, id: 6000 + n, headerMessageId: `q-${n}@example.org` },
        });
      }
      const r = eml('reply-with-in-reply-to', SENT);
      fake.addMessage({
        ...r,
        header: { ...r.header, id: 7000 + page, headerMessageId: `r-${page}@example.org` },
      });
    }
    const ledger = await freshLedger();
    let sentInFlight = 0;
    let startedDuringSentReads = 0;
    const getFull = async (id: number) => {
      const sent = id >= 7000;
      if (sent) sentInFlight += 1;
      else if (sentInFlight > 0) startedDuringSentReads += 1;
      await new Promise((r) => setTimeout(r, sent ? 25 : 4));
      if (sent) sentInFlight -= 1;
      return fake.api.messages.getFull(id);
    };
    const deps = scanDeps(fake, ledger, new TestClock(new Date('2026-11-20T12:00:00Z')), {
      getFull,
      pageSize: 9,
    });
    expect(await scanAccount(deps, testConfig(), account)).toMatchObject({ added: 36, refined: 32 });
    expect(startedDuringSentReads).toBe(0);
  });

  it('retries an unreadable message at later walks, then gives it up: list-only, unverified, not waited for', async () => {
    const fake = mailbox();
    const notice = eml('notice-auto-generated-ordinary-subject', INBOX).header.headerMessageId;
    fake.unreadable.add(notice);
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const deps = scanDeps(fake, ledger, clock);
    const first = await reconcile(deps, testConfig(), [account]);
    expect(first.errors).toEqual([]);
    // Counted all the same (the failed read is not a failed count): the account can settle.
    expect(first.stats).toMatchObject({ added: 6, failed: 0, refined: 5, refineFailed: 1 });
    expect(first.stats.readError).toContain('Timeout');
    expect(await byId(ledger, notice)).toMatchObject({
      cat: 'usager',
      refine: Refine.waiting,
      refineFailures: 1,
    });
    expect(await ledger.refineCounts(BALF)).toEqual({ waiting: 1, unverified: 0 });
    for (let walk = 2; walk <= REFINE_MAX_FAILURES; walk++) {
      clock.advance(20_000);
      await reconcile(deps, testConfig(), [account]);
    }
    expect(await byId(ledger, notice)).toMatchObject({
      cat: 'usager',
      refine: Refine.unverified,
      refineFailures: REFINE_MAX_FAILURES,
    });
    expect((await byId(ledger, notice))?.hdr).toBeUndefined();
    expect(await ledger.refineCounts(BALF)).toEqual({ waiting: 0, unverified: 1 });
    // Given up: later walks no longer try it.
    const reads = fake.calls.getFull;
    clock.advance(20_000);
    await reconcile(deps, testConfig(), [account]);
    expect(fake.calls.getFull).toBe(reads);
  });

  it('refines at a later walk a message that becomes readable, and finds a waiting row from an incremental walk', async () => {
    const fake = mailbox();
    const notice = eml('notice-null-return-path', INBOX).header.headerMessageId;
    fake.unreadable.add(notice);
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const queries: QueryInfo[] = [];
    const deps = scanDeps(fake, ledger, clock, {
      query: async (info: QueryInfo) => (queries.push(info), fake.api.messages.query(info)),
    });
    await scanAccount(deps, testConfig(), account);
    clock.advance(20_000);
    await scanAccount(deps, testConfig(), account);
    // Synced; four days later the incremental walk would start two days before the last one: it starts at the
    // waiting row instead, and reads it now that Thunderbird can stream it.
    fake.unreadable.clear();
    clock.advance(4 * 86_400_000);
    expect(await scanAccount(deps, testConfig(), account)).toMatchObject({ refined: 1, reclassified: 1 });
    expect(queries.at(-1)?.fromDate?.toISOString()).toBe('2026-11-17T09:15:00.000Z');
    expect(await byId(ledger, notice)).toMatchObject({ cat: 'auto', hdr: true });
    expect((await byId(ledger, notice))?.refineFailures).toBeUndefined();
  });

  it('gives up a waiting row whose message is gone, once walks of the synced account no longer see it', async () => {
    const fake = mailbox();
    const question = eml('question-from-usager', INBOX).header.headerMessageId;
    fake.unreadable.add(question);
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const deps = scanDeps(fake, ledger, clock);
    await scanAccount(deps, testConfig(), account);
    // Deleted in Thunderbird before a walk could read it.
    fake.messagesStore = fake.messagesStore.filter((m) => m.header.headerMessageId !== question);
    for (let walk = 0; walk < REFINE_MAX_FAILURES + 1; walk++) {
      clock.advance(20_000);
      await scanAccount(deps, testConfig(), account);
    }
    expect(await byId(ledger, question)).toMatchObject({ refine: Refine.unverified, cat: 'usager' });
    expect(await ledger.refineCounts(BALF)).toEqual({ waiting: 0, unverified: 1 });
  });

  it('gives up at once the waiting rows older than the back-fill window (no walk will see them)', async () => {
    const fake = mailbox();
    fake.unreadable.add('question-1@example.org');
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    await scanAccount(scanDeps(fake, ledger, clock), testConfig(), account);
    expect(await ledger.refineCounts(BALF)).toEqual({ waiting: 1, unverified: 0 });
    clock.advance(80 * 86_400_000);
    await scanAccount(scanDeps(fake, ledger, clock), testConfig({ backfillDays: 30 }), account);
    expect(await byId(ledger, 'question-1@example.org')).toMatchObject({ refine: Refine.unverified });
  });
});
