// The agent's real workflow in one real headless Thunderbird per add-on flavour (MV3, MV2): two BALFs and the
// agent's own account over Dovecot IMAP, every identity sending through a real SMTP server on loopback, the
// real collection server. Through Marionette the test replies, replies to all, forwards, sends while the
// SMTP server is down then retries, answers from the personal address and from the other BALF — and checks
// that the add-on counts each send from compose.onAfterSend within seconds, before any scan, that the
// server shows the messages answered (flagged when sent from another identity), and that a personal send
// answering nothing of a BALF leaves no trace.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDay } from '../../src/core/calendar.ts';
import { messageKey } from '../../src/core/keys.ts';
import type { Metrics } from '../../src/core/protocol.ts';
import { startImapServer, type ImapServer } from '../support/imap/imap-server.ts';
import { buildMessage, type MessageSpec } from '../support/imap/messages.ts';
import { MailComposer } from '../support/marionette/mail-compose.ts';
import {
  startDrivenClient,
  stopDrivenClient,
  type DrivenClient,
} from '../support/marionette/thunderbird-ui.ts';
import { buildFlavor, checkInstalledFlavor, type AddonFlavor } from '../support/scenario/addon-flavor.ts';
import { startSmtpServer, type SmtpServer, type SubmittedMessage } from '../support/smtp/smtp-server.ts';
import { startCollectionServer, type CollectionServer } from '../support/thunderbird/collection-server.ts';
import { acquirePolicies, managedPolicies, type PoliciesHandle } from '../support/thunderbird/policies.ts';
import { sendingPrefs } from '../support/thunderbird/send-profile.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';

const A = 'sip.envoi@dgfip.finances.gouv.fr';
const B = 'sie.voisin@dgfip.finances.gouv.fr';
const AGENT = 'jean.agent@dgfip.finances.gouv.fr';
const SECRET = 'secret-de-deploiement-envoi-e2e';
const HOUR = 3_600_000;
/** The add-on's line after each send (send-watch.ts). */
const SEND_MARKER = 'suivi-balf[background] send:';

interface SendLine {
  mode: string | null;
  failed: boolean;
  copies: number;
  counted: number;
  foreign: { balf: string; via: string }[];
}

/** Mail already there when Thunderbird starts: the usagers' questions, and one old message in each Sent. */
function mailboxes(now: number): Record<'a' | 'b' | 'perso', { folder: string; spec: MessageSpec }[]> {
  const at = (hoursAgo: number): Date => new Date(Math.floor((now - hoursAgo * HOUR) / 1000) * 1000);
  const question = (id: string, n: number, to: string, subject: string, hoursAgo: number, cc?: string) => ({
    folder: 'INBOX',
    spec: {
      messageId: id,
      date: at(hoursAgo),
      from: `Usager ${n} <usager${n}@exemple.fr>`,
      to,
      subject,
      ...(cc ? { headers: { Cc: cc } } : {}),
    },
  });
  const oldSent = (id: string, from: string) => ({
    folder: 'Sent',
    spec: { messageId: id, date: at(30), from, to: 'Usager 0 <usager0@exemple.fr>', subject: 'Information' },
  });
  return {
    a: [
      question('qa-repondre@exemple.fr', 1, A, 'Demande de délai de paiement', 3),
      question('qa-tous@exemple.fr', 2, A, 'Attestation de résidence', 3, 'Conseil <conseil2@exemple.fr>'),
      question('qa-transferer@exemple.fr', 3, A, 'Question sur une succession', 3),
      question('qa-echec@exemple.fr', 4, A, 'Remboursement de trop-perçu', 3),
      question('qa-perso@exemple.fr', 5, A, 'Taxe foncière 2026', 3),
      oldSent('ancien-a@dgfip.finances.gouv.fr', A),
    ],
    b: [question('qb-voisin@exemple.fr', 6, B, "Avis d'impôt sur le revenu", 3), oldSent('ancien-b@x.fr', B)],
    perso: [
      {
        folder: 'INBOX',
        spec: {
          messageId: 'perso-q@famille.fr',
          date: at(2),
          from: 'Cousine <cousine@famille.fr>',
          to: AGENT,
          subject: 'Dîner dimanche',
        },
      },
    ],
  };
}

const keyOf = (id: string): Promise<string> => messageKey(SECRET, id.replace(/^<|>$/g, ''));
const via = (m: Metrics): [number, number] => [m.sentVia.personal, m.sentVia.otherBalf];

describe.each<AddonFlavor>(['mv3', 'mv2'])('envoi depuis un Thunderbird réel (%s)', (flavor) => {
  let work: string;
  const imap: ImapServer[] = [];
  let smtp: SmtpServer;
  let server: CollectionServer;
  let policies: PoliciesHandle | undefined;
  let driven: DrivenClient | undefined;
  let mail: MailComposer;
  const now = Date.now();
  /** Per send: SMTP submission → add-on's count, and → record on the server (ms). */
  const timings: { what: string; countMs: number; serverMs: number }[] = [];
  // The French notice is checked with Thunderbird in French (MV3), the English one in English (MV2).
  const french = flavor === 'mv3';

  beforeAll(async () => {
    requireThunderbirdAndDovecot();
    const build = buildFlavor(flavor);
    work = await mkdtemp(join(tmpdir(), `suivi-send-e2e-${flavor}-`));
    await chmod(work, 0o755);
    const boxes = mailboxes(now);
    for (const [name, mails] of Object.entries(boxes)) {
      const box = await startImapServer({ baseDir: join(work, `imap-${name}`), folders: ['Sent'] });
      for (const m of mails)
        await box.maildir.add(m.folder, buildMessage(m.spec), { receivedAt: m.spec.date! });
      imap.push(box);
    }
    const [imapA, imapB, imapPerso] = imap as [ImapServer, ImapServer, ImapServer];
    smtp = await startSmtpServer();
    server = await startCollectionServer(work, [
      { department: '75', region: 'metropole', service: 'SIP-ENVOI', balfs: [A] },
      { department: '75', region: 'metropole', service: 'SIE-VOISIN', balfs: [B] },
    ]);
    policies = await acquirePolicies(
      managedPolicies(build.id, {
        endpoint: server.url,
        token: server.writeToken,
        secret: SECRET,
        balfs: [A, B],
        internalDomains: ['dgfip.finances.gouv.fr'],
        department: '75',
        backfillDays: 30,
        uploadIntervalMinutes: 1,
        logLevel: 'debug',
      }),
      { waitMs: 15 * 60_000 },
    );
    driven = await startDrivenClient({
      workDir: work,
      imapPort: imapA.port,
      balf: A,
      addons: [{ id: build.id, xpi: build.xpi }],
      prefs: sendingPrefs(
        [
          { address: A, fullName: 'SIP Envoi', imapPort: imapA.port },
          { address: AGENT, fullName: 'Jean Agent', imapPort: imapPerso.port },
          { address: B, fullName: 'SIE Voisin', imapPort: imapB.port },
        ],
        smtp.port,
      ),
      markers: ['suivi-balf:status', SEND_MARKER],
      french,
    });
    mail = new MailComposer(driven.ui);
    await mail.watchAlerts();
    // The add-on has counted and uploaded every message of both BALFs: the key check needs the received ones,
    // and each Sent folder is synced (not empty) before the first send.
    const received = [...boxes.a, ...boxes.b].map((m) => m.spec.messageId!);
    const keys = await Promise.all(received.map(keyOf));
    await until(
      async () => (await serverKeys()).filter((k) => keys.includes(k)).length === keys.length,
      150_000,
      'réception initiale',
    );
    await checkInstalledFlavor(driven.client.profileDir, build);
    for (const m of [...boxes.a, ...boxes.b, ...boxes.perso].filter((x) => x.folder === 'INBOX')) {
      const owner = boxes.a.includes(m) ? A : boxes.b.includes(m) ? B : AGENT;
      await mail.waitForMessage(owner, m.spec.messageId!);
    }
  }, 20 * 60_000);

  afterAll(async () => {
    if (timings.length > 0) console.info(`[send-thunderbird ${flavor}] ${JSON.stringify(timings)}`);
    await stopDrivenClient(driven);
    policies?.restore();
    for (const box of imap) await box.close();
    await smtp?.close();
    await server?.close();
    if (work && process.env['SUIVI_E2E_KEEP'] !== '1') await rm(work, { recursive: true, force: true });
  });

  async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) {
        throw new Error(
          `« ${what} » non atteint après ${timeoutMs} ms ; journal : ${driven?.client.logFile}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  async function serverKeys(balf?: string): Promise<string[]> {
    let q = server.db.selectFrom('records').select('key');
    if (balf) q = q.where('balf', '=', balf);
    return (await q.execute()).map((r) => r.key);
  }

  async function serverRecord(balf: string, key: string) {
    return server.db
      .selectFrom('records')
      .select(['dir', 'cat', 'via', 'answered_at'])
      .where('balf', '=', balf)
      .where('key', '=', key)
      .executeTakeFirst();
  }

  const answered = async (balf: string, id: string): Promise<boolean> =>
    ((await serverRecord(balf, await keyOf(id)))?.answered_at ?? null) !== null;

  /** Records each send must have put on the server, checked once every upload is done (last test). */
  const expected: { what: string; balf: string; key: string; cat: string; via: string | null; at: number }[] =
    [];
  /** Keys the server must never hold, for any BALF. */
  const absent: string[] = [];
  /** Messages each send answers (or must not answer), by BALF. */
  const answers: { balf: string; id: string; answered: boolean }[] = [];

  /**
   * Sends the open compose window and follows it: the SMTP submission, then the add-on's line for the send,
   * which must come within seconds. `records` are the records the server must show (checked at the end).
   */
  async function sendAndFollow(
    what: string,
    matches: (m: SubmittedMessage) => boolean,
    records: { balf: string; cat: string; via: string | null }[],
  ): Promise<{ message: SubmittedMessage; line: SendLine; key: string }> {
    const index = driven!.client.tb.log.all(SEND_MARKER).length;
    await mail.send();
    const message = await smtp.waitFor(matches, what, 60_000);
    const submitted = Date.now();
    const line = await driven!.client.tb.log.waitFor<SendLine>(() => true, {
      marker: SEND_MARKER,
      sinceIndex: index,
      what: `ligne d'envoi (${what})`,
      timeoutMs: 30_000,
    });
    const countMs = Date.now() - submitted;
    timings.push({ what, countMs, serverMs: -1 });
    // Counted from onAfterSend within seconds of the submission.
    expect(countMs, what).toBeLessThan(10_000);
    const key = await keyOf(message.headers['message-id'] ?? '');
    for (const r of records) expected.push({ what, key, at: submitted, ...r });
    return { message, line, key };
  }

  it('« Répondre » : la réponse est comptée dès l’envoi, appariée, et le message répondu sur le serveur', async () => {
    await mail.open({ account: A, messageId: 'qa-repondre@exemple.fr', kind: 'reply' });
    const { message, line } = await sendAndFollow(
      'répondre',
      (m) => m.headers['in-reply-to'] === '<qa-repondre@exemple.fr>',
      [{ balf: A, cat: 'reply', via: null }],
    );
    expect(message.from).toBe(A);
    expect(message.to).toEqual(['usager1@exemple.fr']);
    // The BALF's own path counted the copy Thunderbird saved in Sent (not a scan: it was new to the ledger).
    expect(line).toMatchObject({ mode: 'sendNow', failed: false, copies: 1, counted: 1, foreign: [] });
    answers.push({ balf: A, id: 'qa-repondre@exemple.fr', answered: true });
  });

  it('« Répondre à tous » : une réponse, à l’usager et à la personne en copie', async () => {
    await mail.open({ account: A, messageId: 'qa-tous@exemple.fr', kind: 'replyAll' });
    const { message, line } = await sendAndFollow(
      'répondre à tous',
      (m) => m.headers['in-reply-to'] === '<qa-tous@exemple.fr>',
      [{ balf: A, cat: 'reply', via: null }],
    );
    expect(new Set(message.to)).toEqual(new Set(['usager2@exemple.fr', 'conseil2@exemple.fr']));
    expect(line).toMatchObject({ counted: 1, foreign: [] });
    answers.push({ balf: A, id: 'qa-tous@exemple.fr', answered: true });
  });

  it('« Transférer » : un transfert, pas une réponse', async () => {
    await mail.open({
      account: A,
      messageId: 'qa-transferer@exemple.fr',
      kind: 'forward',
      to: ['Expert <expert.fiscal@dgfip.finances.gouv.fr>'],
    });
    const { message, line } = await sendAndFollow(
      'transférer',
      (m) => m.to.includes('expert.fiscal@dgfip.finances.gouv.fr'),
      [{ balf: A, cat: 'forward', via: null }],
    );
    expect(message.headers['x-forwarded-message-id']).toBe('<qa-transferer@exemple.fr>');
    expect(line).toMatchObject({ counted: 1, foreign: [] });
    answers.push({ balf: A, id: 'qa-transferer@exemple.fr', answered: false });
  });

  it('envoi en échec (SMTP arrêté) : rien n’est compté ; le nouvel essai est compté une fois', async () => {
    await smtp.stop();
    const index = driven!.client.tb.log.all(SEND_MARKER).length;
    try {
      await mail.open({ account: A, messageId: 'qa-echec@exemple.fr', kind: 'reply' });
      await mail.send();
      const error = await mail.dismissSendError();
      expect(error).toMatch(/SMTP|127\.0\.0\.1/);
      const failed = await driven!.client.tb.log.waitFor<SendLine>(() => true, {
        marker: SEND_MARKER,
        sinceIndex: index,
        what: "ligne d'envoi en échec",
        timeoutMs: 30_000,
      });
      expect(failed).toMatchObject({ failed: true, copies: 0, counted: 0, foreign: [] });
      expect(await mail.composeOpen()).toBe(true);
    } finally {
      await smtp.start();
    }
    await sendAndFollow('nouvel essai', (m) => m.headers['in-reply-to'] === '<qa-echec@exemple.fr>', [
      { balf: A, cat: 'reply', via: null },
    ]);
    expect(smtp.messages.filter((m) => m.headers['in-reply-to'] === '<qa-echec@exemple.fr>')).toHaveLength(1);
    // The server's check (last test): exactly one sent record answers qa-echec — the retry.
    answers.push({ balf: A, id: 'qa-echec@exemple.fr', answered: true });
  });

  it('réponse depuis l’adresse personnelle : comptée pour la BALF, signalée, et l’agent est prévenu', async () => {
    const alertsBefore = (await mail.alerts()).length;
    await mail.open({ account: A, messageId: 'qa-perso@exemple.fr', kind: 'reply', from: AGENT });
    const { message, line } = await sendAndFollow(
      'réponse personnelle',
      (m) => m.headers['in-reply-to'] === '<qa-perso@exemple.fr>',
      [{ balf: A, cat: 'reply', via: 'personal' }],
    );
    expect(message.from).toBe(AGENT);
    // The copy went to the personal Sent: the BALF's path does not count it; the key check does.
    expect(line).toMatchObject({ copies: 1, counted: 0, foreign: [{ balf: A, via: 'personal' }] });
    answers.push({ balf: A, id: 'qa-perso@exemple.fr', answered: true });
    await until(async () => (await mail.alerts()).length > alertsBefore, 15_000, 'avis à l’agent');
    const notice = (await mail.alerts()).slice(alertsBefore);
    expect(notice).toEqual([
      french
        ? {
            title: 'Suivi BALF : réponse comptée',
            text: `Réponse envoyée depuis votre adresse personnelle : comptée pour la BALF ${A} ; pensez à répondre depuis l'identité de la BALF.`,
          }
        : {
            title: 'Suivi BALF: reply counted',
            text: `Reply sent from your personal address: counted for the shared mailbox ${A}; remember to reply from the shared mailbox's identity.`,
          },
    ]);
  });

  it('un envoi personnel qui ne répond à rien d’une BALF ne laisse aucune trace', async () => {
    const alertsBefore = (await mail.alerts()).length;
    const statusBefore = driven!.client.tb.log.latest()!;
    const statusIndex = driven!.client.tb.log.all().length;
    await mail.open({ account: AGENT, messageId: 'perso-q@famille.fr', kind: 'reply' });
    const { message, line } = await sendAndFollow(
      'envoi personnel',
      (m) => m.headers['in-reply-to'] === '<perso-q@famille.fr>',
      [],
    );
    expect(message.from).toBe(AGENT);
    expect(line).toMatchObject({ copies: 1, counted: 0, foreign: [] });
    const key = await keyOf(message.headers['message-id'] ?? '');
    // The status line printed after the send: the ledger did not grow.
    const after = await driven!.client.tb.log.waitFor((s) => s.at !== statusBefore['at'], {
      what: 'état après l’envoi personnel',
      sinceIndex: statusIndex,
      timeoutMs: 15_000,
    });
    expect(after.ledger).toBe(statusBefore.ledger);
    expect((await mail.alerts()).length).toBe(alertsBefore);
    // Nor is anything of it uploaded (checked on the server once every upload is done, last test).
    absent.push(key, await keyOf('perso-q@famille.fr'));
  });

  it('deux BALF dans le profil : une réponse de A à un message de B compte pour B, signalée', async () => {
    const alertsBefore = (await mail.alerts()).length;
    await mail.open({ account: B, messageId: 'qb-voisin@exemple.fr', kind: 'reply', from: A });
    const { message, line } = await sendAndFollow(
      'réponse de A à B',
      (m) => m.headers['in-reply-to'] === '<qb-voisin@exemple.fr>',
      [
        { balf: A, cat: 'reply', via: null },
        { balf: B, cat: 'reply', via: 'other-balf' },
      ],
    );
    expect(message.from).toBe(A);
    expect(line).toMatchObject({ copies: 1, counted: 1, foreign: [{ balf: B, via: 'other-balf' }] });
    answers.push({ balf: B, id: 'qb-voisin@exemple.fr', answered: true });
    await until(async () => (await mail.alerts()).length > alertsBefore, 15_000, 'avis à l’agent');
    expect((await mail.alerts()).slice(alertsBefore)[0]?.text).toContain(
      french ? `comptée pour ${B}` : `counted for ${B}`,
    );
  });

  it('le serveur montre chaque BALF à part, les messages répondus et la part des réponses signalées', async () => {
    await until(
      async () => {
        for (const e of expected) if ((await serverRecord(e.balf, e.key)) === undefined) return false;
        return true;
      },
      60_000,
      'tous les envois sur le serveur',
    );
    for (const e of expected) {
      const record = await server.db
        .selectFrom('records')
        .select(['dir', 'cat', 'via', 'created_at'])
        .where('balf', '=', e.balf)
        .where('key', '=', e.key)
        .executeTakeFirstOrThrow();
      expect({ what: e.what, dir: record.dir, cat: record.cat, via: record.via }).toEqual({
        what: e.what,
        dir: 'out',
        cat: e.cat,
        via: e.via,
      });
      const timing = timings.find((t) => t.what === e.what);
      if (timing) timing.serverMs = Math.max(timing.serverMs, Date.parse(record.created_at) - e.at);
    }
    for (const a of answers) expect({ ...a, answered: await answered(a.balf, a.id) }).toEqual(a);
    // The retry of the failed send is the one sent record of A that answers qa-echec.
    const echec = await keyOf('qa-echec@exemple.fr');
    const retries = await server.db
      .selectFrom('record_refs')
      .select('sent_key')
      .where('balf', '=', A)
      .where('ref_key', '=', echec)
      .execute();
    expect(retries).toHaveLength(1);
    // Once the add-on has nothing left to upload, nothing of the personal send is there.
    await driven!.client.tb.log.waitFor((s) => s.queue === 0, {
      what: 'file vide',
      sinceIndex: Math.max(0, driven!.client.tb.log.all().length - 1),
      timeoutMs: 60_000,
    });
    const keys = await serverKeys();
    for (const key of absent) expect(keys).not.toContain(key);
    const period = {
      from: localDay(new Date(now - 2 * 24 * HOUR), 'metropole'),
      to: localDay(new Date(now + 24 * HOUR), 'metropole'),
      granularity: 'day',
    };
    const a = (await server.stats({ level: 'balf', id: A, ...period })).totals;
    const b = (await server.stats({ level: 'balf', id: B, ...period })).totals;
    // A: five questions, four answered (reply, reply all, retry, personal), the forwarded one pending.
    expect([a.received, a.answeredInTime, a.pending]).toEqual([5, 4, 1]);
    // A sent: the old message, three replies, the forward, its reply to B; the personal reply counted for A.
    expect([a.sentByCategory.new, a.sentByCategory.reply, a.sentByCategory.forward]).toEqual([1, 5, 1]);
    expect(via(a)).toEqual([1, 0]);
    // B: one question, answered from A; the old message.
    expect([b.received, b.answeredInTime, b.sentByCategory.reply, b.sentByCategory.new]).toEqual([
      1, 1, 1, 1,
    ]);
    expect(via(b)).toEqual([0, 1]);
    // The share per service, at the department level.
    const dep = await server.stats({ level: 'department', id: '75', ...period });
    expect(Object.fromEntries(dep.children.map((c) => [c.id, [c.sentByCategory.reply, ...via(c)]]))).toEqual({
      'SIP-ENVOI': [5, 1, 0],
      'SIE-VOISIN': [1, 0, 1],
    });
  });
});
