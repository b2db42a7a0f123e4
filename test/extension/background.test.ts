// The event page end to end over fakes: synchronous listeners, live events, restart mid-scan,
// the status line for the harness, and the page messages (summary, options state, CSV, purge).
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import {
  ALARM_BACKFILL,
  ALARM_FOLDERS,
  ALARM_SCAN,
  ALARM_SCAN_SOON,
  ALARM_UPLOAD,
  ALARM_UPLOAD_SOON,
  MENU_SAMPLING,
  nextScanDelay,
  SCAN_SOON_MAX_MS,
  SCAN_SOON_MS,
} from '../../src/extension/background-core.ts';
import { Up } from '../../src/extension/ledger.ts';
import { SCAN_OVERLAP_MS } from '../../src/extension/scanner.ts';
import type { Answers, OptionsState } from '../../src/extension/runtime-messages.ts';
import { eml, INBOX, SENT } from './eml.ts';
import { boot, thunderbird, waitFor } from './background-harness.ts';
import type { FakeMessenger } from './fake-messenger.ts';
import { BALF, freshDbName, SECRET, TestClock } from './helpers.ts';

describe('background event page', () => {
  it('registers every listener synchronously, before initialisation finishes', () => {
    const fake = thunderbird();
    const { bg } = boot(fake, freshDbName(), new TestClock(new Date('2026-11-20T12:00:00Z')));
    for (const [name, event] of Object.entries(fake.events)) expect(event.listeners.length, name).toBe(1);
    expect(fake.events.onNewMailReceived.listeners[0]?.extra).toEqual([true]);
    return bg.idle();
  });

  it('scans at start-up, uploads, and prints the status line the harness reads', async () => {
    const fake = thunderbird();
    fake.addMessage(eml('question-from-usager', INBOX));
    fake.addMessage(eml('reply-with-in-reply-to', SENT));
    fake.addMessage({ ...eml('question-from-usager', INBOX), accountId: 'account2' });
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const { bg, posted, statuses } = boot(fake, freshDbName(), clock);
    await fake.events.onStartup.fire();
    await bg.idle();
    expect(fake.alarms.get(ALARM_UPLOAD_SOON)).toBeDefined();
    expect(posted).toHaveLength(1);
    expect(posted[0]?.records).toHaveLength(2);
    // First figures once the walk has counted every message: the received one still waits for its headers.
    expect(statuses()[0]).toEqual({
      scanComplete: false,
      scanning: true,
      queue: 2,
      ledger: 2,
      unrefined: 1,
      unverified: 0,
      lastUpload: 'none',
      at: '2026-11-20T12:00:00.000Z',
    });
    // One walk is not enough to know Thunderbird has synced the account: another is due soon.
    expect(statuses()[1]).toEqual({
      scanComplete: false,
      scanning: false,
      queue: 2,
      ledger: 2,
      unrefined: 0,
      unverified: 0,
      lastUpload: 'none',
      at: '2026-11-20T12:00:00.000Z',
    });
    // Uploaded once, refined: the upload waited for the walk's header reads.
    expect(posted[0]?.records).toContainEqual(
      expect.objectContaining({ dir: 'in', cat: 'usager', hdr: true }),
    );
    expect(statuses().at(-1)).toMatchObject({ scanComplete: false, queue: 0, ledger: 2, lastUpload: 'ok' });
    expect(fake.alarms.get(ALARM_SCAN_SOON)?.when).toBe(Date.parse('2026-11-20T12:00:02Z'));
    clock.advance(30_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await bg.idle();
    expect(statuses().at(-1)).toMatchObject({ scanComplete: true, scanning: false, queue: 0, ledger: 2 });
    expect(fake.menus.map((x) => x.id)).toEqual([MENU_SAMPLING]);
  });

  it('prints no status line below debug level', async () => {
    const fake = thunderbird();
    fake.managed = { ...fake.managed, logLevel: 'warn' };
    const { bg, statuses } = boot(fake, freshDbName(), new TestClock(new Date('2026-11-20T12:00:00Z')));
    await fake.events.onStartup.fire();
    await bg.idle();
    expect(statuses()).toEqual([]);
  });

  it('counts live mail and sends from this client once, then the upload alarm sends them', async () => {
    const fake = thunderbird();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const { bg, posted } = boot(fake, freshDbName(), clock);
    const question = eml('question-from-usager', INBOX);
    const reply = eml('reply-without-references-french-re', SENT);
    fake.addMessage(question);
    fake.addMessage(reply);
    await fake.events.onNewMailReceived.fire(INBOX, { id: null, messages: [question.header] });
    await fake.events.onNewMailReceived.fire(INBOX, { id: null, messages: [question.header] });
    await fake.events.onAfterSend.fire({}, { mode: 'sendNow', messages: [reply.header] });
    await fake.events.onAfterSend.fire({}, { mode: 'sendNow', error: 'SMTP refusé', messages: [] });
    await bg.idle();
    const ledger = await bg.ready;
    expect(await ledger.count()).toBe(2);
    const sent = await ledger.get(BALF, await messageKey(SECRET, 'reply-2@dgfip.finances.gouv.fr'));
    // Live path: the received message is already there, so the heuristic runs at once.
    expect(sent).toMatchObject({ cat: 'reply', heuristic: true, up: Up.pending });
    await fake.events.onAlarm.fire({ name: ALARM_UPLOAD_SOON });
    await bg.idle();
    expect(posted.flatMap((p) => p.records)).toHaveLength(2);
  });

  it('holds a periodic upload while a scan runs, and sends once the scan is done', async () => {
    const fake = thunderbird();
    for (let i = 0; i < 4; i++) {
      const m = eml('question-from-usager', INBOX);
      fake.addMessage({ ...m, header: { ...m.header, headerMessageId: `question-${i}@example.org` } });
    }
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const continueList = fake.api.messages.continueList;
    Object.defineProperty(fake.api.messages, 'continueList', {
      value: async (id: string) => {
        await released;
        return continueList(id);
      },
    });
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const { bg, posted } = boot(fake, freshDbName(), clock, { pageSize: 2 });
    void fake.events.onStartup.fire();
    const ledger = await bg.ready;
    await waitFor(async () => (await ledger.count()) === 2);
    void fake.events.onAlarm.fire({ name: ALARM_UPLOAD });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(posted).toHaveLength(0);
    release();
    await bg.idle();
    expect(posted.flatMap((p) => p.records)).toHaveLength(4);
  });

  it('resumes a scan interrupted by an unload: a new instance counts every message exactly once', async () => {
    const dbName = freshDbName();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const first = thunderbird();
    for (let i = 0; i < 25; i++) {
      const m = eml('reply-with-in-reply-to', SENT);
      first.addMessage({
        ...m,
        header: { ...m.header, headerMessageId: `reply-${i}@dgfip.finances.gouv.fr` },
      });
    }
    // The event page is unloaded while waiting for the second page: that promise never settles.
    const stuck = new Promise<never>(() => undefined);
    Object.defineProperty(first.api.messages, 'continueList', { value: () => stuck });
    const one = boot(first, dbName, clock, { pageSize: 10 });
    void fakeStartup(first);
    await waitFor(async () => (await (await one.bg.ready).count()) === 10);
    const mid = await (await one.bg.ready).getMeta<{ runningSince?: string }>(`scan:account1:${BALF}`);
    expect(mid?.runningSince).toBe('2026-11-20T12:00:00.000Z');

    // A new instance: no module state survives, only IndexedDB and storage.
    const second = thunderbird();
    second.messagesStore = first.messagesStore;
    clock.advance(60_000);
    const two = boot(second, dbName, clock, { pageSize: 10 });
    const ledger = await two.bg.ready;
    await two.bg.idle();
    expect(await ledger.count()).toBe(25);
    expect(second.calls.getFull).toBe(15);
    const mark = await ledger.getMeta<{ runningSince?: string; lastStartedAt?: string }>(
      `scan:account1:${BALF}`,
    );
    expect(mark?.runningSince).toBeUndefined();
    expect(mark?.lastStartedAt).toBe('2026-11-20T12:00:00.000Z');
    expect(two.statuses().at(-1)).toMatchObject({ scanComplete: false, scanning: false, ledger: 25 });
    await second.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await two.bg.idle();
    expect(two.statuses().at(-1)).toMatchObject({ scanComplete: true, scanning: false, ledger: 25 });
    expect(second.calls.getFull).toBe(15);
  });

  it('answers the pages: summary, options state, CSV export, purge, save local values', async () => {
    const fake = thunderbird();
    fake.managed = { secret: SECRET, balfs: [BALF], logLevel: 'info', uploadIntervalMinutes: 'souvent' };
    fake.addMessage(eml('question-from-usager', INBOX));
    fake.addMessage(eml('out-of-office-auto-submitted', INBOX));
    const clock = new TestClock(new Date('2026-11-25T15:00:00Z'));
    const { bg } = boot(fake, freshDbName(), clock);
    await fake.events.onStartup.fire();
    await bg.idle();

    const summary = (await fake.api.runtime.sendMessage({
      type: 'popup/summary',
    })) as Answers['popup/summary'];
    // Received Monday 16 Nov, unanswered: 5 working days later (23 Nov) it is overdue on 25 Nov, 7 working
    // days old, first of « à traiter »; no quota read (this Thunderbird lists no folder): no storage line.
    expect(summary.balfs).toEqual([
      {
        balf: BALF,
        today: { received: 0, sent: 0 },
        week: { received: 0, sent: 0 },
        pending: 0,
        overdue: 1,
        unrefined: 0,
        storage: null,
        waitingTotal: 1,
        waiting: [
          {
            key: expect.any(String),
            headerMessageId: 'question-1@example.org',
            subject: 'Question sur ma taxe foncière',
            correspondent: 'jean.usager@example.org',
            receivedAt: '2026-11-16T08:12:00.000Z',
            ageDays: 7,
            dueOn: '2026-11-23',
            bucket: 'overdue',
            provisional: false,
          },
        ],
      },
    ]);
    // The popup's button opens it in a tab of Thunderbird, found by its Message-ID.
    expect(
      await fake.api.runtime.sendMessage({
        type: 'popup/open-message',
        headerMessageId: 'question-1@example.org',
      }),
    ).toEqual({ result: 'opened' });
    expect(fake.opened).toEqual([{ messageId: fake.messagesStore[0]!.header.id, location: 'tab' }]);
    expect(
      await fake.api.runtime.sendMessage({ type: 'popup/open-message', headerMessageId: 'gone@example.org' }),
    ).toEqual({ result: 'not-found' });
    expect(await fake.api.runtime.sendMessage({ type: 'popup/open-message', headerMessageId: 42 })).toEqual({
      result: 'not-found',
    });
    expect(fake.opened).toHaveLength(1);

    const state = (await fake.api.runtime.sendMessage({ type: 'options/state' })) as OptionsState;
    expect(state.managed).toBe(true);
    expect(state.sources.secret).toBe('managed');
    expect(state.values['secret']).toBe('••••••••');
    expect(JSON.stringify(state)).not.toContain(SECRET);
    expect(state.errors).toEqual([
      expect.objectContaining({ key: 'uploadIntervalMinutes', source: 'managed' }),
    ]);
    expect(state.lastUpload).toMatchObject({ result: 'none', message: 'not-configured' });
    expect(state.queue).toBe(2);
    expect(state.balfAccounts).toEqual([{ accountId: 'account1', balf: BALF }]);

    const { csv } = (await fake.api.runtime.sendMessage({ type: 'ledger/export-csv' })) as { csv: string };
    expect(csv.startsWith('\uFEFFbalf;cle;sens;date;categorie')).toBe(true);
    expect(csv).toContain('question-1@example.org');
    expect(csv.trim().split('\r\n')).toHaveLength(3);

    const saved = (await fake.api.runtime.sendMessage({
      type: 'options/save-local',
      values: { backfillDays: 0, department: '974' },
    })) as { errors: { key: string }[] };
    expect(saved.errors.map((e) => e.key)).toEqual(['backfillDays']);
    expect(fake.local['config']).toEqual({ backfillDays: 0, department: '974' });

    await fake.api.runtime.sendMessage({ type: 'ledger/purge' });
    expect(await (await bg.ready).count()).toBe(0);
    expect(await fake.api.runtime.sendMessage({ type: 'not/ours' })).toBeUndefined();
  });

  it('opens the managed debugOpenTab page at start-up in debug mode only', async () => {
    const fake = thunderbird();
    fake.managed = { ...fake.managed, debugOpenTab: 'sampling/sampling.html?seed=ABC' };
    const { bg } = boot(fake, freshDbName(), new TestClock(new Date('2026-11-20T12:00:00Z')));
    await fake.events.onStartup.fire();
    await bg.idle();
    expect(fake.tabsCreated).toEqual(['moz-extension://fake/sampling/sampling.html?seed=ABC']);
    const quiet = thunderbird();
    quiet.managed = { ...quiet.managed, logLevel: 'warn', debugOpenTab: 'sampling/sampling.html' };
    const other = boot(quiet, freshDbName(), new TestClock(new Date('2026-11-20T12:00:00Z')));
    await quiet.events.onStartup.fire();
    await other.bg.idle();
    expect(quiet.tabsCreated).toEqual([]);
  });

  it('waits twice as long as the last walk before walking again an account Thunderbird is still syncing, whatever alarm fires', async () => {
    const fake = thunderbird();
    fake.addMessage(eml('question-from-usager', INBOX));
    fake.addMessage(eml('internal-colleague', INBOX));
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    // Thunderbird takes 30 s to hand the second page over (busy downloading a large folder's headers).
    fake.onContinue = () => clock.advance(30_000);
    const { bg } = boot(fake, freshDbName(), clock, { pageSize: 1 });
    await fake.events.onStartup.fire();
    await bg.idle();
    // The walk took 30 s: the next one comes 60 s after it, not 2 s.
    expect(fake.alarms.get(ALARM_SCAN_SOON)?.when).toBe(Date.parse('2026-11-20T12:01:30Z'));
    // Meanwhile the minute check and the periodic scan leave the account to that walk.
    const walks = fake.calls.query;
    clock.advance(30_000);
    await fake.events.onAlarm.fire({ name: ALARM_FOLDERS });
    await fake.events.onAlarm.fire({ name: ALARM_SCAN });
    await bg.idle();
    expect(fake.calls.query).toBe(walks);
    clock.advance(30_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await bg.idle();
    expect(fake.calls.query).toBe(walks + 1);
    expect(nextScanDelay(0)).toBe(SCAN_SOON_MS);
    expect(nextScanDelay(45_000)).toBe(90_000);
    expect(nextScanDelay(3_600_000)).toBe(SCAN_SOON_MAX_MS);
  });

  it('makes the daily re-walk of the window once a day, not 5 minutes after the first back-fill', async () => {
    const fake = thunderbird();
    fake.addMessage(eml('question-from-usager', INBOX));
    const clock = new TestClock(new Date('2026-11-23T08:00:00Z'));
    const { bg } = boot(fake, freshDbName(), clock);
    const windowStart = () => clock.fn().getTime() - 90 * 86_400_000;
    await fake.events.onInstalled.fire({ reason: 'install' });
    await bg.idle();
    expect(fake.queries.at(-1)?.fromDate?.getTime()).toBe(windowStart());
    expect(fake.alarms.get(ALARM_BACKFILL)).toMatchObject({ periodInMinutes: 24 * 60 });
    clock.advance(20_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await bg.idle();
    // The daily alarm's first firing, 5 minutes after install: the window was just walked.
    clock.advance(5 * 60_000);
    await fake.events.onAlarm.fire({ name: ALARM_BACKFILL });
    await bg.idle();
    expect(fake.queries.at(-1)?.fromDate?.getTime()).toBe(
      Date.parse('2026-11-23T08:00:20Z') - SCAN_OVERLAP_MS,
    );
    // A day later: the whole window again.
    clock.advance(24 * 3_600_000);
    await fake.events.onAlarm.fire({ name: ALARM_BACKFILL });
    await bg.idle();
    expect(fake.queries.at(-1)?.fromDate?.getTime()).toBe(windowStart());
  });

  it('rescans when Thunderbird reports new counts for a folder (minute check)', async () => {
    const fake = thunderbird();
    const account = fake.accounts[0];
    if (account) {
      account.rootFolder = {
        accountId: 'account1',
        path: '/',
        subFolders: [
          { accountId: 'account1', path: '/INBOX', specialUse: ['inbox'] },
          { accountId: 'account1', path: '/Sent', specialUse: ['sent'] },
        ],
      };
    }
    fake.addMessage(eml('question-from-usager', INBOX));
    const clock = new TestClock(new Date('2026-11-22T12:00:00Z'));
    const { bg, statuses } = boot(fake, freshDbName(), clock);
    await fake.events.onStartup.fire();
    clock.advance(20_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await bg.idle();
    expect(statuses().at(-1)).toMatchObject({ scanComplete: true, ledger: 1 });
    await fake.events.onAlarm.fire({ name: ALARM_FOLDERS });
    await bg.idle();
    expect(fake.calls.query).toBe(2);
    // Sent is synced late, with a reply older than the incremental window.
    fake.addMessage(eml('reply-with-in-reply-to', SENT));
    clock.advance(60_000);
    await fake.events.onAlarm.fire({ name: ALARM_FOLDERS });
    await bg.idle();
    expect(fake.calls.query).toBe(3);
    // The walk found a message to add, and saw every message of both folders: synced, no walk planned.
    expect(statuses().at(-1)).toMatchObject({ scanComplete: true, ledger: 2 });
    expect(fake.alarms.get(ALARM_SCAN_SOON)).toBeUndefined();
    expect(await (await bg.ready).count()).toBe(2);
  });

  it('walks nothing without a valid secret, tells why, and counts once a valid one is set', async () => {
    const fake = thunderbird();
    fake.managed = { ...fake.managed, secret: 'trop-court' };
    const question = eml('question-from-usager', INBOX);
    fake.addMessage(question);
    const clock = new TestClock(new Date('2026-11-22T12:00:00Z'));
    const { bg, posted } = boot(fake, freshDbName(), clock);
    await fake.events.onStartup.fire();
    await bg.idle();
    await fake.events.onNewMailReceived.fire(INBOX, { id: null, messages: [question.header] });
    await fake.events.onAlarm.fire({ name: ALARM_FOLDERS });
    await bg.idle();
    // No walk, no walk planned: without a key nothing can be counted, and the account would never look counted.
    expect(fake.calls.query).toBe(0);
    expect(fake.alarms.get(ALARM_SCAN_SOON)).toBeUndefined();
    expect(await (await bg.ready).count()).toBe(0);
    const state = (await bg.handle({ type: 'options/state' })) as OptionsState;
    expect(state.errors).toContainEqual(expect.objectContaining({ key: 'secret', source: 'managed' }));
    // The deployment fixes the secret: the minute check walks and counts.
    fake.managed = { ...fake.managed, secret: SECRET };
    clock.advance(60_000);
    await fake.events.onAlarm.fire({ name: ALARM_FOLDERS });
    await bg.idle();
    expect(fake.calls.query).toBe(1);
    expect(await (await bg.ready).count()).toBe(1);
    clock.advance(10_000);
    await fake.events.onAlarm.fire({ name: ALARM_UPLOAD_SOON });
    await bg.idle();
    expect(posted.flatMap((b) => b.records)).toHaveLength(1);
  });

  it('opens the sampling panel from the tools menu', async () => {
    const fake = thunderbird();
    const { bg } = boot(fake, freshDbName(), new TestClock(new Date('2026-11-20T12:00:00Z')));
    await fake.events.onMenuClicked.fire({ menuItemId: MENU_SAMPLING });
    await bg.idle();
    expect(fake.tabsCreated).toEqual(['moz-extension://fake/sampling/sampling.html']);
  });
});

async function fakeStartup(fake: FakeMessenger): Promise<void> {
  await fake.events.onStartup.fire();
}
