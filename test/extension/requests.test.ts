// One answer closes the whole request, in the add-on: sent replies get `hre` whatever the order the
// messages are walked in, late received mail extends a reply already queued or sent, and the popup and
// the sampling panel pair through it.
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import { ingestHeaders, releaseHeld } from '../../src/extension/ingest.ts';
import { Up, type Ledger, type LedgerRow } from '../../src/extension/ledger.ts';
import { drawFromLedger, drawFromRows } from '../../src/extension/sampling/draw.ts';
import { summarizeBalf } from '../../src/extension/summary.ts';
import { FakeMessenger, header, type StoredMessage } from './fake-messenger.ts';
import { INBOX, SENT } from './eml.ts';
import { BALF, freshLedger, row, SECRET, TestClock, testConfig } from './helpers.ts';

const JEAN = 'jean.usager@example.org';

interface Spec {
  date: string;
  from?: string;
  to?: string;
  subject: string;
  inReplyTo?: string;
  references?: string[];
}

/** A message as Thunderbird lists it (and getFull gives its headers). */
function mail(id: string, folder: typeof INBOX, spec: Spec): StoredMessage {
  const from = spec.from ?? (folder === SENT ? `SIP Test <${BALF}>` : `Jean Usager <${JEAN}>`);
  const to = spec.to ?? (folder === SENT ? `Jean Usager <${JEAN}>` : BALF);
  const headers: Record<string, string[]> = {
    from: [from],
    to: [to],
    subject: [spec.subject],
    date: [spec.date],
    'message-id': [`<${id}>`],
    ...(spec.inReplyTo ? { 'in-reply-to': [`<${spec.inReplyTo}>`] } : {}),
    ...(spec.references ? { references: [spec.references.map((r) => `<${r}>`).join(' ')] } : {}),
  };
  return {
    accountId: 'account1',
    headers,
    header: header({
      author: from,
      recipients: [to],
      date: new Date(spec.date),
      headerMessageId: id,
      subject: spec.subject.replace(/^Re: /i, ''),
      folder,
    }),
  };
}

// Jean asks on Mon 2 Nov 2026, writes again on Tue 10 Nov; the agent answers the reminder on Wed 11 Nov.
const first = mail('q1@example.org', INBOX, { date: '2026-11-02T09:00:00Z', subject: 'Demande de remise' });
const reminder = mail('q2@example.org', INBOX, {
  date: '2026-11-10T09:00:00Z',
  subject: 'Demande de remise',
});
const answer = mail('s1@dgfip.finances.gouv.fr', SENT, {
  date: '2026-11-11T10:00:00Z',
  subject: 'Re: Demande de remise',
  inReplyTo: 'q2@example.org',
});
const other = mail('b1@example.org', INBOX, {
  date: '2026-11-03T09:00:00Z',
  from: 'Paul <paul@example.net>',
  subject: 'Demande de remise',
});

const key = (id: string) => messageKey(SECRET, id);
const ctx = { balf: BALF, config: testConfig() };
const deps = (fake: FakeMessenger, ledger: Ledger) => ({
  ledger,
  getFull: fake.api.messages.getFull,
  clock: new TestClock(new Date('2026-12-20T12:00:00Z')).fn,
});
const scan = (fake: FakeMessenger, ledger: Ledger, list: StoredMessage[]) =>
  ingestHeaders(
    deps(fake, ledger),
    ctx,
    list.map((m) => m.header),
    { deferHeuristic: true },
  );
const live = (fake: FakeMessenger, ledger: Ledger, list: StoredMessage[]) =>
  ingestHeaders(
    deps(fake, ledger),
    ctx,
    list.map((m) => m.header),
    { deferHeuristic: false },
  );

function messenger(...list: StoredMessage[]): FakeMessenger {
  const fake = new FakeMessenger();
  for (const m of list) fake.addMessage(m);
  return fake;
}

async function sentRow(ledger: Ledger): Promise<LedgerRow> {
  return (await ledger.get(BALF, await key('s1@dgfip.finances.gouv.fr')))!;
}

describe('request closure in the add-on', () => {
  it('a back-fill that walks Sent first closes the first message at the end of the walk', async () => {
    const fake = messenger(first, reminder, answer, other);
    const ledger = await freshLedger();
    await scan(fake, ledger, [answer]);
    expect((await sentRow(ledger)).up).toBe(Up.hold);
    await scan(fake, ledger, [other, reminder]);
    await scan(fake, ledger, [first]);
    expect(await releaseHeld(ledger)).toBe(1);
    expect(await sentRow(ledger)).toMatchObject({
      up: Up.pending,
      re: [await key('q2@example.org')],
      hre: [await key('q1@example.org')],
    });
    expect((await sentRow(ledger)).heuristic).toBeUndefined();
    expect(await ledger.getMeta(`closureSpan\u0000${BALF}`)).toBeUndefined();
  });

  it('a reply with references is released while the account still syncs; one without waits', async () => {
    const bare = mail('s2@dgfip.finances.gouv.fr', SENT, {
      date: '2026-11-12T10:00:00Z',
      to: 'Paul <paul@example.net>',
      subject: 'RE : Demande de remise',
    });
    const fake = messenger(answer, bare, reminder);
    const ledger = await freshLedger();
    await scan(fake, ledger, [answer, bare, reminder]);
    expect(await releaseHeld(ledger, new Set([BALF]))).toBe(1);
    expect((await sentRow(ledger)).up).toBe(Up.pending);
    expect((await ledger.get(BALF, await key('s2@dgfip.finances.gouv.fr')))?.up).toBe(Up.hold);
  });

  it('live: a reply is closed at once, never held', async () => {
    const fake = messenger(first, reminder, answer);
    const ledger = await freshLedger();
    await live(fake, ledger, [first, reminder]);
    await live(fake, ledger, [answer]);
    expect(await sentRow(ledger)).toMatchObject({ up: Up.pending, hre: [await key('q1@example.org')] });
  });

  it('an earlier message synced late extends an uploaded reply, which is queued again', async () => {
    const fake = messenger(first, reminder, answer);
    const ledger = await freshLedger();
    await live(fake, ledger, [reminder, answer]);
    expect((await sentRow(ledger)).hre).toBeUndefined();
    await ledger.put({ ...(await sentRow(ledger)), up: Up.acknowledged });
    await live(fake, ledger, [first]);
    expect(await sentRow(ledger)).toMatchObject({ up: Up.pending, hre: [await key('q1@example.org')] });
  });

  it('a reply in a batch not yet acknowledged leaves it and waits for a new one', async () => {
    const fake = messenger(first, reminder, answer);
    const ledger = await freshLedger();
    await live(fake, ledger, [reminder, answer]);
    const sentKey = await key('s1@dgfip.finances.gouv.fr');
    await ledger.createBatch({
      batchId: 'b-1',
      balf: BALF,
      seq: 0,
      records: [],
      keys: [sentKey],
      createdAt: '2026-12-20T12:00:00Z',
      attempts: 0,
      state: 'open',
    });
    await live(fake, ledger, [first]);
    const requeued = await sentRow(ledger);
    expect(requeued).toMatchObject({ up: Up.pending, hre: [await key('q1@example.org')] });
    expect(requeued.batchId).toBeUndefined();
    // The old batch (without hre) is acknowledged: the row still waits for its own.
    await ledger.acknowledgeBatch('b-1');
    expect((await sentRow(ledger)).up).toBe(Up.pending);
  });

  it('a scan that finds the earlier message later extends the reply once, at its end', async () => {
    const fake = messenger(first, reminder, answer);
    const ledger = await freshLedger();
    await scan(fake, ledger, [reminder, answer]);
    await releaseHeld(ledger);
    expect((await sentRow(ledger)).hre).toBeUndefined();
    await scan(fake, ledger, [first]);
    expect((await sentRow(ledger)).hre).toBeUndefined();
    expect(await releaseHeld(ledger)).toBe(1);
    expect((await sentRow(ledger)).hre).toEqual([await key('q1@example.org')]);
    // Nothing new: nothing queued again.
    await ledger.put({ ...(await sentRow(ledger)), up: Up.acknowledged });
    await scan(fake, ledger, [first, reminder]);
    expect(await releaseHeld(ledger)).toBe(0);
    expect((await sentRow(ledger)).up).toBe(Up.acknowledged);
  });

  it('follows the reference chain of received messages (refs), whatever their subjects', async () => {
    const ledger = await freshLedger();
    const q1 = row({ key: await key('q1@example.org'), at: '2026-11-02T09:00:00.000Z', subject: 'Un' });
    const q2 = row({
      key: await key('q2@example.org'),
      at: '2026-11-10T09:00:00.000Z',
      subject: 'Relance',
      refs: [q1.key],
    });
    await ledger.addIfAbsent([q1, q2]);
    const fake = messenger(
      mail('s1@dgfip.finances.gouv.fr', SENT, {
        date: '2026-11-11T10:00:00Z',
        to: `Jean Usager <${q1.correspondent!}>`,
        subject: 'Re: Relance',
        inReplyTo: 'q2@example.org',
      }),
    );
    await live(fake, ledger, fake.messagesStore);
    expect((await sentRow(ledger)).hre).toEqual([q1.key]);
  });

  it('the popup counts the first message answered, the sampling panel says why', async () => {
    const fake = messenger(first, reminder, answer, other);
    const ledger = await freshLedger();
    await live(fake, ledger, [first, reminder, other, answer]);
    const summary = await summarizeBalf(ledger, testConfig(), BALF, new Date('2026-11-30T12:00:00Z'));
    // Paul's message only: Jean's two are answered by one reply.
    expect(summary.overdue).toBe(1);

    const request = {
      balf: BALF,
      from: '2026-11-01',
      to: '2026-11-30',
      seed: 'K7P2XQ9M',
      size: { kind: 'count' as const, n: 10 },
      stratifyByWeek: false,
      target: testConfig().primaryTarget,
    };
    const drawCtx = {
      region: 'metropole' as const,
      whitMondayWorked: false,
      now: new Date('2026-11-30T12:00:00Z'),
    };
    const draw = await drawFromLedger(ledger, request, drawCtx);
    const q1 = draw.rows.find((r) => r.headerMessageId === 'q1@example.org');
    expect(q1?.reply).toMatchObject({
      heuristic: true,
      byRequest: true,
      headerMessageId: 's1@dgfip.finances.gouv.fr',
    });
    // Mon 2 Nov → Wed 11 Nov (Armistice, a holiday): 6 working days, answered late.
    expect(q1).toMatchObject({ status: 'answered_late', delayDays: 6 });
    const q2 = draw.rows.find((r) => r.headerMessageId === 'q2@example.org');
    expect(q2?.reply).toMatchObject({ heuristic: false });
    expect(q2?.reply?.byRequest).toBeUndefined();
    expect(draw).toEqual(drawFromRows(await ledger.allRows(), request, drawCtx));
  });
});
