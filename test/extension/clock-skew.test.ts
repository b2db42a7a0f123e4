// A workstation whose clock is ahead or behind (a day, 26 h, 3 days), and messages with absurd
// dates: the real event page (scan, live mail, uploader) over the fake messenger, uploading through
// loopback to the real collection app whose clock is right. Messages land on the days their headers
// say (Date, or the top Received when Date is absurd or more than 36 h ahead of it), whatever the
// workstation's clock; nothing crashes.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import { startBackground } from '../../src/extension/background-core.ts';
import { openLedgerDb } from '../../src/extension/ledger.ts';
import type { MailFolder } from '../../src/extension/platform.ts';
import { BACKOFF_MIN_MS, Uploader, type LastUpload } from '../../src/extension/uploader.ts';
import { AlarmRunner } from '../support/faults/alarm-runner.ts';
import { startCollector, type Collector } from '../support/faults/collector.ts';
import { FaultServer } from '../support/faults/fault-server.ts';
import { SimClock } from '../support/faults/sim-clock.ts';
import { INBOX, SENT } from './eml.ts';
import { FakeMessenger, header, type StoredMessage } from './fake-messenger.ts';
import { BALF, freshDbName, freshLedger, row, SECRET, testConfig } from './helpers.ts';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MIN = 60_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The calendar day in Paris (an unattached BALF's time zone on the server). */
function parisDay(ms: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(ms));
}

interface Mail {
  name: string;
  message: StoredMessage;
  id: string;
  /** Delivered by onNewMailReceived (else found by the scan). */
  live: boolean;
}

function mail(
  name: string,
  over: {
    date: Date;
    received?: string;
    folder?: MailFolder;
    author?: string;
    inReplyTo?: string;
    live?: boolean;
  },
): Mail {
  const id = `${name}-${randomUUID()}@example.org`;
  const headers: Record<string, string[]> = { 'message-id': [`<${id}>`] };
  if (over.received)
    headers['received'] = [`from mx.example.org by imap.dgfip.finances.gouv.fr; ${over.received}`];
  if (over.inReplyTo) headers['in-reply-to'] = [`<${over.inReplyTo}>`];
  return {
    name,
    id,
    live: over.live ?? false,
    message: {
      accountId: 'account1',
      headers,
      header: header({
        headerMessageId: id,
        date: over.date,
        folder: over.folder ?? INBOX,
        author: over.author ?? `Usager <${name}@example.org>`,
        subject: `Demande ${name}`,
      }),
    },
  };
}

interface Run {
  collector: Collector;
  days: Map<string, string>;
  lastUpload: LastUpload | null;
}

/** Boots the event page with the workstation clock at true time + `skewMs`, delivers `mails`, runs 30 min. */
async function runWithSkew(
  skewMs: number,
  mails: Mail[],
  correction?: { at: number; mails: Mail[] },
): Promise<Run> {
  const sim = new SimClock(new Date(NOW));
  const collector = await startCollector(sim.fn);
  cleanups.push(() => collector.close());
  const server = await FaultServer.start({ app: collector.app });
  cleanups.push(() => server.close());
  let skew = skewMs;
  const workstation = () => new Date(sim.now + skew);
  const fake = new FakeMessenger();
  fake.accounts = [{ id: 'account1', name: 'SIP', type: 'imap', identities: [{ email: BALF }] }];
  fake.managed = {
    endpoint: server.url,
    token: collector.token,
    secret: SECRET,
    balfs: [BALF],
    logLevel: 'warn',
  };
  for (const m of mails) if (!m.live) fake.addMessage(m.message);
  const errors: unknown[] = [];
  const dbName = freshDbName();
  const bg = startBackground({
    messenger: fake.api,
    openDb: () => openLedgerDb(dbName),
    fetch,
    clock: workstation,
    random: () => 0.5,
    uuid: randomUUID,
    yieldNow: async () => undefined,
    sink: {
      error: (...a: unknown[]) => void errors.push(a),
      warn: () => undefined,
      info: () => undefined,
      debug: () => undefined,
    },
  });
  const runner = new AlarmRunner(
    fake,
    sim,
    async (name, scheduledTime) => {
      await fake.events.onAlarm.fire({ name, scheduledTime });
      await bg.idle();
    },
    () => workstation().getTime(),
  );
  await fake.events.onStartup.fire();
  await bg.idle();
  await runner.runUntil(NOW + 2 * MIN);
  for (const m of mails.filter((x) => x.live)) {
    fake.addMessage(m.message);
    await fake.events.onNewMailReceived.fire(m.message.header.folder ?? INBOX, {
      id: null,
      messages: [m.message.header],
    });
    await bg.idle();
  }
  if (correction) {
    // NTP sets the workstation right; mail synced later is found by the periodic scans alone.
    await runner.runUntil(NOW + correction.at);
    skew = 0;
    for (const m of correction.mails) fake.addMessage(m.message);
  }
  await runner.runUntil(NOW + 30 * MIN);
  expect(errors).toEqual([]);
  const ledger = await bg.ready;
  expect(await ledger.queueSize()).toBe(0);
  const rows = await collector.db
    .selectFrom('records')
    .select(['key', 'day'])
    .where('balf', '=', BALF)
    .execute();
  const byKey = new Map(rows.map((r) => [r.key, r.day]));
  expect(byKey.size).toBe(rows.length);
  const days = new Map<string, string>();
  for (const m of [...mails, ...(correction?.mails ?? [])]) {
    const day = byKey.get(await messageKey(SECRET, m.id));
    if (day) days.set(m.name, day);
  }
  return { collector, days, lastUpload: (await ledger.getMeta<LastUpload>('lastUpload')) ?? null };
}

const q1 = mail('hier', {
  date: new Date('2026-11-19T15:00:00Z'),
  received: 'Thu, 19 Nov 2026 15:00:05 +0000',
});
const q2 = mail('minuit-paris', { date: new Date('2026-11-19T23:30:00Z') });
const q3 = mail('ce-matin', { date: new Date('2026-11-20T08:00:00Z') });
const q4 = mail('semaine-derniere', { date: new Date('2026-11-13T09:00:00Z') });
const reply = mail('reponse', {
  date: new Date('2026-11-20T09:00:00Z'),
  folder: SENT,
  author: `SIP Test <${BALF}>`,
  inReplyTo: q1.id,
});
// The sender's clock is months ahead; the receiving server's Received says when it arrived.
const ahead = mail('horloge-expediteur', {
  date: new Date('2027-03-01T10:00:00Z'),
  received: 'Fri, 20 Nov 2026 07:30:00 +0000',
  live: true,
});
// A Date header Thunderbird cannot parse; Received is there.
const invalid = mail('date-illisible', {
  date: new Date(Number.NaN),
  received: 'Thu, 19 Nov 2026 12:00:00 +0000',
  live: true,
});

const EXPECTED: Record<string, string> = {
  hier: '2026-11-19',
  'minuit-paris': '2026-11-20',
  'ce-matin': '2026-11-20',
  'semaine-derniere': '2026-11-13',
  reponse: '2026-11-20',
  'horloge-expediteur': '2026-11-20',
  'date-illisible': '2026-11-19',
};

describe('workstation clock skew', () => {
  it.each([
    ['right', 0],
    ['one day ahead', DAY],
    ['one day behind', -DAY],
  ])('clock %s: every message lands on the day its headers give', async (_label, skew) => {
    const run = await runWithSkew(skew, [q1, q2, q3, q4, reply, ahead, invalid]);
    expect(Object.fromEntries(run.days)).toEqual(EXPECTED);
    expect(run.lastUpload).toMatchObject({ result: 'ok' });
    // The reply is paired with the question it answers, whatever the workstation's clock.
    const answered = await run.collector.db
      .selectFrom('records')
      .select('answered_at')
      .where('key', '=', await messageKey(SECRET, q1.id))
      .executeTakeFirst();
    expect(answered?.answered_at).toBe('2026-11-20T09:00:00.000Z');
  });

  it.each([
    ['ahead', DAY],
    ['behind', -DAY],
  ])(
    'a clock a day %s then corrected: mail synced after the correction is still found and dated right',
    async (_l, skew) => {
      const late = mail('apres-correction', { date: new Date(NOW + 3 * MIN) });
      const older = mail('synchro-tardive', { date: new Date('2026-11-18T14:00:00Z') });
      const run = await runWithSkew(skew, [q3], { at: 5 * MIN, mails: [late, older] });
      expect(Object.fromEntries(run.days)).toEqual({
        'ce-matin': '2026-11-20',
        'apres-correction': '2026-11-20',
        'synchro-tardive': '2026-11-18',
      });
    },
  );

  it.each([
    ['26 h', -26 * HOUR],
    ['3 days', -3 * DAY],
  ])(
    'clock %s behind: fresh mail with a Received header lands on the day of its headers, not the workstation day',
    async (_l, skew) => {
      // Both are in the workstation's future by more than a day: judged against their Received.
      const scanned = mail('frais-parcours', {
        date: new Date(NOW - 30 * MIN),
        received: 'Fri, 20 Nov 2026 09:30:04 +0000',
      });
      const live = mail('frais-direct', {
        date: new Date(NOW + MIN),
        received: 'Fri, 20 Nov 2026 10:01:03 +0000',
        live: true,
      });
      const run = await runWithSkew(skew, [q1, scanned, live, ahead]);
      expect(parisDay(NOW + skew)).not.toBe('2026-11-20');
      expect(Object.fromEntries(run.days)).toEqual({
        hier: '2026-11-19',
        'frais-parcours': '2026-11-20',
        'frais-direct': '2026-11-20',
        'horloge-expediteur': '2026-11-20',
      });
    },
  );

  it.each([
    ['right', 0],
    ['3 days behind', -3 * DAY],
    ['one day ahead', DAY],
  ])(
    'clock %s: a Date 30 h ahead of its Received is within tolerance and kept, 3 days ahead is replaced by Received',
    async (_l, skew) => {
      // Received an hour ago (Paris: 20 November) from senders whose clocks are ahead.
      const received = 'Fri, 20 Nov 2026 09:00:00 +0000';
      const within = mail('expediteur-30h', { date: new Date(NOW - HOUR + 30 * HOUR), received });
      const beyond = mail('expediteur-3j', { date: new Date(NOW - HOUR + 3 * DAY), received, live: true });
      const run = await runWithSkew(skew, [within, beyond]);
      // Kept: the day Thunderbird shows (21 November), the same for every workstation clock.
      expect(run.days.get('expediteur-30h')).toBe('2026-11-21');
      expect(run.days.get('expediteur-3j')).toBe('2026-11-20');
      expect(run.lastUpload).toMatchObject({ result: 'ok' });
      expect(run.lastUpload?.rejectedRecords).toBeUndefined();
    },
  );

  it('no Received and the clock behind: Date kept within 36 h of the workstation clock, else counted at first sight', async () => {
    // Sent mail has no Received; nor has mail delivered by a server that adds none.
    const sent = mail('envoi', {
      date: new Date(NOW - HOUR),
      folder: SENT,
      author: `SIP Test <${BALF}>`,
      inReplyTo: q1.id,
    });
    const bare = mail('sans-received', { date: new Date(NOW - HOUR) });
    const behind26h = await runWithSkew(-26 * HOUR, [q1, sent, bare]);
    expect(Object.fromEntries(behind26h.days)).toEqual({
      hier: '2026-11-19',
      envoi: '2026-11-20',
      'sans-received': '2026-11-20',
    });
    // 3 days behind, nothing says the workstation is wrong rather than the sender: the workstation's
    // day, as for a message with no date at all (never lost; the server accepts a past day).
    const behind3d = await runWithSkew(-3 * DAY, [q1, sent, bare]);
    expect(Object.fromEntries(behind3d.days)).toEqual({
      hier: '2026-11-19',
      envoi: parisDay(NOW - 3 * DAY),
      'sans-received': parisDay(NOW - 3 * DAY),
    });
  });

  it('absurd dates never stop the pipeline: 1970 with and without Received, year 2999 and unreadable dates without Received', async () => {
    const epoch = mail('epoch', {
      date: new Date(0),
      received: 'Wed, 18 Nov 2026 12:00:00 +0000',
      live: true,
    });
    const epochBare = mail('epoch-sans-received', { date: new Date(0), live: true });
    const far = mail('an-2999', { date: new Date('2999-01-01T00:00:00Z'), live: true });
    const none = mail('sans-date', { date: new Date(Number.NaN), live: true });
    for (const skew of [DAY, -DAY]) {
      const run = await runWithSkew(skew, [q3, epoch, epochBare, far, none]);
      expect(run.days.get('ce-matin')).toBe('2026-11-20');
      // A Date before 2000 is a reset clock (1970: Unix time 0): the Received day when there is one.
      expect(run.days.get('epoch')).toBe('2026-11-18');
      // No usable date at all: the rule is the time of first sight, i.e. the workstation's own
      // clock — the one case a skewed clock moves a message (by the skew, within the server's
      // 36 h tolerance for the future).
      const firstSight = parisDay(NOW + 2 * MIN + skew);
      expect(run.days.get('epoch-sans-received')).toBe(firstSight);
      expect(run.days.get('an-2999')).toBe(firstSight);
      expect(run.days.get('sans-date')).toBe(firstSight);
      expect(run.days.size).toBe(5);
      expect(run.lastUpload).toMatchObject({ result: 'ok' });
    }
  });

  it('a clock set back by a day during a backoff does not hold uploads back for that day', async () => {
    const sim = new SimClock(new Date(NOW + DAY));
    const ledger = await freshLedger();
    await ledger.addIfAbsent([row()]);
    const answers = [503, 200];
    const sent: number[] = [];
    const up = new Uploader({
      ledger,
      fetch: (async () => {
        sent.push(sim.now);
        return new Response('{"accepted":1,"duplicates":0,"rejected":0}', { status: answers.shift() ?? 200 });
      }) as unknown as typeof fetch,
      clock: sim.fn,
      random: () => 0.5,
      uuid: randomUUID,
      client: async () => ({ id: 'poste', addon: '0.1.0', thunderbird: '153.0' }),
    });
    expect(await up.run(testConfig())).toMatchObject({ result: 'error', status: 503 });
    expect((await up.state()).notBefore).toBe(new Date(NOW + DAY + BACKOFF_MIN_MS).toISOString());
    // NTP corrects the clock: now is a day earlier than when the backoff was set.
    sim.set(new Date(NOW + 2 * MIN));
    expect(await up.run(testConfig())).toMatchObject({ result: 'ok', sentRecords: 1 });
    expect(sent).toHaveLength(2);
  });

  it('a clock set forward by a day during a backoff simply ends the wait', async () => {
    const sim = new SimClock(new Date(NOW - DAY));
    const ledger = await freshLedger();
    await ledger.addIfAbsent([row()]);
    const answers = [503, 200];
    const up = new Uploader({
      ledger,
      fetch: (async () => new Response('{}', { status: answers.shift() ?? 200 })) as unknown as typeof fetch,
      clock: sim.fn,
      random: () => 0.5,
      uuid: randomUUID,
      client: async () => ({ id: 'poste', addon: '0.1.0', thunderbird: '153.0' }),
    });
    await up.run(testConfig());
    // Still within the backoff by the old clock: nothing sent.
    sim.set(new Date(NOW - DAY + 30_000));
    expect(await up.run(testConfig())).toMatchObject({ result: 'error', status: 503 });
    sim.set(new Date(NOW));
    expect(await up.run(testConfig())).toMatchObject({ result: 'ok' });
  });

  it('a message dated too far ahead for the server is reported as refused, acknowledged, not re-sent', async () => {
    // Workstation a day ahead, no Received to judge by: a Date 40 h ahead of true time is plausible to
    // it (16 h ahead of its clock, within 36 h) but beyond the server's 36 h tolerance.
    const tooFar = mail('trop-loin', { date: new Date(NOW + 40 * HOUR), live: true });
    const run = await runWithSkew(DAY, [q3, tooFar]);
    expect(run.days.get('ce-matin')).toBe('2026-11-20');
    expect(run.days.has('trop-loin')).toBe(false);
    expect(run.lastUpload).toMatchObject({ result: 'ok', rejectedRecords: 1 });
  });
});
