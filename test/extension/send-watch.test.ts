// The send path over the fake messenger: replies sent from a BALF, from the agent's personal address and
// from another BALF of the same Thunderbird, forwards, failed sends and their retry, and what of a
// personal send is read (its reference headers, nothing else).
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import type { TallyRecord } from '../../src/core/protocol.ts';
import { ALARM_UPLOAD_SOON, startBackground } from '../../src/extension/background-core.ts';
import { openLedgerDb, Up } from '../../src/extension/ledger.ts';
import type { MailFolder, SendInfo } from '../../src/extension/platform.ts';
import { eml } from './eml.ts';
import { FakeMessenger, header, type StoredMessage } from './fake-messenger.ts';
import { freshDbName, SECRET, TestClock } from './helpers.ts';

const A = 'sip.a@dgfip.finances.gouv.fr';
const B = 'sie.b@dgfip.finances.gouv.fr';
const AGENT = 'jean.agent@dgfip.finances.gouv.fr';
const folder = (accountId: string, path: string, use: string): MailFolder => ({
  accountId,
  path,
  specialUse: [use],
});
const INBOX_A = folder('account1', '/INBOX', 'inbox');
const SENT_A = folder('account1', '/Sent', 'sent');
const INBOX_B = folder('account3', '/INBOX', 'inbox');
const SENT_PERSO = folder('account2', '/Sent', 'sent');
const INBOX_PERSO = folder('account2', '/INBOX', 'inbox');

function thunderbird(balfs: string[] = [A, B]): FakeMessenger {
  const fake = new FakeMessenger();
  fake.accounts = [
    { id: 'account1', name: 'SIP A', type: 'imap', identities: [{ email: A }] },
    { id: 'account2', name: 'Perso', type: 'imap', identities: [{ email: AGENT }] },
    { id: 'account3', name: 'SIE B', type: 'imap', identities: [{ email: B }] },
  ];
  fake.managed = {
    endpoint: 'http://127.0.0.1:8765',
    token: 'jeton',
    secret: SECRET,
    balfs,
    internalDomains: ['dgfip.finances.gouv.fr'],
    logLevel: 'debug',
  };
  return fake;
}

function boot(fake: FakeMessenger) {
  const posted: { balf: string; records: TallyRecord[] }[] = [];
  const debug: string[] = [];
  let n = 0;
  const bg = startBackground({
    messenger: fake.api,
    openDb: () => openLedgerDb(freshDbName()),
    fetch: (async (_url: string, init?: RequestInit) => {
      posted.push(JSON.parse(String(init?.body)) as { balf: string; records: TallyRecord[] });
      return new Response('{"accepted":1,"duplicates":0}', { status: 200 });
    }) as unknown as typeof fetch,
    clock: new TestClock(new Date('2026-11-20T12:00:00Z')).fn,
    random: () => 0.5,
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    yieldNow: async () => undefined,
    sink: {
      error: () => undefined,
      warn: () => undefined,
      info: () => undefined,
      debug: (...args: unknown[]) => void debug.push(args.map(String).join(' ')),
    },
  });
  const upload = async (): Promise<(TallyRecord & { balf: string })[]> => {
    await fake.events.onAlarm.fire({ name: ALARM_UPLOAD_SOON });
    await bg.idle();
    return posted.flatMap((p) => p.records.map((r) => ({ ...r, balf: p.balf })));
  };
  return { bg, posted, debug, upload };
}

/** A usager's question received by a BALF, already counted in the ledger (as the scan would have). */
async function received(
  fake: FakeMessenger,
  bg: ReturnType<typeof boot>['bg'],
  id: string,
  inbox: MailFolder,
) {
  const m = eml('question-from-usager', inbox);
  const q: StoredMessage = { ...m, header: { ...m.header, headerMessageId: id } };
  fake.addMessage(q);
  await fake.events.onNewMailReceived.fire(inbox, { id: null, messages: [q.header] });
  await bg.idle();
  return q;
}

/** The copy Thunderbird saved of a send, with the headers it wrote. */
function sentCopy(
  fake: FakeMessenger,
  sent: MailFolder,
  from: string,
  id: string,
  headers: Record<string, string>,
): StoredMessage {
  const copy: StoredMessage = {
    accountId: sent.accountId ?? 'account1',
    headers: {
      from: [from],
      to: ['Jean Usager <jean.usager@example.org>'],
      subject: ['Re: Question sur ma taxe foncière'],
      'message-id': [`<${id}>`],
      date: ['Fri, 20 Nov 2026 12:00:00 +0000'],
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    },
    header: header({
      author: from,
      recipients: ['Jean Usager <jean.usager@example.org>'],
      headerMessageId: id,
      date: new Date('2026-11-20T12:00:00Z'),
      subject: 'Question sur ma taxe foncière',
      folder: sent,
    }),
  };
  fake.addMessage(copy);
  return copy;
}

const sendNow = (copy: StoredMessage, over: Partial<SendInfo> = {}): SendInfo => ({
  mode: 'sendNow',
  headerMessageId: copy.header.headerMessageId,
  messages: [copy.header],
  ...over,
});

describe('send path: replies from the BALF, from the agent, from another BALF', () => {
  it('counts a reply sent from the BALF at once, paired, without via and without a notice', async () => {
    const fake = thunderbird();
    const { bg, upload } = boot(fake);
    await received(fake, bg, 'q1@example.org', INBOX_A);
    const copy = sentCopy(fake, SENT_A, `SIP A <${A}>`, 'r1@dgfip.finances.gouv.fr', {
      'in-reply-to': '<q1@example.org>',
      references: '<q1@example.org>',
    });
    await fake.events.onAfterSend.fire({}, sendNow(copy));
    await bg.idle();
    const ledger = await bg.ready;
    const row = await ledger.get(A, await messageKey(SECRET, 'r1@dgfip.finances.gouv.fr'));
    expect(row).toMatchObject({ dir: 'out', cat: 'reply', re: [await messageKey(SECRET, 'q1@example.org')] });
    expect(row?.via).toBeUndefined();
    expect(await ledger.balfs()).toEqual([A]);
    expect(fake.notifications).toEqual([]);
    const records = await upload();
    expect(records.find((r) => r.dir === 'out')).toEqual({
      k: await messageKey(SECRET, 'r1@dgfip.finances.gouv.fr'),
      dir: 'out',
      at: '2026-11-20T12:00:00.000Z',
      cat: 'reply',
      re: [await messageKey(SECRET, 'q1@example.org')],
      balf: A,
    });
  });

  it('counts a reply sent from the personal address for the BALF that received the message, flagged via personal', async () => {
    const fake = thunderbird();
    const { bg, upload, debug } = boot(fake);
    await received(fake, bg, 'q1@example.org', INBOX_A);
    const readsBefore = fake.readIds.length;
    const copy = sentCopy(fake, SENT_PERSO, `Jean Agent <${AGENT}>`, 'p1@dgfip.finances.gouv.fr', {
      'in-reply-to': '<q1@example.org>',
      references: '<q0@example.org> <q1@example.org>',
    });
    await fake.events.onAfterSend.fire({}, sendNow(copy));
    await bg.idle();
    const ledger = await bg.ready;
    const key = await messageKey(SECRET, 'p1@dgfip.finances.gouv.fr');
    const row = await ledger.get(A, key);
    expect(row).toMatchObject({
      dir: 'out',
      cat: 'reply',
      via: 'personal',
      up: Up.pending,
      at: '2026-11-20T12:00:00.000Z',
      re: [await messageKey(SECRET, 'q1@example.org'), await messageKey(SECRET, 'q0@example.org')],
    });
    // Nothing of the personal send is kept but its id: no correspondent, subject or folder.
    expect(row).not.toHaveProperty('correspondents');
    expect(row).not.toHaveProperty('subject');
    expect(row).not.toHaveProperty('folder');
    // The key check read the copy's headers once; nothing else of the personal account was read or walked.
    expect(fake.readIds.slice(readsBefore)).toEqual([copy.header.id]);
    expect(fake.queries.filter((q) => q.accountId === 'account2')).toEqual([]);
    expect(await ledger.balfs()).toEqual([A]);
    expect(fake.notifications).toEqual([
      expect.objectContaining({ title: 'sendViaTitle', message: `sendViaPersonal|${A}` }),
    ]);
    expect(debug.some((l) => l.includes('send: ') && l.includes('"via":"personal"'))).toBe(true);
    const records = await upload();
    expect(records.find((r) => r.k === key)).toMatchObject({ balf: A, cat: 'reply', via: 'personal' });
  });

  it('leaves no trace of a personal send that answers nothing of a BALF', async () => {
    const fake = thunderbird();
    const { bg, upload, posted } = boot(fake);
    await received(fake, bg, 'q1@example.org', INBOX_A);
    const ledger = await bg.ready;
    const before = await ledger.count();
    // A reply to a message of the personal inbox, and a new message: no BALF received what they name.
    const own = eml('question-from-usager', INBOX_PERSO);
    fake.addMessage({ ...own, header: { ...own.header, headerMessageId: 'perso-q@example.org' } });
    const reply = sentCopy(fake, SENT_PERSO, AGENT, 'p2@dgfip.finances.gouv.fr', {
      'in-reply-to': '<perso-q@example.org>',
    });
    const fresh = sentCopy(fake, SENT_PERSO, AGENT, 'p3@dgfip.finances.gouv.fr', {});
    await fake.events.onAfterSend.fire({}, sendNow(reply));
    await fake.events.onAfterSend.fire({}, sendNow(fresh));
    await bg.idle();
    expect(await ledger.count()).toBe(before);
    expect(fake.notifications).toEqual([]);
    const records = await upload();
    expect(records.map((r) => r.k)).toEqual([await messageKey(SECRET, 'q1@example.org')]);
    expect(posted.every((p) => p.balf === A)).toBe(true);
  });

  it('does not count a personal forward of a BALF message, nor a send put in the Outbox', async () => {
    const fake = thunderbird();
    const { bg } = boot(fake);
    await received(fake, bg, 'q1@example.org', INBOX_A);
    const ledger = await bg.ready;
    const before = await ledger.count();
    // Thunderbird puts the forwarded message in References and In-Reply-To, and X-Forwarded-Message-Id.
    const forward = sentCopy(fake, SENT_PERSO, AGENT, 'f1@dgfip.finances.gouv.fr', {
      'in-reply-to': '<q1@example.org>',
      references: '<q1@example.org>',
      'x-forwarded-message-id': '<q1@example.org>',
    });
    await fake.events.onAfterSend.fire({}, sendNow(forward));
    const later = sentCopy(fake, folder('account0', '/Unsent Messages', 'outbox'), AGENT, 'l1@x.fr', {
      'in-reply-to': '<q1@example.org>',
    });
    await fake.events.onAfterSend.fire({}, { mode: 'sendLater', messages: [later.header] });
    await bg.idle();
    expect(await ledger.count()).toBe(before);
    expect(fake.notifications).toEqual([]);
  });

  it('counts nothing for a failed send, then the retry once (a repeated event changes nothing)', async () => {
    const fake = thunderbird();
    const { bg, upload, debug } = boot(fake);
    await received(fake, bg, 'q1@example.org', INBOX_A);
    const ledger = await bg.ready;
    const before = await ledger.count();
    await fake.events.onAfterSend.fire(
      {},
      { mode: 'sendNow', error: 'Message operation failed', messages: [] },
    );
    // Thunderbird 153 with the SMTP server down: no error message at all, no copy, no Message-ID.
    await fake.events.onAfterSend.fire({}, { mode: 'sendNow', messages: [] });
    await bg.idle();
    expect(await ledger.count()).toBe(before);
    expect(debug.filter((l) => l.includes('send: ')).map((l) => JSON.parse(l.slice(l.indexOf('{'))))).toEqual(
      [
        { mode: 'sendNow', failed: true, copies: 0, counted: 0, foreign: [] },
        { mode: 'sendNow', failed: true, copies: 0, counted: 0, foreign: [] },
      ],
    );
    const retry = sentCopy(fake, SENT_PERSO, AGENT, 'p4@dgfip.finances.gouv.fr', {
      'in-reply-to': '<q1@example.org>',
    });
    await fake.events.onAfterSend.fire({}, sendNow(retry));
    await fake.events.onAfterSend.fire({}, sendNow(retry));
    await bg.idle();
    expect(await ledger.count()).toBe(before + 1);
    expect(fake.notifications).toHaveLength(1);
    const records = await upload();
    expect(records.filter((r) => r.dir === 'out')).toHaveLength(1);
  });

  it('counts a reply from BALF A to a message of BALF B for both: A sent it, B was answered via other-balf', async () => {
    const fake = thunderbird();
    const { bg, upload } = boot(fake);
    await received(fake, bg, 'qa@example.org', INBOX_A);
    await received(fake, bg, 'qb@example.org', INBOX_B);
    const copy = sentCopy(fake, SENT_A, A, 'ab1@dgfip.finances.gouv.fr', {
      'in-reply-to': '<qb@example.org>',
    });
    await fake.events.onAfterSend.fire({}, sendNow(copy));
    await bg.idle();
    const ledger = await bg.ready;
    const key = await messageKey(SECRET, 'ab1@dgfip.finances.gouv.fr');
    expect(await ledger.get(A, key)).toMatchObject({ cat: 'reply' });
    expect((await ledger.get(A, key))?.via).toBeUndefined();
    expect(await ledger.get(B, key)).toMatchObject({
      cat: 'reply',
      via: 'other-balf',
      re: [await messageKey(SECRET, 'qb@example.org')],
    });
    expect(fake.notifications).toEqual([expect.objectContaining({ message: `sendViaOtherBalf|${A}|${B}` })]);
    const records = await upload();
    expect(records.filter((r) => r.k === key).map((r) => [r.balf, r.via])).toEqual(
      expect.arrayContaining([
        [A, undefined],
        [B, 'other-balf'],
      ]),
    );
  });

  it('counts each BALF apart: a reply of B to its own message is no foreign answer', async () => {
    const fake = thunderbird();
    const { bg } = boot(fake);
    await received(fake, bg, 'qa@example.org', INBOX_A);
    await received(fake, bg, 'qb@example.org', INBOX_B);
    const copy = sentCopy(fake, folder('account3', '/Sent', 'sent'), B, 'bb1@x.fr', {
      'in-reply-to': '<qb@example.org>',
    });
    await fake.events.onAfterSend.fire({}, sendNow(copy));
    await bg.idle();
    const ledger = await bg.ready;
    const key = await messageKey(SECRET, 'bb1@x.fr');
    expect(await ledger.get(B, key)).toMatchObject({ cat: 'reply' });
    expect((await ledger.get(B, key))?.via).toBeUndefined();
    expect(await ledger.get(A, key)).toBeUndefined();
    expect(fake.notifications).toEqual([]);
  });

  it('without a saved copy, uses the answered message of the compose details (Thunderbird 147+)', async () => {
    const fake = thunderbird();
    const { bg } = boot(fake);
    const q = await received(fake, bg, 'q1@example.org', INBOX_A);
    const readsBefore = fake.readIds.length;
    await fake.events.onAfterSend.fire(
      {},
      {
        mode: 'sendNow',
        headerMessageId: 'nocopy@dgfip.finances.gouv.fr',
        messages: [],
        details: { type: 'reply', from: `Jean Agent <${AGENT}>`, relatedMessageId: q.header.id },
      },
    );
    await bg.idle();
    const ledger = await bg.ready;
    expect(await ledger.get(A, await messageKey(SECRET, 'nocopy@dgfip.finances.gouv.fr'))).toMatchObject({
      via: 'personal',
      re: [await messageKey(SECRET, 'q1@example.org')],
    });
    expect(fake.readIds.slice(readsBefore)).toEqual([]);
    expect(fake.calls.get).toBe(1);
  });

  it('reads nothing of a send when no BALF other than its sender is watched', async () => {
    const fake = thunderbird([A]);
    const { bg } = boot(fake);
    await received(fake, bg, 'q1@example.org', INBOX_A);
    const copy = sentCopy(fake, SENT_A, A, 'r9@dgfip.finances.gouv.fr', {
      'in-reply-to': '<q1@example.org>',
    });
    const readsBefore = fake.readIds.length;
    await fake.events.onAfterSend.fire({}, sendNow(copy));
    await bg.idle();
    // One read: the BALF's own counting path (ingest.ts), none by the send path.
    expect(fake.readIds.slice(readsBefore)).toEqual([copy.header.id]);
  });

  it('keeps the count when the notice cannot be shown', async () => {
    const fake = thunderbird();
    Object.defineProperty(fake.api, 'notifications', {
      value: { create: async () => Promise.reject(new Error('alerts service unavailable')) },
    });
    const { bg } = boot(fake);
    await received(fake, bg, 'q1@example.org', INBOX_A);
    const copy = sentCopy(fake, SENT_PERSO, AGENT, 'p5@x.fr', { 'in-reply-to': '<q1@example.org>' });
    await fake.events.onAfterSend.fire({}, sendNow(copy));
    await bg.idle();
    expect(await (await bg.ready).get(A, await messageKey(SECRET, 'p5@x.fr'))).toMatchObject({
      via: 'personal',
    });
  });
});
