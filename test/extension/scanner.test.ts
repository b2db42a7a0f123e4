// One counting path for scans and live events: categories, reply keys, heuristic, headers read
// only where needed, duplicates, copies in two folders, moves between scans, incremental start.
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import { ingestHeaders, messageIdsIn } from '../../src/extension/ingest.ts';
import { Up, type Ledger, type LedgerRow } from '../../src/extension/ledger.ts';
import { DAILY_WALK_SKIP_MS } from '../../src/extension/background-core.ts';
import {
  asList,
  fullWalkDue,
  markKey,
  newlySynced,
  reconcile,
  scanAccount,
  scanComplete,
  SCAN_OVERLAP_MS,
  type ScanMark,
} from '../../src/extension/scanner.ts';
import type { QueryInfo } from '../../src/extension/platform.ts';
import { ARCHIVES, eml, INBOX, SENT } from './eml.ts';
import { FakeMessenger } from './fake-messenger.ts';
import { BALF, freshLedger, SECRET, scanDeps, TestClock, testConfig } from './helpers.ts';

const DRAFTS = { accountId: 'account1', path: '/Drafts', specialUse: ['drafts'] };
const JUNK = { accountId: 'account1', path: '/Junk', specialUse: ['junk'] };
const account = { accountId: 'account1', balf: BALF };

function mailbox(): FakeMessenger {
  const fake = new FakeMessenger();
  fake.addMessage(eml('question-from-usager', INBOX));
  fake.addMessage(eml('out-of-office-auto-submitted', INBOX));
  fake.addMessage(eml('acknowledgement-auto-submitted', INBOX));
  fake.addMessage(eml('internal-colleague', ARCHIVES));
  fake.addMessage(eml('newsletter-noreply-bulk', INBOX));
  fake.addMessage(eml('no-message-id', INBOX));
  fake.addMessage(eml('reply-with-in-reply-to', SENT));
  fake.addMessage(eml('reply-without-references-french-re', SENT));
  fake.addMessage(eml('forward-from-balf', SENT));
  fake.addMessage(eml('draft-from-balf', DRAFTS));
  return fake;
}

/** An IMAP INBOX whose count Thunderbird reports at once (the server's), headers still to come. */
async function announcedInbox(count: number) {
  const fake = new FakeMessenger();
  const ledger = await freshLedger();
  const clock = new TestClock(new Date('2026-11-22T12:00:00Z'));
  const deps = scanDeps(fake, ledger, clock, { folderSignature: async () => `/INBOX:${count}|/Sent:0` });
  return { fake, ledger, clock, deps };
}

const byId = async (ledger: Ledger, id: string): Promise<LedgerRow | undefined> =>
  ledger.get(BALF, await messageKey(SECRET, id));

describe('scan and ingest', () => {
  it('classifies a back-filled BALF with every message’s headers and links replies', async () => {
    const fake = mailbox();
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const { stats, errors } = await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    expect(errors).toEqual([]);
    expect(stats).toMatchObject({ seen: 10, added: 9, ignored: 1, refined: 6, refineFailed: 0 });
    // Sent messages (3) while walking, received ones (6) alongside: each message read once, the draft never.
    expect(fake.calls.getFull).toBe(9);
    expect((await ledger.allRows()).filter((r) => r.dir === 'in').map((r) => [r.hdr, r.refine])).toEqual(
      Array.from({ length: 6 }, () => [true, undefined]),
    );
    // A second walk that sees the same messages: the account is synced, held replies are released.
    clock.advance(20_000);
    expect((await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account])).stats).toMatchObject({
      added: 0,
      known: 9,
      refined: 0,
    });
    expect(fake.calls.getFull).toBe(9);

    const question = await messageKey(SECRET, 'question-1@example.org');
    expect(await byId(ledger, 'question-1@example.org')).toMatchObject({
      dir: 'in',
      cat: 'usager',
      at: '2026-11-16T08:12:00.000Z',
      correspondent: 'jean.usager@example.org',
      folder: '/INBOX',
      headerMessageId: 'question-1@example.org',
      up: Up.pending,
    });
    expect((await byId(ledger, 'ooo-1@example.com'))?.cat).toBe('auto');
    expect((await byId(ledger, 'ack-1@mairie-exemple.fr'))?.cat).toBe('auto');
    expect((await byId(ledger, 'internal-1@dgfip.finances.gouv.fr'))?.cat).toBe('interne');
    expect((await byId(ledger, 'news-1@newsletter.example.com'))?.cat).toBe('auto');
    expect(await byId(ledger, 'draft-1@dgfip.finances.gouv.fr')).toBeUndefined();

    const reply = await byId(ledger, 'reply-1@dgfip.finances.gouv.fr');
    expect(reply).toMatchObject({ dir: 'out', cat: 'reply', correspondents: ['jean.usager@example.org'] });
    // In-Reply-To first, then References nearest first, without repeats.
    expect(reply?.re).toEqual([question, await messageKey(SECRET, 'older-0@example.org')]);
    expect(reply?.heuristic).toBeUndefined();

    const heuristic = await byId(ledger, 'reply-2@dgfip.finances.gouv.fr');
    expect(heuristic).toMatchObject({
      dir: 'out',
      cat: 'reply',
      re: [question],
      heuristic: true,
      up: Up.pending,
    });
    expect(await byId(ledger, 'forward-1@dgfip.finances.gouv.fr')).toMatchObject({ cat: 'forward' });
    expect((await byId(ledger, 'forward-1@dgfip.finances.gouv.fr'))?.re).toBeUndefined();

    const all = await ledger.allRows();
    const fallback = all.find((r) => r.headerMessageId === '');
    expect(fallback).toMatchObject({ dir: 'in', cat: 'usager', correspondent: 'paul.sansid@example.net' });
    expect(fallback?.key).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await ledger.rowsWithState(Up.hold)).toEqual([]);
  });

  it('holds a reference-less reply until the account is synced, so a late inbox still links it', async () => {
    const fake = new FakeMessenger();
    fake.addMessage(eml('reply-without-references-french-re', SENT));
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const deps = scanDeps(fake, ledger, clock);
    await reconcile(deps, testConfig(), [account]);
    expect((await ledger.allRows()).map((r) => r.up)).toEqual([Up.hold]);
    // The inbox appears later (Thunderbird syncs folders one after the other).
    fake.addMessage(eml('question-from-usager', INBOX));
    for (let i = 0; i < 2; i++) {
      clock.advance(20_000);
      await reconcile(deps, testConfig(), [account]);
    }
    expect(await byId(ledger, 'reply-2@dgfip.finances.gouv.fr')).toMatchObject({
      up: Up.pending,
      heuristic: true,
      re: [await messageKey(SECRET, 'question-1@example.org')],
    });
  });

  it('dates a message whose sender clock is years ahead by its Received header, else by first sight', async () => {
    const fake = new FakeMessenger();
    fake.addMessage(eml('question-sender-clock-in-2031', INBOX));
    fake.addMessage(eml('question-sender-clock-in-2031-no-received', INBOX));
    fake.addMessage(eml('question-from-usager', INBOX));
    const ledger = await freshLedger();
    await reconcile(scanDeps(fake, ledger, new TestClock(new Date('2026-11-20T12:00:00Z'))), testConfig(), [
      account,
    ]);
    // The topmost Received header is the BALF's own server: the time of receipt.
    expect((await byId(ledger, 'clock-2031@example.org'))?.at).toBe('2026-11-17T09:30:00.000Z');
    // No trace of receipt: the day the add-on first saw it, never 2031.
    expect((await byId(ledger, 'clock-2031-bis@example.org'))?.at).toBe('2026-11-20T12:00:00.000Z');
    // A plausible Date is kept as Thunderbird gives it.
    expect((await byId(ledger, 'question-1@example.org'))?.at).toBe('2026-11-16T08:12:00.000Z');
  });

  it('marks junk from the flag or the folder', async () => {
    const fake = new FakeMessenger();
    fake.addMessage(eml('question-from-usager', INBOX, { junk: true }));
    fake.addMessage(eml('internal-colleague', JUNK));
    const ledger = await freshLedger();
    await reconcile(scanDeps(fake, ledger, new TestClock(new Date('2026-11-20T12:00:00Z'))), testConfig(), [
      account,
    ]);
    expect((await ledger.allRows()).map((r) => r.cat)).toEqual(['junk', 'junk']);
  });

  it('counts a message once across duplicate events, two folders, a move and a deletion', async () => {
    const fake = new FakeMessenger();
    const original = eml('question-from-usager', INBOX);
    const copy = eml('question-from-usager', ARCHIVES);
    fake.addMessage(original);
    fake.addMessage(copy);
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const ctx = { balf: BALF, config: testConfig() };
    const deps = { ledger, getFull: fake.api.messages.getFull, clock: clock.fn };
    // The same new-mail event delivered twice, then a scan that sees both folders.
    expect((await ingestHeaders(deps, ctx, [original.header], { deferHeuristic: false })).added).toBe(1);
    expect((await ingestHeaders(deps, ctx, [original.header], { deferHeuristic: false })).added).toBe(0);
    await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    expect(await ledger.count()).toBe(1);
    // Moved between scans: a new Thunderbird id and folder, the same Message-ID.
    fake.messagesStore = [
      { ...copy, header: { ...copy.header, id: 9999, folder: { accountId: 'account1', path: '/Traité' } } },
    ];
    clock.advance(3_600_000);
    await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    expect(await ledger.count()).toBe(1);
    expect((await ledger.allRows())[0]?.folder).toBe('/INBOX');
    // Deleted: still counted.
    fake.messagesStore = [];
    await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    expect(await ledger.count()).toBe(1);
    // New mail is classified with its headers before it is counted: one read, none by the walks after.
    expect(fake.calls.getFull).toBe(1);
    expect((await ledger.allRows())[0]).toMatchObject({ hdr: true, cat: 'usager' });
  });

  it('skips known messages before any header is read', async () => {
    const fake = mailbox();
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    const before = fake.calls.getFull;
    const again = await ingestHeaders(
      { ledger, getFull: fake.api.messages.getFull, clock: clock.fn },
      { balf: BALF, config: testConfig() },
      fake.messagesStore.map((m) => m.header),
      { deferHeuristic: false },
    );
    expect(again).toMatchObject({ added: 0, known: 9, headersRead: 0 });
    expect(fake.calls.getFull).toBe(before);
  });

  it('walks the whole window until two walks agree, then reads from the last start minus the overlap', async () => {
    const fake = new FakeMessenger();
    fake.addMessage(eml('question-from-usager', INBOX));
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const queries: QueryInfo[] = [];
    const query = async (info: QueryInfo) => {
      queries.push(info);
      return fake.api.messages.query(info);
    };
    const deps = scanDeps(fake, ledger, clock, { query });
    const config = testConfig({ backfillDays: 30 });
    await scanAccount(deps, config, account);
    expect(queries[0]).toMatchObject({
      accountId: 'account1',
      messagesPerPage: 1000,
      autoPaginationTimeout: 0,
    });
    expect(queries[0]?.fromDate?.toISOString()).toBe('2026-10-21T12:00:00.000Z');
    let mark = await ledger.getMeta<ScanMark>(markKey(account));
    expect(mark).toMatchObject({
      lastStartedAt: '2026-11-20T12:00:00.000Z',
      lastFullSeen: 1,
      settled: false,
    });
    expect(mark?.runningSince).toBeUndefined();
    expect(await scanComplete({ ledger }, [account])).toBe(false);

    // Thunderbird syncs the Sent folder late, with an old message: the next full walk finds it.
    fake.addMessage(eml('reply-with-in-reply-to', SENT));
    clock.advance(30_000);
    await scanAccount(deps, config, account);
    expect(queries[1]?.fromDate?.toISOString()).toBe('2026-10-21T12:00:30.000Z');
    expect(await ledger.count()).toBe(2);
    expect((await ledger.getMeta<ScanMark>(markKey(account)))?.settled).toBe(false);

    clock.advance(30_000);
    await scanAccount(deps, config, account);
    mark = await ledger.getMeta<ScanMark>(markKey(account));
    expect(mark).toMatchObject({ lastFullSeen: 2, settled: true, lastStartedAt: '2026-11-20T12:01:00.000Z' });
    expect(await scanComplete({ ledger }, [account])).toBe(true);

    clock.advance(600_000);
    await scanAccount(deps, config, account);
    expect(queries[3]?.fromDate?.getTime()).toBe(Date.parse('2026-11-20T12:01:00Z') - SCAN_OVERLAP_MS);
    // The daily re-walk is full again, and the account stays settled.
    await scanAccount(deps, config, account, { full: true });
    expect(queries[4]?.fromDate?.toISOString()).toBe('2026-10-21T12:11:00.000Z');
    expect((await ledger.getMeta<ScanMark>(markKey(account)))?.settled).toBe(true);
  });

  it('skips the daily re-walk within 20 hours of a complete walk of the window, not after', async () => {
    const fake = new FakeMessenger();
    fake.addMessage(eml('question-from-usager', INBOX));
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T08:00:00Z'));
    const queries: QueryInfo[] = [];
    let failNext = false;
    const deps = scanDeps(fake, ledger, clock, {
      query: async (info: QueryInfo) => (queries.push(info), fake.api.messages.query(info)),
      getFull: async (id: number) => {
        if (failNext) throw new Error('Error while streaming message: Timeout');
        return fake.api.messages.getFull(id);
      },
    });
    const config = testConfig({ backfillDays: 30 });
    const daily = { fullUnlessWithinMs: DAILY_WALK_SKIP_MS };
    const windowStart = (at: string) => new Date(Date.parse(at) - 30 * 86_400_000).toISOString();
    // Install: the first back-fill walks the window, two walks agree, the account settles.
    await scanAccount(deps, config, account);
    clock.advance(30_000);
    await scanAccount(deps, config, account);
    expect(await ledger.getMeta<ScanMark>(markKey(account))).toMatchObject({
      settled: true,
      lastFullAt: '2026-11-20T08:00:30.000Z',
    });
    // Five minutes later, the daily alarm: a walk of the window has just been made, so incremental.
    clock.advance(5 * 60_000);
    await scanAccount(deps, config, account, daily);
    expect(queries.at(-1)?.fromDate?.toISOString()).toBe(
      new Date(Date.parse('2026-11-20T08:00:30Z') - SCAN_OVERLAP_MS).toISOString(),
    );
    // Thunderbird restarted in the afternoon: still within 20 hours.
    clock.now = new Date('2026-11-20T14:05:00Z');
    await scanAccount(deps, config, account, daily);
    expect(queries.at(-1)?.fromDate?.toISOString()).not.toBe(windowStart('2026-11-20T14:05:00Z'));
    // The next morning, 24 hours later: the whole window again; a walk where a read failed does not count…
    clock.now = new Date('2026-11-21T08:05:00Z');
    fake.addMessage(eml('reply-with-in-reply-to', SENT));
    failNext = true;
    expect(await scanAccount(deps, config, account, daily)).toMatchObject({ failed: 1 });
    expect(queries.at(-1)?.fromDate?.toISOString()).toBe(windowStart('2026-11-21T08:05:00Z'));
    expect((await ledger.getMeta<ScanMark>(markKey(account)))?.lastFullAt).toBe('2026-11-20T08:00:30.000Z');
    // …so the next daily alarm walks the whole window again, and this complete walk counts.
    failNext = false;
    clock.advance(60_000);
    await scanAccount(deps, config, account, daily);
    expect(queries.at(-1)?.fromDate?.toISOString()).toBe(windowStart('2026-11-21T08:06:00Z'));
    expect((await ledger.getMeta<ScanMark>(markKey(account)))?.lastFullAt).toBe('2026-11-21T08:06:00.000Z');
  });

  it('does not hold the daily re-walk off when the last complete walk is dated in the future', () => {
    const now = new Date('2026-11-20T08:00:00Z');
    expect(fullWalkDue({ lastFullAt: '2026-11-21T08:00:00.000Z' }, now, DAILY_WALK_SKIP_MS)).toBe(true);
    expect(fullWalkDue({ lastFullAt: '2026-11-20T07:00:00.000Z' }, now, DAILY_WALK_SKIP_MS)).toBe(false);
    expect(fullWalkDue({ lastFullAt: '2026-11-19T11:59:00.000Z' }, now, DAILY_WALK_SKIP_MS)).toBe(true);
    expect(fullWalkDue({}, now, DAILY_WALK_SKIP_MS)).toBe(true);
  });

  it('walks the whole window again when Thunderbird syncs a folder late, even with old mail', async () => {
    const fake = new FakeMessenger();
    fake.addMessage(eml('question-from-usager', INBOX));
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-22T12:00:00Z'));
    // Thunderbird's per-folder counts: Sent is listed but not synced yet.
    let sentCount = 0;
    const folderSignature = async () => `/INBOX:1|/Sent:${sentCount}`;
    const deps = scanDeps(fake, ledger, clock, { folderSignature });
    await scanAccount(deps, testConfig(), account);
    clock.advance(20_000);
    await scanAccount(deps, testConfig(), account);
    expect(await scanComplete(deps, [account])).toBe(true);
    // Sent syncs ten minutes later, with a reply of 18 November: outside the 2-day overlap.
    clock.advance(600_000);
    fake.addMessage(eml('reply-with-in-reply-to', SENT));
    sentCount = 1;
    expect(await scanComplete(deps, [account])).toBe(false);
    await scanAccount(deps, testConfig(), account);
    expect(await byId(ledger, 'reply-1@dgfip.finances.gouv.fr')).toMatchObject({ dir: 'out', cat: 'reply' });
    // The walk added a message, but it saw every message Thunderbird counts in each folder (counts held
    // still): nothing can still be arriving, the account is synced without a confirming walk.
    expect(await scanComplete(deps, [account])).toBe(true);
  });

  it('keeps walking while Thunderbird downloads a large folder whose count (the server’s) does not move', async () => {
    // The server announced 3 messages at once; Thunderbird's database gets their headers one by one.
    const { fake, ledger, clock, deps } = await announcedInbox(3);
    const ids = ['question-from-usager', 'internal-colleague', 'acknowledgement-auto-submitted'];
    const seen: number[] = [];
    for (const [i, name] of ids.entries()) {
      fake.addMessage(eml(name, INBOX));
      seen.push((await scanAccount(deps, testConfig(), account)).added);
      // Synced once a walk has seen the 3 messages the server announced, not before.
      expect(await scanComplete(deps, [account]), `after header ${i + 1}`).toBe(i === ids.length - 1);
      clock.advance(2_000);
    }
    expect(seen).toEqual([1, 1, 1]);
    expect(await ledger.count()).toBe(3);
  });

  it('confirms with a walk that finds nothing new when a folder holds mail the window does not show', async () => {
    // 4 messages on the server, one of them older than the back-fill window: a walk sees 3 at most, and
    // cannot tell the old one from a header still to download.
    const { fake, ledger, clock, deps } = await announcedInbox(4);
    const old = eml('internal-colleague', INBOX);
    fake.addMessage({ ...old, header: { ...old.header, date: new Date('2025-01-06T09:00:00Z') } });
    fake.addMessage(eml('question-from-usager', INBOX));
    fake.addMessage(eml('acknowledgement-auto-submitted', INBOX));
    expect((await scanAccount(deps, testConfig(), account)).added).toBe(2);
    expect(await scanComplete(deps, [account])).toBe(false);
    fake.addMessage(eml('newsletter-noreply-bulk', INBOX));
    clock.advance(2_000);
    expect((await scanAccount(deps, testConfig(), account)).added).toBe(1);
    expect(await scanComplete(deps, [account])).toBe(false);
    clock.advance(2_000);
    expect((await scanAccount(deps, testConfig(), account)).added).toBe(0);
    expect(await scanComplete(deps, [account])).toBe(true);
    expect(await ledger.count()).toBe(3);
  });

  it('walks alone a folder that a full walk saw empty (Thunderbird had not opened it yet)', async () => {
    const fake = new FakeMessenger();
    const inbox = { ...INBOX, id: 'f-inbox' };
    const sent = { ...SENT, id: 'f-sent' };
    const question = eml('question-from-usager', inbox);
    fake.addMessage(question);
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-22T12:00:00Z'));
    // Thunderbird already counts Sent's message, but its query does not return it yet.
    let sentVisible = false;
    const queries: QueryInfo[] = [];
    const query = async (info: QueryInfo) => {
      queries.push(info);
      const list = asList(await fake.api.messages.query(info));
      return sentVisible
        ? list
        : { ...list, messages: list.messages.filter((m) => m.folder?.path !== '/Sent') };
    };
    fake.addMessage(eml('reply-with-in-reply-to', sent));
    const folderSignature = async () => '/INBOX:1|/Sent:1|/Trash:0';
    const ids: Record<string, string> = { '/INBOX': 'f-inbox', '/Sent': 'f-sent', '/Trash': 'f-trash' };
    const deps = scanDeps(fake, ledger, clock, {
      query,
      folderSignature,
      folderIdOf: (_a: string, path: string) => ids[path],
    });
    await scanAccount(deps, testConfig(), account);
    expect(await ledger.count()).toBe(1);
    expect(await scanComplete(deps, [account])).toBe(false);
    // Walked alone, Sent still shows nothing: its count may be the server's, before its headers are here.
    clock.advance(2_000);
    await scanAccount(deps, testConfig(), account);
    expect(queries[1]).toMatchObject({ folderId: 'f-sent' });
    expect(await scanComplete(deps, [account])).toBe(false);
    sentVisible = true;
    clock.advance(2_000);
    await scanAccount(deps, testConfig(), account);
    expect(queries[2]).toMatchObject({ accountId: 'account1', folderId: 'f-sent' });
    expect(queries[2]?.fromDate?.toISOString()).toBe('2026-08-24T12:00:04.000Z');
    expect(await ledger.count()).toBe(2);
    // The incremental start stays where the last walk of every folder put it.
    expect((await ledger.getMeta<ScanMark>(markKey(account)))?.lastStartedAt).toBe(
      '2026-11-22T12:00:00.000Z',
    );
    // That walk added a message: one more, which finds nothing new, settles the account.
    expect(await scanComplete(deps, [account])).toBe(false);
    clock.advance(2_000);
    expect((await scanAccount(deps, testConfig(), account)).added).toBe(0);
    expect(await scanComplete(deps, [account])).toBe(true);
  });

  it('settles an empty account only after five minutes, and never stays "running" after a failure', async () => {
    const fake = new FakeMessenger();
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const deps = scanDeps(fake, ledger, clock);
    await scanAccount(deps, testConfig(), account);
    clock.advance(20_000);
    await scanAccount(deps, testConfig(), account);
    expect(await scanComplete({ ledger }, [account])).toBe(false);
    clock.advance(5 * 60_000);
    await scanAccount(deps, testConfig(), account);
    expect(await scanComplete({ ledger }, [account])).toBe(true);

    const failing = scanDeps(fake, ledger, clock, {
      query: async () => Promise.reject(new Error('Folder not found')),
    });
    await expect(scanAccount(failing, testConfig(), account)).rejects.toThrow('Folder not found');
    const mark = await ledger.getMeta<ScanMark>(markKey(account));
    expect(mark?.runningSince).toBeUndefined();
    expect(mark?.lastError).toBe('Folder not found');
  });

  it('stops its message list when a walk fails, so Thunderbird does not build pages nobody reads', async () => {
    const fake = mailbox();
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    let writes = 0;
    const failingLedger = Object.create(ledger, {
      addIfAbsent: {
        value: async (rows: readonly LedgerRow[]) => {
          writes += 1;
          if (writes === 2) throw new Error('QuotaExceededError');
          return ledger.addIfAbsent(rows);
        },
      },
    }) as Ledger;
    const deps = scanDeps(fake, failingLedger, clock, {
      abortList: fake.api.messages.abortList,
      pageSize: 3,
    });
    await expect(scanAccount(deps, testConfig(), account)).rejects.toThrow('QuotaExceededError');
    expect(fake.calls.abortList).toBe(1);
    expect(fake.openLists).toBe(0);
    // A walk read to its end leaves no list to stop.
    await scanAccount(
      scanDeps(fake, ledger, clock, { abortList: fake.api.messages.abortList, pageSize: 3 }),
      testConfig(),
      account,
    );
    expect(fake.calls.abortList).toBe(1);
    expect(fake.openLists).toBe(0);
    expect(await ledger.count()).toBe(9);
  });

  it('counts the rest of a page when Thunderbird cannot stream one message, and reads it at the next scan', async () => {
    const fake = mailbox();
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const flaky = async (id: number) => {
      const target = fake.messagesStore.find(
        (m) => m.header.headerMessageId === 'reply-1@dgfip.finances.gouv.fr',
      );
      if (id === target?.header.id) {
        throw new Error(`Error while streaming message <imap-message://balf@127.0.0.1/Sent#${id}>: Timeout`);
      }
      return fake.api.messages.getFull(id);
    };
    const deps = scanDeps(fake, ledger, clock, { getFull: flaky });
    const first = await reconcile(deps, testConfig(), [account]);
    expect(first.errors).toEqual([]);
    expect(first.stats).toMatchObject({ seen: 10, added: 8, failed: 1 });
    expect(await byId(ledger, 'reply-1@dgfip.finances.gouv.fr')).toBeUndefined();
    expect(await scanComplete({ ledger }, [account])).toBe(false);
    clock.advance(2_000);
    await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    expect(await byId(ledger, 'reply-1@dgfip.finances.gouv.fr')).toMatchObject({ dir: 'out', cat: 'reply' });
    // Not synced after the walk that missed a message; synced once a walk agreeing with it missed none.
    expect(await scanComplete({ ledger }, [account])).toBe(true);
  });

  it('decodes an RFC 2047 subject read undecoded (getHeaders) before classifying, pairing and storing it', async () => {
    const fake = new FakeMessenger();
    fake.addMessage(eml('question-from-usager', INBOX));
    const reply = eml('reply-without-references-french-re', SENT);
    // As messages.getHeaders may give it: the whole subject in one encoded word (Outlook's habit).
    reply.headers['subject'] = ['=?utf-8?Q?RE_:_Question_sur_ma_taxe_fonci=C3=A8re?='];
    fake.addMessage(reply);
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    // A second agreeing walk: the account is synced, the held reply gets its heuristic answer.
    clock.advance(20_000);
    await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    expect(await byId(ledger, 'reply-2@dgfip.finances.gouv.fr')).toMatchObject({
      cat: 'reply',
      heuristic: true,
      re: [await messageKey(SECRET, 'question-1@example.org')],
      subject: 'RE : Question sur ma taxe foncière',
    });
  });

  it('keys a header Thunderbird cut short (synthetic md5: id) by the Message-ID of the full header', async () => {
    // Two agents of one BALF: the first got the whole header, the second's IMAP connection dropped
    // while Thunderbird fetched it, so Thunderbird hashed what it had into an `md5:` id.
    const question = eml('question-from-usager', INBOX);
    const realId = question.header.headerMessageId;
    const cut = {
      ...question,
      header: { ...question.header, id: 7001, headerMessageId: 'md5:Y3V0IHNob3J0==' },
    };
    // A message that really has no Message-ID: the same synthetic id on every workstation.
    const none = {
      ...eml('question-from-usager', INBOX),
      header: {
        ...question.header,
        id: 7002,
        headerMessageId: 'md5:bm8gaWQgYXQgYWxs==',
        author: 'x@example.net',
      },
      headers: Object.fromEntries(Object.entries(question.headers).filter(([name]) => name !== 'message-id')),
    };
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const ctx = { balf: BALF, config: testConfig() };
    const agentA = new FakeMessenger();
    agentA.addMessage(question);
    const agentB = new FakeMessenger();
    agentB.addMessage(cut);
    agentB.addMessage(none);
    const ledgerA = await freshLedger();
    const ledgerB = await freshLedger();
    await ingestHeaders(
      { ledger: ledgerA, getFull: agentA.api.messages.getFull, clock: clock.fn },
      ctx,
      [question.header],
      {
        deferHeuristic: false,
      },
    );
    const statsB = await ingestHeaders(
      { ledger: ledgerB, getFull: agentB.api.messages.getFull, clock: clock.fn },
      ctx,
      [cut.header, none.header],
      { deferHeuristic: false },
    );
    expect(statsB).toMatchObject({ added: 2, failed: 0 });
    const realKey = await messageKey(SECRET, realId);
    expect((await ledgerA.allRows()).map((r) => r.key)).toEqual([realKey]);
    expect(await ledgerB.get(BALF, realKey)).toMatchObject({ headerMessageId: realId, dir: 'in' });
    expect(await ledgerB.get(BALF, await messageKey(SECRET, 'md5:bm8gaWQgYXQgYWxs=='))).toMatchObject({
      headerMessageId: 'md5:bm8gaWQgYXQgYWxs==',
    });
    // A real Message-ID is keyed without a read; the one read classifies the new message.
    expect(agentA.calls.getFull).toBe(1);
    // The header read for the key also classified the message: no other read.
    expect(agentB.calls.getFull).toBe(2);
    // A header that cannot be read now is neither counted nor keyed by its synthetic id: next scan.
    const agentC = new FakeMessenger();
    const ledgerC = await freshLedger();
    const timeout = async (id: number) => {
      throw new Error(`Error while streaming message <imap-message://balf@127.0.0.1/INBOX#${id}>: Timeout`);
    };
    const statsC = await ingestHeaders(
      { ledger: ledgerC, getFull: timeout, clock: clock.fn },
      ctx,
      [cut.header],
      {
        deferHeuristic: false,
      },
    );
    expect(statsC).toMatchObject({ added: 0, failed: 1, ignored: 0 });
    expect(await ledgerC.count()).toBe(0);
    agentC.addMessage(cut);
    await ingestHeaders(
      { ledger: ledgerC, getFull: agentC.api.messages.getFull, clock: clock.fn },
      ctx,
      [cut.header],
      {
        deferHeuristic: false,
      },
    );
    expect((await ledgerC.allRows()).map((r) => r.key)).toEqual([realKey]);
  });

  it('takes any failure to read one message as that message’s, never the whole walk’s', async () => {
    const fake = mailbox();
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const target = fake.messagesStore.find(
      (m) => m.header.headerMessageId === 'reply-1@dgfip.finances.gouv.fr',
    );
    const broken = async (id: number) => {
      // Not a timeout: what Thunderbird says when the IMAP connection drops during the fetch.
      if (id === target?.header.id) throw new Error('NS_ERROR_NET_INTERRUPT');
      return fake.api.messages.getFull(id);
    };
    const first = await reconcile(scanDeps(fake, ledger, clock, { getFull: broken }), testConfig(), [
      account,
    ]);
    expect(first.errors).toEqual([]);
    expect(first.stats).toMatchObject({ seen: 10, added: 8, failed: 1, readError: 'NS_ERROR_NET_INTERRUPT' });
    clock.advance(2_000);
    const second = await reconcile(scanDeps(fake, ledger, clock), testConfig(), [account]);
    expect(second.stats.readError).toBeUndefined();
    expect(await byId(ledger, 'reply-1@dgfip.finances.gouv.fr')).toMatchObject({ dir: 'out', cat: 'reply' });
  });

  it('accepts a query answered with the list id alone (Thunderbird 153 with returnMessageListId)', async () => {
    const fake = mailbox();
    const ledger = await freshLedger();
    const query = (info: QueryInfo) => fake.api.messages.query({ ...info, returnMessageListId: true });
    const { stats } = await reconcile(
      scanDeps(fake, ledger, new TestClock(new Date('2026-11-20T12:00:00Z')), { query, pageSize: 4 }),
      testConfig(),
      [account],
    );
    expect(stats).toMatchObject({ seen: 10, added: 9 });
  });

  it('walks every page and keeps getFull calls within the concurrency bound', async () => {
    const fake = new FakeMessenger();
    for (let i = 0; i < 25; i++) {
      const m = eml('reply-with-in-reply-to', SENT);
      fake.addMessage({
        ...m,
        header: { ...m.header, headerMessageId: `reply-${i}@dgfip.finances.gouv.fr` },
      });
    }
    let inFlight = 0;
    let peak = 0;
    const getFull = async (id: number) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight -= 1;
      return fake.api.messages.getFull(id);
    };
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    let yields = 0;
    const { stats } = await reconcile(
      scanDeps(fake, ledger, clock, {
        getFull,
        concurrency: 3,
        pageSize: 10,
        yieldNow: async () => void yields++,
      }),
      testConfig(),
      [account],
    );
    expect(stats.added).toBe(25);
    expect(fake.calls.continueList).toBe(2);
    expect(yields).toBe(3);
    expect(peak).toBe(3);
  });

  it('tells a newly synced folder from a folder that merely grew', () => {
    expect(newlySynced(undefined, '/INBOX:3')).toBe(true);
    expect(newlySynced('/INBOX:3|/Sent:0', '/INBOX:4|/Sent:0')).toBe(false);
    expect(newlySynced('/INBOX:3|/Sent:0', '/INBOX:3|/Sent:7')).toBe(true);
    expect(newlySynced('/INBOX:3', '/INBOX:3|/Archives:2')).toBe(true);
    expect(newlySynced('/INBOX:3|/:?', '/INBOX:3|/:?')).toBe(false);
  });

  it('extracts Message-IDs from In-Reply-To and References values', () => {
    expect(messageIdsIn('<a@x> <b@y>\t<c@z>')).toEqual(['a@x', 'b@y', 'c@z']);
    expect(messageIdsIn('a@x')).toEqual(['a@x']);
    expect(messageIdsIn(undefined)).toEqual([]);
  });
});
