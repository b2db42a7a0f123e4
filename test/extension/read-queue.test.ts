// Header reads beside the walk: the queue's bounds and writes, and a scan that hands sent mail over to it
// (replies keep their `re` keys, a failed read stays that message's, nothing is read or counted twice).
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import type { Ledger, LedgerRow } from '../../src/extension/ledger.ts';
import type { MessageList, MessagePart, QueryInfo } from '../../src/extension/platform.ts';
import { READ_FAILED, ReadQueue, type DeferredRow } from '../../src/extension/read-queue.ts';
import { scanAccount } from '../../src/extension/scanner.ts';
import { ARCHIVES, eml, INBOX, SENT } from './eml.ts';
import { FakeMessenger } from './fake-messenger.ts';
import { BALF, freshLedger, row, SECRET, TestClock, testConfig } from './helpers.ts';

const account = { accountId: 'account1', balf: BALF };
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** A promise and the function that settles it. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

function scanDeps(fake: FakeMessenger, ledger: Ledger, over: object = {}) {
  return {
    ledger,
    getFull: fake.api.messages.getFull,
    query: fake.api.messages.query,
    continueList: fake.api.messages.continueList,
    clock: new TestClock(new Date('2026-11-20T12:00:00Z')).fn,
    yieldNow: async () => undefined,
    ...over,
  };
}

/** `n` sent replies (each answering question-<i>@example.org) and `n` received questions. */
function balf(n: number): FakeMessenger {
  const fake = new FakeMessenger();
  for (let i = 0; i < n; i++) {
    const q = eml('question-from-usager', INBOX);
    fake.addMessage({ ...q, header: { ...q.header, headerMessageId: `question-${i}@example.org` } });
    const r = eml('reply-with-in-reply-to', SENT);
    fake.addMessage({
      ...r,
      headers: { ...r.headers, 'in-reply-to': [`<question-${i}@example.org>`], references: [] },
      header: { ...r.header, headerMessageId: `reply-${i}@dgfip.finances.gouv.fr` },
    });
  }
  return fake;
}

describe('ReadQueue', () => {
  it('writes each row read once, counts failed and ignored ones, and knows a key until it is written', async () => {
    const ledger = await freshLedger();
    const queue = new ReadQueue(ledger, { concurrency: 2, maxWaiting: 10, writeBatch: 2 });
    const held = gate();
    const rows = [row(), row(), row()];
    const deferred: DeferredRow[] = [
      ...rows.map((r) => ({
        key: r.key,
        build: async () => {
          await held.opened;
          return r;
        },
      })),
      { key: 'failed', build: async () => READ_FAILED },
      { key: 'ignored', build: async () => null },
      // The same key again is not read twice.
      { key: rows[0]!.key, build: async () => ({ ...rows[0]!, subject: 'second' }) },
    ];
    await queue.add(deferred);
    expect(queue.has(rows[0]!.key)).toBe(true);
    expect(await ledger.count()).toBe(0);
    held.open();
    const stats = await queue.drain();
    expect(stats).toMatchObject({ added: 3, failed: 1, ignored: 1 });
    expect(queue.has(rows[0]!.key)).toBe(false);
    expect(await ledger.count()).toBe(3);
    expect((await ledger.get(BALF, rows[0]!.key))?.subject).toBe(rows[0]!.subject);
  });

  it('keeps at most `concurrency` reads in flight and holds the walk while the backlog is full', async () => {
    const ledger = await freshLedger();
    const queue = new ReadQueue(ledger, { concurrency: 2, maxWaiting: 3 });
    const gates: (() => void)[] = [];
    let free = false;
    let inFlight = 0;
    let peak = 0;
    const make = (r: LedgerRow): DeferredRow => ({
      key: r.key,
      build: async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        if (!free) await new Promise<void>((resolve) => gates.push(resolve));
        inFlight -= 1;
        return r;
      },
    });
    let added = false;
    // 2 reading + 4 waiting > 3: add() waits until one more read is taken.
    const adding = queue.add([row(), row(), row(), row(), row(), row()].map(make)).then(() => (added = true));
    await tick();
    expect(added).toBe(false);
    expect(peak).toBe(2);
    gates.shift()?.();
    await adding;
    expect(added).toBe(true);
    free = true;
    for (const open of gates.splice(0)) open();
    expect((await queue.drain()).added).toBe(6);
    expect(peak).toBe(2);
  });

  it('rejects the drain on a failure of our code, after writing what was read before it', async () => {
    const ledger = await freshLedger();
    const queue = new ReadQueue(ledger, { concurrency: 1, maxWaiting: 10, writeBatch: 1 });
    const ok = row();
    await queue.add([
      { key: ok.key, build: async () => ok },
      {
        key: 'bug',
        build: async () => {
          throw new TypeError('bug');
        },
      },
    ]);
    await expect(queue.drain()).rejects.toThrow('bug');
    expect(await ledger.get(BALF, ok.key)).toBeDefined();
  });
});

describe('scan with header reads beside the walk', () => {
  it('walks on while sent headers are read, and writes each reply with its re keys before the walk ends', async () => {
    const fake = balf(6);
    const ledger = await freshLedger();
    let pagesAsked = 0;
    const allPagesAsked = gate();
    const deps = scanDeps(fake, ledger, {
      pageSize: 2,
      folderOrder: () => ['/Sent', '/INBOX'],
      continueList: async (id: string) => {
        if (++pagesAsked === 5) allPagesAsked.open();
        return fake.api.messages.continueList(id);
      },
      // Reads finish only once the walk has asked for its last page: reads inside the walk would wait forever.
      getFull: async (id: number): Promise<MessagePart> => {
        await allPagesAsked.opened;
        return fake.api.messages.getFull(id);
      },
    });
    const stats = await scanAccount(deps, testConfig(), account);
    expect(stats).toMatchObject({ seen: 12, added: 12, headersRead: 6, failed: 0, known: 0 });
    for (let i = 0; i < 6; i++) {
      const reply = await ledger.get(BALF, await messageKey(SECRET, `reply-${i}@dgfip.finances.gouv.fr`));
      expect(reply, `reply ${i}`).toMatchObject({
        dir: 'out',
        cat: 'reply',
        re: [await messageKey(SECRET, `question-${i}@example.org`)],
      });
    }
  });

  it('walks the Sent folders first when the folder order is known', async () => {
    const fake = balf(3);
    const ledger = await freshLedger();
    const queries: QueryInfo[] = [];
    const pages: string[][] = [];
    const paths = (list: MessageList | string): MessageList | string => {
      if (typeof list !== 'string') pages.push(list.messages.map((h) => h.folder?.path ?? ''));
      return list;
    };
    const deps = scanDeps(fake, ledger, {
      pageSize: 3,
      folderOrder: () => ['/Sent', '/INBOX'],
      query: async (info: QueryInfo) => {
        queries.push(info);
        return paths(await fake.api.messages.query(info));
      },
      continueList: async (id: string) => paths(await fake.api.messages.continueList(id)) as MessageList,
    });
    expect(await scanAccount(deps, testConfig(), account)).toMatchObject({ added: 6, headersRead: 3 });
    expect(queries[0]?.folderId).toEqual(['/Sent', '/INBOX']);
    expect(pages).toEqual([
      ['/Sent', '/Sent', '/Sent'],
      ['/INBOX', '/INBOX', '/INBOX'],
    ]);
  });

  it('looks a wide walk up in the keys read once, an incremental walk message by message', async () => {
    const fake = balf(2);
    const ledger = await freshLedger();
    const calls = { keysOf: 0, existingKeys: 0 };
    const spied = Object.assign(Object.create(ledger) as Ledger, {
      keysOf: (balf: string) => (calls.keysOf++, ledger.keysOf(balf)),
      existingKeys: (balf: string, keys: readonly string[]) => (
        calls.existingKeys++,
        ledger.existingKeys(balf, keys)
      ),
    });
    const deps = scanDeps(fake, spied, { pageSize: 2 });
    expect(await scanAccount(deps, testConfig(), account)).toMatchObject({ added: 4 });
    expect(calls).toEqual({ keysOf: 1, existingKeys: 0 });
    // A second full walk: everything known from the keys read once, no header read again.
    const again = await scanAccount(deps, testConfig(), account, { full: true });
    expect(again).toMatchObject({ added: 0, known: 4, headersRead: 0 });
    expect(calls).toEqual({ keysOf: 2, existingKeys: 0 });
    // Two full walks agreed: the next one is incremental and asks the ledger for its messages only.
    const incremental = await scanAccount(deps, testConfig(), account);
    expect(incremental.seen).toBeGreaterThan(0);
    expect(incremental).toMatchObject({ added: 0, known: incremental.seen, headersRead: 0 });
    expect(calls.keysOf).toBe(2);
    expect(calls.existingKeys).toBeGreaterThan(0);
  });

  it('reads and counts once a sent message found in two folders, and only its failed read is retried', async () => {
    const fake = new FakeMessenger();
    const reply = eml('reply-with-in-reply-to', SENT);
    fake.addMessage(reply);
    fake.addMessage({ ...reply, header: { ...reply.header, id: 999, folder: ARCHIVES } });
    const other = eml('reply-without-references-french-re', SENT);
    fake.addMessage(other);
    const ledger = await freshLedger();
    let reads = 0;
    const failing = new Set([other.header.id]);
    const deps = scanDeps(fake, ledger, {
      pageSize: 1,
      getFull: async (id: number) => {
        reads += 1;
        if (failing.has(id)) throw new Error('Error while streaming message: Timeout');
        return fake.api.messages.getFull(id);
      },
    });
    const first = await scanAccount(deps, testConfig(), account);
    expect(first).toMatchObject({ seen: 3, added: 1, known: 1, failed: 1, headersRead: 2 });
    expect(first.readError).toContain('Timeout');
    expect(reads).toBe(2);
    expect(await ledger.count()).toBe(1);
    failing.clear();
    const second = await scanAccount(deps, testConfig(), account, { full: true });
    expect(second).toMatchObject({ added: 1, known: 2, failed: 0, headersRead: 1 });
    expect(await ledger.count()).toBe(2);
  });
});
