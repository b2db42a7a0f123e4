// Writes the Maildirs of the repository's e2e scenarios (deterministic file names and contents).
// Run: node scripts/run-ts.mjs test/e2e/scenarios/generate.ts — then commit the generated files.
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMessage, rfc5322Date, type MessageSpec } from '../../support/imap/messages.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = HERE.endsWith('scenarios') ? HERE : join(process.cwd(), 'test', 'e2e', 'scenarios');
export const BALF = 'sip.scenario@dgfip.finances.gouv.fr';
/** Display name encoded alone, as mail clients do (an encoded word must not swallow the address). */
const COLLEGUE = `=?UTF-8?B?${Buffer.from('Agent Collègue', 'utf8').toString('base64')}?= <agent.collegue@dgfip.finances.gouv.fr>`;

interface Mail {
  folder: string;
  /** When the BALF's server received it (Received header and file time). */
  at: string;
  spec: Partial<MessageSpec> & Pick<MessageSpec, 'from' | 'subject'>;
  /** Leave the Received header out (messages the BALF wrote itself have none). */
  noReceived?: boolean;
}

const usager = (n: number): string => `Usager ${n} <usager${n}@exemple.fr>`;

/** A question from an external user, stored in INBOX (or `folder`). */
function question(id: string, at: string, n: number, subject: string, folder = 'INBOX'): Mail {
  return { folder, at, spec: { messageId: `${id}@exemple.fr`, from: usager(n), to: BALF, subject } };
}

/** The BALF's answer in Sent, Thunderbird style: In-Reply-To + References unless told otherwise. */
function reply(
  id: string,
  at: string,
  n: number,
  subject: string,
  links: { inReplyTo?: string; references?: string[] },
): Mail {
  return {
    folder: 'Sent',
    at,
    noReceived: true,
    spec: {
      messageId: `${id}@dgfip.finances.gouv.fr`,
      from: BALF,
      to: usager(n),
      subject,
      ...(links.inReplyTo ? { inReplyTo: `${links.inReplyTo}@exemple.fr` } : {}),
      ...(links.references ? { references: links.references.map((r) => `${r}@exemple.fr`) } : {}),
    },
  };
}

function sent(id: string, at: string, to: string, subject: string, headers?: Record<string, string>): Mail {
  return {
    folder: 'Sent',
    at,
    noReceived: true,
    spec: {
      messageId: `${id}@dgfip.finances.gouv.fr`,
      from: BALF,
      to,
      subject,
      ...(headers ? { headers } : {}),
    },
  };
}

/** A received message that is automatic by its headers only: ordinary author and subject. */
function automatic(
  id: string,
  at: string,
  from: string,
  subject: string,
  headers: Record<string, string>,
  body?: string,
): Mail {
  return { folder: 'INBOX', at, spec: { messageId: id, from, subject, headers, ...(body ? { body } : {}) } };
}

/** An Exchange-style delivery report (RFC 3464 inside RFC 6522) for a reply sent to a mistyped address. */
const DELIVERY_REPORT = [
  '--rapport-1',
  'Content-Type: text/plain; charset=us-ascii',
  '',
  "Votre message n'a pas pu etre remis a usager3@exmple.fr : adresse inconnue.",
  '',
  '--rapport-1',
  'Content-Type: message/delivery-status',
  '',
  'Reporting-MTA: dns; mx.exmple.fr',
  '',
  'Final-Recipient: rfc822; usager3@exmple.fr',
  'Action: failed',
  'Status: 5.1.1',
  '',
  '--rapport-1',
  'Content-Type: text/rfc822-headers',
  '',
  `From: ${BALF}`,
  'To: usager3@exmple.fr',
  'Subject: Re: Question sur mon avis de taxe fonciere',
  'Message-ID: <r3@dgfip.finances.gouv.fr>',
  '',
  '--rapport-1--',
  '',
].join('\n');

const SCENARIOS: Record<string, { department: string; clients?: number; mails: Mail[] }> = {
  'relances-et-automatiques': {
    department: '75',
    clients: 2,
    mails: [
      // (a) Mon 6 Oct 2025: a question; Tue 14 Oct: the same person writes again under the same subject;
      // Wed 15 Oct: the BALF answers the reminder only (In-Reply-To and References name the reminder).
      question('q1', '2025-10-06T09:00:00Z', 1, 'Demande de remise gracieuse'),
      question('q1b', '2025-10-14T09:00:00Z', 1, 'Demande de remise gracieuse'),
      reply('r1', '2025-10-15T10:00:00Z', 1, 'Re: Demande de remise gracieuse', {
        inReplyTo: 'q1b',
        references: ['q1b'],
      }),
      // (a) Tue 7 Oct: a question; Thu 16 Oct: a reminder under another subject that quotes it by
      // In-Reply-To/References; Fri 17 Oct: the BALF answers the reminder from a client that names the
      // parent only (In-Reply-To and References: the reminder, not the first message).
      question('q2', '2025-10-07T09:00:00Z', 2, 'Attestation de résidence fiscale'),
      {
        ...question('q2b', '2025-10-16T09:00:00Z', 2, 'Relance : ma demande du 7 octobre'),
        spec: {
          messageId: 'q2b@exemple.fr',
          from: usager(2),
          to: BALF,
          subject: 'Relance : ma demande du 7 octobre',
          inReplyTo: 'q2@exemple.fr',
          references: ['q2@exemple.fr'],
        },
      },
      reply('r2', '2025-10-17T10:00:00Z', 2, 'Re: Relance : ma demande du 7 octobre', {
        inReplyTo: 'q2b',
        references: ['q2b'],
      }),
      // (b) Mon 20 Oct: a platform's notification (Auto-Submitted: auto-generated) and a newsletter
      // (List-Id, List-Unsubscribe, Precedence: bulk), both with ordinary authors and subjects.
      automatic(
        'notif-1@demarches.exemple.fr',
        '2025-10-20T08:00:00Z',
        'Plateforme Démarches <contact@demarches.exemple.fr>',
        'Votre dossier 2025-1042 a été mis à jour',
        { 'Auto-Submitted': 'auto-generated' },
      ),
      automatic(
        'lettre-42@editeur.exemple.fr',
        '2025-10-20T09:00:00Z',
        'Éditions Fiscales <info@editeur.exemple.fr>',
        'Mise à jour de votre abonnement',
        {
          'List-Id': 'Lettre des abonnes <lettre.editeur.exemple.fr>',
          'List-Unsubscribe': '<mailto:desabonnement@editeur.exemple.fr>',
          Precedence: 'bulk',
        },
      ),
      // (b) Tue 21 Oct: a question answered the same day to a mistyped address (exmple.fr), whose
      // delivery report comes back (multipart/report, Return-Path: <>, ordinary author and subject);
      // a notice with a null Return-Path only; a bounce known by its From only (MAILER-DAEMON <>).
      question('q3', '2025-10-21T08:00:00Z', 3, 'Question sur mon avis de taxe foncière'),
      {
        ...reply('r3', '2025-10-21T10:00:00Z', 3, 'Re: Question sur mon avis de taxe foncière', {
          inReplyTo: 'q3',
          references: ['q3'],
        }),
        spec: {
          messageId: 'r3@dgfip.finances.gouv.fr',
          from: BALF,
          to: 'Usager 3 <usager3@exmple.fr>',
          subject: 'Re: Question sur mon avis de taxe foncière',
          inReplyTo: 'q3@exemple.fr',
          references: ['q3@exemple.fr'],
        },
      },
      automatic(
        'rapport-1@mx.exmple.fr',
        '2025-10-21T10:05:00Z',
        'Messagerie Exmple <messagerie@exmple.fr>',
        'Message non distribué : Re: Question sur mon avis de taxe foncière',
        {
          'Return-Path': '<>',
          'Content-Type': 'multipart/report; report-type=delivery-status; boundary="rapport-1"',
        },
        DELIVERY_REPORT,
      ),
      automatic(
        'avis-1@mairie-exemple.fr',
        '2025-10-21T11:00:00Z',
        'Accueil Mairie <accueil@mairie-exemple.fr>',
        'Information sur votre demande',
        { 'Return-Path': '<>' },
      ),
      automatic(
        'daemon-1@mx.exemple.fr',
        '2025-10-21T12:00:00Z',
        'MAILER-DAEMON <>',
        'Avis de non-distribution',
        {},
      ),
      // (c) Wed 22 Oct: people's mail that only looks automatic: a subject with « Notification »
      // (never answered) and a forwarded bounce (answered on Thu 23 Oct).
      question('q4', '2025-10-22T09:00:00Z', 4, 'Notification de mon changement d’adresse'),
      {
        ...question('q5', '2025-10-22T10:00:00Z', 5, 'TR: Undelivered Mail Returned to Sender'),
        spec: {
          messageId: 'q5@exemple.fr',
          from: usager(5),
          to: BALF,
          subject: 'TR: Undelivered Mail Returned to Sender',
          body: 'Bonjour,\n\nMon courriel vous est revenu, le voici.\n\n-------- Message transféré --------\nFrom: MAILER-DAEMON\nSubject: Undelivered Mail Returned to Sender\n',
        },
      },
      reply('r5', '2025-10-23T09:00:00Z', 5, 'RE: TR: Undelivered Mail Returned to Sender', {
        inReplyTo: 'q5',
        references: ['q5'],
      }),
    ],
  },
  'reponses-et-references': {
    department: '75',
    mails: [
      // Mon 3 Mar 2025: question and same-day reply with In-Reply-To and References.
      question('q1', '2025-03-03T09:00:00Z', 1, 'Demande de délai de paiement'),
      reply('r1', '2025-03-03T14:00:00Z', 1, 'Re: Demande de délai de paiement', {
        inReplyTo: 'q1',
        references: ['q1'],
      }),
      // Tue 4 Mar: answered on Wed 5 Mar through References only.
      question('q2', '2025-03-04T09:00:00Z', 2, 'Attestation de situation fiscale'),
      reply('r2', '2025-03-05T10:00:00Z', 2, 'Re: Attestation de situation fiscale', { references: ['q2'] }),
      // Thu 6 Mar: answered on Fri 7 Mar with no reference header: subject + correspondent heuristic.
      question('q3', '2025-03-06T09:00:00Z', 3, 'Taxe foncière 2025'),
      reply('r3', '2025-03-07T10:00:00Z', 3, 'RE : Taxe foncière 2025', {}),
      // Mon 10 Mar: two replies (Mon 10 and Tue 11 Mar) to one message.
      question('q4', '2025-03-10T09:00:00Z', 4, 'Remboursement'),
      reply('r4a', '2025-03-10T15:00:00Z', 4, 'Re: Remboursement', { inReplyTo: 'q4', references: ['q4'] }),
      reply('r4b', '2025-03-11T09:30:00Z', 4, 'Re: Remboursement', { inReplyTo: 'q4', references: ['q4'] }),
      // Wed 12 Mar: forwarded (TR:) to a colleague, never answered to the user.
      question('q5', '2025-03-12T09:00:00Z', 5, 'Succession'),
      {
        ...sent('f5', '2025-03-12T11:00:00Z', COLLEGUE, 'TR: Succession'),
        spec: {
          messageId: 'f5@dgfip.finances.gouv.fr',
          from: BALF,
          to: COLLEGUE,
          subject: 'TR: Succession',
          references: ['q5@exemple.fr'],
        },
      },
      // Thu 13 Mar: a new outgoing message.
      sent('n6', '2025-03-13T10:00:00Z', usager(6), 'Pièces manquantes à votre dossier'),
      // Fri 14 Mar: never answered.
      question('q7', '2025-03-14T09:00:00Z', 7, 'Changement d’adresse'),
    ],
  },
  'calendrier-metropole': {
    department: '75',
    mails: [
      // Fri 7 Nov 2025 → Mon 17 Nov: 5 working days because Tue 11 Nov is a holiday (in time).
      question('q1', '2025-11-07T09:00:00Z', 1, 'Avis d’impôt'),
      reply('r1', '2025-11-17T10:00:00Z', 1, 'Re: Avis d’impôt', { inReplyTo: 'q1', references: ['q1'] }),
      // Thu 17 Apr 2025 → Fri 25 Apr: 5 working days across the weekend and Easter Monday (in time).
      question('q2', '2025-04-17T08:00:00Z', 2, 'Prélèvement à la source'),
      reply('r2', '2025-04-25T09:00:00Z', 2, 'Re: Prélèvement à la source', {
        inReplyTo: 'q2',
        references: ['q2'],
      }),
      // Mon 6 Oct 2025 → Tue 14 Oct: 6 working days (late).
      question('q3', '2025-10-06T09:00:00Z', 3, 'Taxe d’habitation'),
      reply('r3', '2025-10-14T09:00:00Z', 3, 'Re: Taxe d’habitation', {
        inReplyTo: 'q3',
        references: ['q3'],
      }),
      // Wed 15 Oct 2025: never answered (overdue).
      question('q4', '2025-10-15T09:00:00Z', 4, 'Délai de paiement'),
      // Tue 7 Jan 2025 23:30 UTC = Wed 8 Jan 00:30 in Paris: counted on 8 Jan, answered that day.
      question('q5', '2025-01-07T23:30:00Z', 5, 'Question posée tard le soir'),
      reply('r5', '2025-01-08T10:00:00Z', 5, 'Re: Question posée tard le soir', {
        inReplyTo: 'q5',
        references: ['q5'],
      }),
      // Tue 1 Jul 2025 22:30 UTC = Wed 2 Jul 00:30 in Paris (summer time): counted on 2 Jul, never answered.
      question('q6', '2025-07-01T22:30:00Z', 6, 'Question d’une nuit d’été'),
    ],
  },
  'automatiques-et-internes': {
    department: '75',
    mails: [
      // Mon 3 Feb 2025: a question and the BALF's automatic acknowledgement (not an answer).
      question('q1', '2025-02-03T09:00:00Z', 1, 'Demande de rendez-vous'),
      sent('ar1', '2025-02-03T09:01:00Z', usager(1), 'Accusé de réception : Demande de rendez-vous', {
        'Auto-Submitted': 'auto-replied',
        'In-Reply-To': '<q1@exemple.fr>',
      }),
      // Tue 4 Feb: a delivery failure report and a vacation reply received.
      {
        folder: 'INBOX',
        at: '2025-02-04T08:00:00Z',
        spec: {
          messageId: 'bounce-1@mx.exemple.fr',
          from: 'Mail Delivery System <MAILER-DAEMON@mx.exemple.fr>',
          subject: 'Undelivered Mail Returned to Sender',
          headers: { 'Auto-Submitted': 'auto-replied', 'Return-Path': '<>' },
        },
      },
      {
        folder: 'INBOX',
        at: '2025-02-04T10:00:00Z',
        spec: {
          messageId: 'absence-2@exemple.fr',
          from: usager(2),
          subject: 'Réponse automatique : Absent du bureau',
          headers: { 'Auto-Submitted': 'auto-replied' },
        },
      },
      // Wed 5 Feb: a message from a colleague (internal domain).
      {
        folder: 'INBOX',
        at: '2025-02-05T09:00:00Z',
        spec: {
          messageId: 'interne-1@dgfip.finances.gouv.fr',
          from: COLLEGUE,
          subject: 'Point sur un dossier',
        },
      },
    ],
  },
  'dossiers-et-doublons': {
    department: '75',
    mails: [
      // Mon 12 May 2025: a question filed into a nested folder, answered the same day.
      question('q1', '2025-05-12T09:00:00Z', 1, 'Cadastre', 'Dossiers.Traites'),
      reply('r1', '2025-05-12T14:00:00Z', 1, 'Re: Cadastre', { inReplyTo: 'q1', references: ['q1'] }),
      // Tue 13 May: the same Message-ID in INBOX and in Archives (one message).
      question('q2', '2025-05-13T09:00:00Z', 2, 'Copie en double'),
      question('q2', '2025-05-13T09:00:00Z', 2, 'Copie en double', 'Archives'),
      // Wed 14 May: no Message-ID at all.
      {
        ...question('sans-id', '2025-05-14T09:00:00Z', 3, 'Message sans identifiant'),
        spec: { messageId: null, from: usager(3), subject: 'Message sans identifiant' },
      },
      // Thu 15 May: deleted before any client looked (Trash).
      question('q4', '2025-05-15T09:00:00Z', 4, 'Message supprimé', 'Trash'),
      // Fri 16 May: spam already in Junk, and a draft of the BALF (never counted).
      {
        folder: 'Junk',
        at: '2025-05-16T09:00:00Z',
        spec: {
          messageId: 'spam-1@spam.exemple',
          from: 'Gagnant <gagnant@spam.exemple>',
          subject: 'Vous avez gagné',
        },
      },
      { ...sent('brouillon-1', '2025-05-16T10:00:00Z', usager(5), 'Brouillon de réponse'), folder: 'Drafts' },
      // Mon 19 May: no Date header, only the server's Received time.
      {
        folder: 'INBOX',
        at: '2025-05-19T10:00:00Z',
        spec: {
          messageId: 'sans-date@exemple.fr',
          date: null,
          from: usager(6),
          subject: 'Message sans date',
        },
      },
      // Tue 20 May: a Date in the future (2031); received on 20 May.
      {
        folder: 'INBOX',
        at: '2025-05-20T09:00:00Z',
        spec: {
          messageId: 'futur@exemple.fr',
          date: new Date('2031-01-01T09:00:00Z'),
          from: usager(7),
          subject: 'Horloge déréglée',
        },
      },
    ],
  },
  'alsace-moselle': {
    department: '67',
    mails: [
      // Tue 15 Apr 2025 → Thu 24 Apr: 5 working days in Alsace-Moselle (Good Friday 18 Apr and Easter
      // Monday off), 6 in the rest of France.
      question('q1', '2025-04-15T09:00:00Z', 1, 'Livre foncier'),
      reply('r1', '2025-04-24T09:00:00Z', 1, 'Re: Livre foncier', { inReplyTo: 'q1', references: ['q1'] }),
      // Mon 22 Dec 2025 → Wed 31 Dec: 5 working days (25 and 26 Dec off), 6 elsewhere.
      question('q2', '2025-12-22T09:00:00Z', 2, 'Impôt local'),
      reply('r2', '2025-12-31T09:00:00Z', 2, 'Re: Impôt local', { inReplyTo: 'q2', references: ['q2'] }),
    ],
  },
  'outre-mer-reunion': {
    department: '974',
    mails: [
      // Mon 3 Mar 2025 21:30 UTC = Tue 4 Mar 01:30 at La Réunion (UTC+4): counted on 4 Mar, never answered.
      question('q1', '2025-03-03T21:30:00Z', 1, 'Question de nuit'),
      // Thu 19 Dec 2024 → Mon 30 Dec: 5 working days at La Réunion (20 Dec, abolition of slavery, and
      // 25 Dec off), 6 in metropolitan France.
      question('q2', '2024-12-19T06:00:00Z', 2, 'Taxe foncière'),
      reply('r2', '2024-12-30T06:00:00Z', 2, 'Re: Taxe foncière', { inReplyTo: 'q2', references: ['q2'] }),
    ],
  },
  'trois-clients': {
    department: '75',
    clients: 3,
    mails: [
      // Mon 1 Sep 2025: question and same-day reply.
      question('q1', '2025-09-01T08:00:00Z', 1, 'Demande de certificat'),
      reply('r1', '2025-09-01T12:00:00Z', 1, 'Re: Demande de certificat', {
        inReplyTo: 'q1',
        references: ['q1'],
      }),
      // Tue 2 Sep: answered on Wed 3 Sep without reference headers (heuristic).
      question('q2', '2025-09-02T08:00:00Z', 2, 'Quittance'),
      reply('r2', '2025-09-03T08:00:00Z', 2, 'RE : Quittance', {}),
      // Thu 4 Sep: never answered, and a message from a colleague.
      question('q3', '2025-09-04T08:00:00Z', 3, 'Réclamation'),
      {
        folder: 'INBOX',
        at: '2025-09-04T09:00:00Z',
        spec: { messageId: 'interne-2@dgfip.finances.gouv.fr', from: COLLEGUE, subject: 'Information' },
      },
      // Fri 5 Sep: a vacation reply received and a new outgoing message.
      {
        folder: 'INBOX',
        at: '2025-09-05T08:00:00Z',
        spec: {
          messageId: 'absence-9@exemple.fr',
          from: usager(9),
          subject: 'Réponse automatique : Absent',
          headers: { 'Auto-Submitted': 'auto-replied' },
        },
      },
      sent('n1', '2025-09-05T10:00:00Z', usager(8), 'Rappel de votre échéance'),
      // Mon 8 Sep: no Message-ID (every client must derive the same key), never answered.
      {
        folder: 'INBOX',
        at: '2025-09-08T08:00:00Z',
        spec: { messageId: null, from: usager(4), subject: 'Sans identifiant' },
      },
    ],
  },
};

let sequence = 0;

async function writeMail(maildir: string, mail: Mail): Promise<void> {
  const at = new Date(mail.at);
  const spec: MessageSpec = {
    messageId: null,
    date: at,
    to: BALF,
    ...mail.spec,
  };
  let text = buildMessage(spec);
  if (!mail.noReceived) {
    text =
      `Received: from mx.exemple.fr by imap.dgfip.finances.gouv.fr with ESMTP; ${rfc5322Date(at)}\r\n` + text;
  }
  const folderDir = mail.folder === 'INBOX' ? maildir : join(maildir, `.${mail.folder}`);
  sequence += 1;
  const size = Buffer.byteLength(text, 'utf8');
  const name = `${Math.floor(at.getTime() / 1000)}.M${sequence}P1.scenario,S=${size}:2,S`;
  const path = join(folderDir, 'cur', name);
  await writeFile(path, text);
  await utimes(path, at, at);
}

async function makeFolder(dir: string): Promise<void> {
  for (const sub of ['cur', 'new', 'tmp']) {
    await mkdir(join(dir, sub), { recursive: true });
    // Git keeps no empty directory.
    await writeFile(join(dir, sub, '.gitkeep'), '');
  }
}

for (const [name, scenario] of Object.entries(SCENARIOS)) {
  const dir = join(ROOT, name);
  const maildir = join(dir, 'maildir');
  await rm(maildir, { recursive: true, force: true });
  sequence = 0;
  const folders = new Set(['Sent', 'Drafts', 'Trash', 'Junk', ...scenario.mails.map((m) => m.folder)]);
  await makeFolder(maildir);
  for (const folder of folders) if (folder !== 'INBOX') await makeFolder(join(maildir, `.${folder}`));
  for (const mail of scenario.mails) await writeMail(maildir, mail);
  const config = {
    balf: BALF,
    clients: scenario.clients ?? 1,
    department: scenario.department,
    managed: { internalDomains: ['dgfip.finances.gouv.fr'] },
  };
  await writeFile(join(dir, 'scenario.json'), `${JSON.stringify(config, null, 2)}\n`);
  console.log(`${name} : ${scenario.mails.length} messages`);
}
