// The event page classifies every received message with its headers on every path: new mail before it is
// counted (one read, one upload), walks alongside (records sent refined), after a restart mid-refinement, on
// Thunderbird with getHeaders (MV3, raw) and without (MV2, getFull); the status line and popup say « provisional ».
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import { TALLY_SCHEMA } from '../../src/core/protocol.ts';
import { ALARM_SCAN, ALARM_SCAN_SOON, ALARM_UPLOAD_SOON } from '../../src/extension/background-core.ts';
import { adaptMessenger } from '../../src/extension/compat.ts';
import { Refine, Up } from '../../src/extension/ledger.ts';
import type { Answers } from '../../src/extension/runtime-messages.ts';
import { boot, thunderbird, waitFor } from './background-harness.ts';
import { eml, HEADER_ONLY_AUTOMATIC, INBOX } from './eml.ts';
import type { FakeMessenger } from './fake-messenger.ts';
import { BALF, freshDbName, SECRET, TestClock } from './helpers.ts';

const keyOf = (id: string): Promise<string> => messageKey(SECRET, id);

/** The BALF's received mail: header-only automatic messages and a person's question, `n` copies each. */
function receivedMail(fake: FakeMessenger, n = 1): void {
  for (let i = 0; i < n; i++) {
    for (const name of [...HEADER_ONLY_AUTOMATIC, 'question-from-usager'] as const) {
      const m = eml(name, INBOX);
      const id = n === 1 ? m.header.headerMessageId : `${i}-${m.header.headerMessageId}`;
      fake.addMessage({ ...m, header: { ...m.header, headerMessageId: id } });
    }
  }
}

describe('event page: every received message classified with its headers', () => {
  it('classifies new mail with its headers before counting it: one read, one upload, refined', async () => {
    const fake = thunderbird();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const { bg, posted } = boot(fake, freshDbName(), clock);
    const news = eml('newsletter-list-unsubscribe-ordinary-author', INBOX);
    const question = eml('question-from-usager', INBOX);
    fake.addMessage(news);
    fake.addMessage(question);
    await fake.events.onNewMailReceived.fire(INBOX, { id: null, messages: [news.header, question.header] });
    await bg.idle();
    const ledger = await bg.ready;
    expect(await ledger.get(BALF, await keyOf('abonnement-1@editeur.example'))).toMatchObject({
      cat: 'auto',
      hdr: true,
      up: Up.pending,
    });
    expect((await ledger.get(BALF, await keyOf('question-1@example.org')))?.refine).toBeUndefined();
    expect(fake.calls.getFull).toBe(2);
    await fake.events.onAlarm.fire({ name: ALARM_UPLOAD_SOON });
    await bg.idle();
    expect(posted.map((p) => p.schema)).toEqual([TALLY_SCHEMA]);
    expect(posted.flatMap((p) => p.records).map((r) => [r['cat'], r['hdr']])).toEqual([
      ['usager', true],
      ['auto', true],
    ]);
    // A walk afterwards reads nothing again and sends nothing again.
    await fake.events.onAlarm.fire({ name: ALARM_SCAN });
    await fake.events.onAlarm.fire({ name: ALARM_UPLOAD_SOON });
    await bg.idle();
    expect(fake.calls.getFull).toBe(2);
    expect(posted.flatMap((p) => p.records)).toHaveLength(2);
  });

  it('counts new mail it cannot read from the list, sends it provisional, and sends the correction later', async () => {
    const fake = thunderbird();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const { bg, posted, statuses } = boot(fake, freshDbName(), clock);
    const notice = eml('notice-auto-generated-ordinary-subject', INBOX);
    fake.addMessage(notice);
    fake.unreadable.add(notice.header.headerMessageId);
    await fake.events.onNewMailReceived.fire(INBOX, { id: null, messages: [notice.header] });
    await fake.events.onAlarm.fire({ name: ALARM_UPLOAD_SOON });
    await bg.idle();
    const key = await keyOf(notice.header.headerMessageId);
    expect(await (await bg.ready).get(BALF, key)).toMatchObject({
      cat: 'usager',
      refine: Refine.waiting,
      refineFailures: 1,
      up: Up.acknowledged,
    });
    expect(statuses().at(-1)).toMatchObject({ unrefined: 1, unverified: 0 });
    expect(posted.flatMap((p) => p.records)).toEqual([expect.objectContaining({ k: key, cat: 'usager' })]);
    expect(posted[0]?.records[0]?.['hdr']).toBeUndefined();
    // Thunderbird can stream it again: the next walk reads it, and the correction goes out (hdr: true).
    fake.unreadable.clear();
    clock.advance(10 * 60_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN });
    await fake.events.onAlarm.fire({ name: ALARM_UPLOAD_SOON });
    await bg.idle();
    expect(posted.flatMap((p) => p.records).at(-1)).toEqual({
      k: key,
      dir: 'in',
      at: '2026-11-17T07:05:00.000Z',
      cat: 'auto',
      hdr: true,
    });
    expect(statuses().at(-1)).toMatchObject({ unrefined: 0, queue: 0 });
  });

  it('resumes a refinement interrupted by an unload: a new instance reads what is left, counts nothing twice', async () => {
    const dbName = freshDbName();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const first = thunderbird();
    receivedMail(first, 5);
    // Unloaded during the reads: after a few, Thunderbird's answers never come back to this instance.
    let reads = 0;
    const getFull = first.api.messages.getFull;
    Object.defineProperty(first.api.messages, 'getFull', {
      value: (id: number) => (++reads > 3 ? new Promise(() => undefined) : getFull(id)),
    });
    const one = boot(first, dbName, clock, { pageSize: 10 });
    void first.events.onStartup.fire();
    await waitFor(() => one.statuses().length > 0);
    // The first figures are out, provisional: every message counted, all of them still to verify.
    expect(one.statuses()[0]).toMatchObject({ scanning: true, ledger: 25, unrefined: 25 });
    const summary = (await one.bg.handle({ type: 'popup/summary' })) as Answers['popup/summary'];
    expect(summary.balfs).toEqual([expect.objectContaining({ balf: BALF, unrefined: 25 })]);
    expect(one.posted).toEqual([]);

    const second = thunderbird();
    second.messagesStore = first.messagesStore.map((m, i) => ({
      ...m,
      header: { ...m.header, id: 9000 + i },
    }));
    clock.advance(60_000);
    const two = boot(second, dbName, clock, { pageSize: 10 });
    const ledger = await two.bg.ready;
    await two.bg.idle();
    expect(await ledger.count()).toBe(25);
    expect(await ledger.refineCounts(BALF)).toEqual({ waiting: 0, unverified: 0 });
    const rows = await ledger.allRows();
    expect(rows.filter((r) => r.cat === 'auto')).toHaveLength(20);
    expect(rows.every((r) => r.hdr === true)).toBe(true);
    expect(second.calls.getFull).toBe(25);
    expect(two.statuses().at(-1)).toMatchObject({ scanning: false, ledger: 25, unrefined: 0 });
    // Sent once each, refined.
    clock.advance(10_000);
    await second.events.onAlarm.fire({ name: ALARM_UPLOAD_SOON });
    await two.bg.idle();
    const records = two.posted.flatMap((p) => p.records);
    expect(records).toHaveLength(25);
    expect(records.every((r) => r['hdr'] === true)).toBe(true);
  });

  it.each([
    ['MV3 (getHeaders, raw)', true],
    ['MV2 (getFull)', false],
  ] as const)('reads received mail’s headers on %s', async (_name, getHeaders) => {
    const fake = thunderbird({ getHeaders });
    receivedMail(fake);
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const { bg, statuses } = boot(fake, freshDbName(), clock, { messenger: adaptMessenger(fake.api) });
    await fake.events.onStartup.fire();
    await bg.idle();
    const counts = { auto: 0, usager: 0 };
    for (const r of await (await bg.ready).allRows()) counts[r.cat as 'auto' | 'usager'] += 1;
    expect(counts).toEqual({ auto: 4, usager: 1 });
    expect(fake.calls).toMatchObject(
      getHeaders ? { getHeaders: 5, getFull: 0 } : { getHeaders: 0, getFull: 5 },
    );
    if (getHeaders)
      expect(fake.getHeadersOptions).toEqual(Array.from({ length: 5 }, () => ({ decodeHeaders: false })));
    expect(statuses().at(-1)).toMatchObject({ unrefined: 0 });
    // Synced on the next walk; nothing waits: no further walk is planned for the refinement.
    clock.advance(30_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await bg.idle();
    expect(statuses().at(-1)).toMatchObject({ scanComplete: true, unrefined: 0 });
  });

  it('retries an unreadable message at the periodic scans, not in a burst of walks, then gives it up', async () => {
    const fake = thunderbird();
    receivedMail(fake);
    fake.unreadable.add('information-9@boutique.example');
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const { bg, statuses } = boot(fake, freshDbName(), clock);
    await fake.events.onStartup.fire();
    clock.advance(30_000);
    await fake.events.onAlarm.fire({ name: ALARM_SCAN_SOON });
    await bg.idle();
    // Synced: no walk is planned for the waiting row, which the figures still wait for.
    expect(statuses().at(-1)).toMatchObject({ scanComplete: true, unrefined: 1, unverified: 0 });
    fake.alarms.delete(ALARM_SCAN_SOON);
    for (let scan = 0; scan < 2; scan++) {
      clock.advance(10 * 60_000);
      await fake.events.onAlarm.fire({ name: ALARM_SCAN });
      await bg.idle();
      expect(fake.alarms.get(ALARM_SCAN_SOON)).toBeUndefined();
    }
    // Three walks failed to read it: given up, list-only, no longer holding the figures provisional.
    expect(statuses().at(-1)).toMatchObject({ scanComplete: true, unrefined: 0, unverified: 1 });
    const summary = (await bg.handle({ type: 'popup/summary' })) as Answers['popup/summary'];
    expect(summary.balfs).toEqual([expect.objectContaining({ unrefined: 0 })]);
  });
});
