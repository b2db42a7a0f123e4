// The built add-on in a real headless Thunderbird, on a Dovecot IMAP BALF, configured by policies.json:
// checks every uploaded record (keys, directions, categories, reply links) and a message delivered while it runs.
// Mail automatic only by its headers (ordinary author and subject) ends `auto` on the server, a person's `usager`.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { categoryWins } from '../../src/core/classify.ts';
import { messageKey } from '../../src/core/keys.ts';
import type { TallyRecord } from '../../src/core/protocol.ts';
import { startImapServer, type ImapServer } from '../support/imap/imap-server.ts';
import { buildMessage, type MessageSpec } from '../support/imap/messages.ts';
import { startClient, type Client } from '../support/thunderbird/client.ts';
import { acquirePolicies, managedPolicies, type PoliciesHandle } from '../support/thunderbird/policies.ts';
import { startReceiver, type ReceivedRecord, type Receiver } from '../support/thunderbird/receiver.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { buildProductXpi } from '../support/thunderbird/xpi.ts';

const BALF = 'sip.exemple@dgfip.finances.gouv.fr';
const TOKEN = 'jeton-e2e-addon';
const SECRET = 'secret-de-deploiement-e2e';
const HOUR = 3_600_000;

interface Fixture {
  folder: string;
  spec: MessageSpec;
  /** The message text as written to the Maildir, when buildMessage cannot write it (a MIME report). */
  raw?: string;
  /** What the add-on must upload for it. */
  expected: { dir: TallyRecord['dir']; cat: TallyRecord['cat']; re?: string[]; heuristic?: boolean };
}

/** The BALF: received mail in INBOX and a nested subfolder, the BALF's answers in Sent. */
function fixtures(now: number): Fixture[] {
  const at = (hoursAgo: number): Date => new Date(Math.floor((now - hoursAgo * HOUR) / 1000) * 1000);
  const usager = (n: number): string => `Usager ${n} <usager${n}@exemple.fr>`;
  const list: Fixture[] = [
    {
      folder: 'INBOX',
      spec: {
        messageId: 'q1@exemple.fr',
        date: at(50),
        from: usager(1),
        to: BALF,
        subject: 'Demande de délai',
      },
      expected: { dir: 'in', cat: 'usager' },
    },
    {
      folder: 'INBOX',
      spec: { messageId: 'q2@exemple.fr', date: at(48), from: usager(2), to: BALF, subject: 'Attestation' },
      expected: { dir: 'in', cat: 'usager' },
    },
    {
      folder: 'INBOX',
      spec: {
        messageId: 'q3@exemple.fr',
        date: at(40),
        from: usager(3),
        to: BALF,
        subject: 'Taxe foncière 2026',
      },
      expected: { dir: 'in', cat: 'usager' },
    },
    {
      folder: 'INBOX',
      spec: {
        messageId: 'absence-1@exemple.fr',
        date: at(30),
        from: usager(1),
        to: BALF,
        subject: 'Réponse automatique : absent du bureau',
        headers: { 'Auto-Submitted': 'auto-replied' },
      },
      expected: { dir: 'in', cat: 'auto' },
    },
    // Automatic only by their headers: ordinary authors and subjects.
    headerOnly(
      at(47),
      'abonnement-1@editeur.example',
      'Éditions Exemple <info@editeur.example>',
      'Mise à jour de votre abonnement',
      {
        'List-Unsubscribe': '<mailto:desabonnement@editeur.example?subject=unsubscribe>',
      },
    ),
    headerOnly(
      at(46),
      'dossier-4521@prestataire.example',
      'Plateforme de paiement <paiement@prestataire.example>',
      'Votre dossier n° 4521',
      {
        'Auto-Submitted': 'auto-generated',
      },
    ),
    headerOnly(
      at(44),
      'information-9@boutique.example',
      'Service client <contact@boutique.example>',
      'Information',
      {
        'Return-Path': '<>',
      },
    ),
    bounce(at(43)),
    {
      folder: 'INBOX',
      spec: {
        messageId: 'collegue-1@dgfip.finances.gouv.fr',
        date: at(20),
        from: 'Collègue <agent.collegue@dgfip.finances.gouv.fr>',
        to: BALF,
        subject: 'Point sur un dossier',
      },
      expected: { dir: 'in', cat: 'interne' },
    },
    {
      folder: 'Dossiers.Urgent',
      spec: { messageId: 'q4@exemple.fr', date: at(45), from: usager(4), to: BALF, subject: 'Remboursement' },
      expected: { dir: 'in', cat: 'usager' },
    },
    // Reply with In-Reply-To and References, Thunderbird style ("Re: " is stripped by Thunderbird).
    {
      folder: 'Sent',
      spec: {
        messageId: 'r1@dgfip.finances.gouv.fr',
        date: at(26),
        from: BALF,
        to: usager(1),
        subject: 'Re: Demande de délai',
        inReplyTo: 'q1@exemple.fr',
        references: ['q1@exemple.fr'],
      },
      expected: { dir: 'out', cat: 'reply', re: ['q1@exemple.fr'] },
    },
    // Reply whose References chain starts with a message the BALF never had.
    {
      folder: 'Sent',
      spec: {
        messageId: 'r2@dgfip.finances.gouv.fr',
        date: at(24),
        from: BALF,
        to: usager(2),
        subject: 'Re: Attestation',
        inReplyTo: 'q2@exemple.fr',
        references: ['ailleurs-0@exemple.fr', 'q2@exemple.fr'],
      },
      expected: { dir: 'out', cat: 'reply', re: ['q2@exemple.fr', 'ailleurs-0@exemple.fr'] },
    },
    // Reply through References only (no In-Reply-To), to the message in the subfolder.
    {
      folder: 'Sent',
      spec: {
        messageId: 'r4@dgfip.finances.gouv.fr',
        date: at(22),
        from: BALF,
        to: usager(4),
        subject: 'Re: Remboursement',
        references: ['q4@exemple.fr'],
      },
      expected: { dir: 'out', cat: 'reply', re: ['q4@exemple.fr'] },
    },
    // No reference header at all, same subject and correspondent: the heuristic links it.
    {
      folder: 'Sent',
      spec: {
        messageId: 'r3@dgfip.finances.gouv.fr',
        date: at(10),
        from: BALF,
        to: usager(3),
        subject: 'RE : Taxe foncière 2026',
      },
      expected: { dir: 'out', cat: 'reply', re: ['q3@exemple.fr'], heuristic: true },
    },
    // The BALF's automatic acknowledgement is not an answer.
    {
      folder: 'Sent',
      spec: {
        messageId: 'ar-1@dgfip.finances.gouv.fr',
        date: at(49),
        from: BALF,
        to: usager(2),
        subject: 'Accusé de réception : Attestation',
        headers: { 'Auto-Submitted': 'auto-replied' },
      },
      expected: { dir: 'out', cat: 'auto' },
    },
    {
      folder: 'Sent',
      spec: {
        messageId: 'n1@dgfip.finances.gouv.fr',
        date: at(5),
        from: BALF,
        to: usager(5),
        subject: 'Fermeture exceptionnelle du service',
      },
      expected: { dir: 'out', cat: 'new' },
    },
  ];
  return list;
}

/** Received mail automatic only by `headers`: its author and subject are ordinary. */
function headerOnly(
  date: Date,
  messageId: string,
  from: string,
  subject: string,
  headers: Record<string, string>,
): Fixture {
  return {
    folder: 'INBOX',
    spec: { messageId, date, from, to: BALF, subject, headers },
    expected: { dir: 'in', cat: 'auto' },
  };
}

/** A delivery report (multipart/report) from an ordinary-looking author, about a mistyped address. */
function bounce(date: Date): Fixture {
  const spec: MessageSpec = {
    messageId: 'rapport-77@fai.example',
    date,
    from: 'Messagerie <courrier@fai.example>',
    to: BALF,
    subject: 'Votre message',
  };
  const head = buildMessage(spec).split('\r\n\r\n')[0]!.split('\r\n');
  const raw = [
    ...head.filter((line) => !/^(Content-Type|Content-Transfer-Encoding):/i.test(line)),
    'Content-Type: multipart/report; report-type=delivery-status;',
    '\tboundary="limite-77"',
    '',
    '--limite-77',
    'Content-Type: text/plain; charset=utf-8',
    '',
    "Le message n'a pas pu être remis à jean.dupnt@example.org.",
    '',
    '--limite-77',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.fai.example',
    '',
    'Final-Recipient: rfc822; jean.dupnt@example.org',
    'Action: failed',
    'Status: 5.1.1',
    '',
    '--limite-77--',
    '',
  ].join('\r\n');
  return { folder: 'INBOX', spec, raw, expected: { dir: 'in', cat: 'auto' } };
}

/**
 * Each key's record as the collection server ends up storing it from every batch in arrival order: a record
 * classified with headers (`hdr`) replaces one classified without (src/core/classify.ts categoryWins).
 */
function finalRecords(receiver: Receiver): Map<string, TallyRecord> {
  const out = new Map<string, TallyRecord>();
  for (const batch of receiver.batches) {
    for (const record of batch.records) {
      const stored = out.get(record.k);
      const wins =
        stored === undefined ||
        (record.dir === 'in' &&
          categoryWins(
            { cat: record.cat, hdr: record.hdr === true },
            { cat: stored.cat, hdr: stored.hdr === true },
          ));
      if (wins) out.set(record.k, record);
    }
  }
  return out;
}

async function keyOf(id: string): Promise<string> {
  return messageKey(SECRET, id);
}

describe('module complémentaire dans un Thunderbird réel', () => {
  let work: string;
  let imap: ImapServer;
  let receiver: Receiver;
  let policies: PoliciesHandle | undefined;
  let client: Client | undefined;
  const now = Date.now();
  const list = fixtures(now);
  const byKey = new Map<string, Fixture>();

  beforeAll(async () => {
    requireThunderbirdAndDovecot();
    const { id, xpi } = buildProductXpi();
    work = await mkdtemp(join(tmpdir(), 'suivi-addon-e2e-'));
    await chmod(work, 0o755);
    imap = await startImapServer({
      baseDir: join(work, 'imap'),
      folders: ['Sent', 'Dossiers', 'Dossiers.Urgent'],
    });
    for (const fixture of list) {
      await imap.maildir.add(fixture.folder, fixture.raw ?? buildMessage(fixture.spec), {
        receivedAt: fixture.spec.date ?? new Date(),
      });
      byKey.set(await keyOf(fixture.spec.messageId!), fixture);
    }
    receiver = await startReceiver({ token: TOKEN });
    // Other real-Thunderbird runs on this machine may hold policies.json: wait for our turn.
    policies = await acquirePolicies(
      managedPolicies(id, {
        endpoint: receiver.url,
        token: TOKEN,
        secret: SECRET,
        balfs: [BALF],
        internalDomains: ['dgfip.finances.gouv.fr'],
        department: '75',
        backfillDays: 30,
        uploadIntervalMinutes: 1,
        logLevel: 'debug',
      }),
      { waitMs: 15 * 60_000 },
    );
    client = await startClient({ workDir: work, imapPort: imap.port, balf: BALF, addons: [{ id, xpi }] });
  }, 20 * 60_000);

  afterAll(async () => {
    await client?.tb.stop();
    policies?.restore();
    await imap?.close();
    await receiver?.close();
    // SUIVI_E2E_KEEP=1 keeps the profile, Maildir and Thunderbird's log for a post-mortem.
    if (work && process.env['SUIVI_E2E_KEEP'] !== '1') await rm(work, { recursive: true, force: true });
  });

  it('téléverse chaque message du BALF une fois, avec la bonne clé, le bon sens et la bonne catégorie', async () => {
    try {
      await receiver.waitFor(
        (records) => [...byKey.keys()].every((k) => records.some((r) => r.k === k)),
        `les ${byKey.size} messages du BALF`,
        150_000,
      );
    } catch (error) {
      const got = new Set(receiver.records().map((r) => r.k));
      const missing = [...byKey].filter(([k]) => !got.has(k)).map(([, f]) => f.spec.messageId);
      throw new Error(
        `${(error as Error).message}\nManquants : ${missing.join(', ')}\nDernier état : ` +
          `${JSON.stringify(client?.tb.log.latest())}\nJournal : ${client?.logFile}`,
      );
    }
    // Every received message classified with its headers before the figures are read.
    await client!.tb.log.waitFor((s) => s.scanComplete && s['unrefined'] === 0 && s.queue === 0, {
      what: 'classement terminé et file vide',
      timeoutMs: 120_000,
    });
    const records = receiver.records();
    expect(receiver.invalid).toEqual([]);
    expect(new Set(records.map((r) => r.k))).toEqual(new Set(byKey.keys()));
    expect(new Set(records.map((r) => r.balf))).toEqual(new Set([BALF]));
    for (const record of finalRecords(receiver).values()) {
      const fixture = byKey.get(record.k)!;
      const what = `${fixture.spec.messageId} (${fixture.folder})`;
      expect({ what, dir: record.dir, cat: record.cat, hdr: record.hdr }).toEqual({
        what,
        dir: fixture.expected.dir,
        cat: fixture.expected.cat,
        hdr: fixture.expected.dir === 'in' ? true : undefined,
      });
      expect(Date.parse(record.at), what).toBe(fixture.spec.date!.getTime());
    }
  });

  it('relie chaque réponse au message auquel elle répond (en-têtes, puis heuristique signalée)', async () => {
    await client!.tb.log.waitFor((s) => s.scanComplete && s.queue === 0, {
      what: 'parcours terminé et file vide',
      timeoutMs: 60_000,
    });
    const records = new Map(receiver.records().map((r) => [r.k, r]));
    for (const [key, fixture] of byKey) {
      const what = fixture.spec.messageId!;
      const record: ReceivedRecord | undefined = records.get(key);
      if (!record) throw new Error(`${what} n'a pas été téléversé`);
      const expectedRe = await Promise.all((fixture.expected.re ?? []).map(keyOf));
      if (fixture.expected.dir === 'in' || expectedRe.length === 0) {
        expect(record.re ?? [], what).toEqual([]);
        continue;
      }
      // The answered message comes first; further References may follow, nearest first.
      expect(record.re?.[0], what).toBe(expectedRe[0]);
      expect(new Set(record.re), what).toEqual(new Set(expectedRe));
      expect(record.heuristic === true, what).toBe(fixture.expected.heuristic === true);
    }
  });

  it('remonte un message arrivé pendant que Thunderbird tourne, sans redémarrage', async () => {
    const date = new Date(Math.floor(Date.now() / 1000) * 1000);
    const id = 'arrive-en-direct@exemple.fr';
    await imap.maildir.add(
      'INBOX',
      buildMessage({
        messageId: id,
        date,
        from: 'Usager 9 <usager9@exemple.fr>',
        to: BALF,
        subject: 'Nouvelle demande',
      }),
      { state: 'new', receivedAt: date },
    );
    // And a notice automatic only by its Auto-Submitted header, from an ordinary address.
    const noticeId = 'avis-en-direct@prestataire.example';
    await imap.maildir.add(
      'INBOX',
      buildMessage({
        messageId: noticeId,
        date,
        from: 'Plateforme de paiement <paiement@prestataire.example>',
        to: BALF,
        subject: 'Votre dossier n° 4522',
        headers: { 'Auto-Submitted': 'auto-generated' },
      }),
      { state: 'new', receivedAt: date },
    );
    const key = await keyOf(id);
    const noticeKey = await keyOf(noticeId);
    await receiver.waitFor(
      (records) => records.some((r) => r.k === key) && records.some((r) => r.k === noticeKey),
      'messages arrivés en direct',
      90_000,
    );
    // New mail is classified with its headers before it is counted: one record each, refined.
    const sent = receiver.batches.flatMap((b) => b.records).filter((r) => r.k === key || r.k === noticeKey);
    expect(
      sent
        .map((r) => ({ k: r.k, dir: r.dir, cat: r.cat, hdr: r.hdr, at: Date.parse(r.at) }))
        .sort((a, b) => a.cat.localeCompare(b.cat)),
    ).toEqual([
      { k: noticeKey, dir: 'in', cat: 'auto', hdr: true, at: date.getTime() },
      { k: key, dir: 'in', cat: 'usager', hdr: true, at: date.getTime() },
    ]);
    expect(receiver.records()).toHaveLength(byKey.size + 2);
  });
});
