// Writes the Maildir of the `courriels-malformes` scenario: ordinary mail around malformed mail (no headers,
// broken MIME, raw 8-bit headers, 5,000 References, odd Message-IDs, duplicated headers, a garbage Date).
// Run: node scripts/run-ts.mjs test/e2e/scenarios/courriels-malformes/generate.ts — then commit the files.
import { mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMessage, rfc5322Date, type MessageSpec } from '../../../support/imap/messages.ts';

const NAME = 'courriels-malformes';
const HERE = dirname(fileURLToPath(import.meta.url));
// Bundled by run-ts into build/: fall back to the repository path from the working directory.
const DIR = HERE.endsWith(NAME) ? HERE : join(process.cwd(), 'test', 'e2e', 'scenarios', NAME);
const BALF = 'sip.scenario@dgfip.finances.gouv.fr';
const COLLEGUE = 'Agent Collegue <agent.collegue@dgfip.finances.gouv.fr>';
/** Size of the References chains (the issue asks for "enormous"). */
export const REFERENCES_COUNT = 5000;

interface Mail {
  folder: 'INBOX' | 'Sent';
  /** Received time (Received header when `received`, and the file time = IMAP INTERNALDATE). */
  at: string;
  /** The exact bytes of the message file. */
  bytes: Buffer;
}

const usager = (n: number): string => `Usager ${n} <usager${n}@exemple.fr>`;
const receivedLine = (at: Date): string =>
  `Received: from mx.exemple.fr by imap.dgfip.finances.gouv.fr with ESMTP; ${rfc5322Date(at)}`;

/** An ordinary message built by the shared builder; received mail gets a Received header on top. */
function ordinary(
  folder: Mail['folder'],
  at: string,
  spec: Omit<MessageSpec, 'date' | 'to'> & { to?: string },
): Mail {
  const date = new Date(at);
  let text = buildMessage({ date, to: BALF, ...spec });
  if (folder === 'INBOX') text = `${receivedLine(date)}\r\n${text}`;
  return { folder, at, bytes: Buffer.from(text, 'utf8') };
}

/** A hand-written message: header lines (already encoded as wanted) + body, CRLF line ends. */
function raw(
  at: string,
  lines: readonly (string | Buffer)[],
  body = 'Bonjour,\r\n\r\nCordialement.\r\n',
): Mail {
  const parts = lines.map((l) =>
    typeof l === 'string' ? Buffer.from(`${l}\r\n`, 'latin1') : Buffer.concat([l, Buffer.from('\r\n')]),
  );
  return { folder: 'INBOX', at, bytes: Buffer.concat([...parts, Buffer.from(`\r\n${body}`, 'latin1')]) };
}

const foreignIds = (prefix: string): string[] =>
  Array.from({ length: REFERENCES_COUNT }, (_, i) => `${prefix}-${i}.fil@ailleurs.exemple`);

const referencesHeader = (ids: readonly string[]): string =>
  // Folded every 10 ids, as mail clients do (one 150 KB line is also legal but less common).
  `References: ${ids.map((id, i) => (i > 0 && i % 10 === 0 ? `\r\n <${id}>` : `<${id}>`)).join(' ')}`;

const d = (at: string): string => rfc5322Date(new Date(at));

const MAILS: Mail[] = [
  // Mon 2 Jun 2025 — ordinary mail before: one question answered the same day, one never answered.
  ordinary('INBOX', '2025-06-02T08:00:00Z', {
    messageId: 'o1@exemple.fr',
    from: usager(1),
    subject: 'Demande d’échéancier',
  }),
  ordinary('Sent', '2025-06-02T14:00:00Z', {
    messageId: 'r1@dgfip.finances.gouv.fr',
    from: BALF,
    to: usager(1),
    subject: 'Re: Demande d’échéancier',
    inReplyTo: 'o1@exemple.fr',
    references: ['o1@exemple.fr'],
  }),
  ordinary('INBOX', '2025-06-02T09:00:00Z', {
    messageId: 'o2@exemple.fr',
    from: usager(2),
    subject: 'Avis de situation',
  }),

  // Tue 3 Jun — no header at all: an empty header section, then a body.
  {
    folder: 'INBOX',
    at: '2025-06-03T08:00:00Z',
    bytes: Buffer.from('\r\nUn message sans aucun en-tête.\r\n', 'latin1'),
  },

  // Wed 4 Jun — broken MIME: multipart whose boundary never closes, a part with invalid base64.
  raw(
    '2025-06-04T08:00:00Z',
    [
      receivedLine(new Date('2025-06-04T08:00:00Z')),
      `Date: ${d('2025-06-04T08:00:00Z')}`,
      `From: ${usager(4)}`,
      `To: ${BALF}`,
      'Message-ID: <mime-casse@exemple.fr>',
      'Subject: Pieces jointes',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="----=_frontiere_jamais_fermee"',
    ],
    [
      '------=_frontiere_jamais_fermee',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: base64',
      '',
      "@@@ ceci n'est pas du base64 !!! ***",
      '------=_frontiere_jamais_fermee',
      'Content-Type: application/pdf; name="avis.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0xLjQK=====%%%%',
      '',
    ].join('\r\n'),
  ),

  // Thu 5 Jun — raw 8-bit headers, no encoded words: one in Latin-1, one in UTF-8.
  raw('2025-06-05T08:00:00Z', [
    receivedLine(new Date('2025-06-05T08:00:00Z')),
    `Date: ${d('2025-06-05T08:00:00Z')}`,
    Buffer.from('From: Usager Réclamé <usager5@exemple.fr>', 'latin1'),
    `To: ${BALF}`,
    'Message-ID: <latin1@exemple.fr>',
    Buffer.from('Subject: Réclamation sur la taxe foncière — été', 'latin1'),
  ]),
  raw('2025-06-05T09:00:00Z', [
    receivedLine(new Date('2025-06-05T09:00:00Z')),
    `Date: ${d('2025-06-05T09:00:00Z')}`,
    Buffer.from('From: Usagère Hélène Œdipe <usager6@exemple.fr>', 'utf8'),
    `To: ${BALF}`,
    'Message-ID: <utf8-brut@exemple.fr>',
    Buffer.from('Subject: Échéance reportée ? 日本語 ✓', 'utf8'),
  ]),

  // Fri 6 Jun — a Message-ID with spaces inside the brackets (never answered).
  raw('2025-06-06T08:00:00Z', [
    receivedLine(new Date('2025-06-06T08:00:00Z')),
    `Date: ${d('2025-06-06T08:00:00Z')}`,
    `From: ${usager(7)}`,
    `To: ${BALF}`,
    'Message-ID: <identifiant avec des espaces@exemple.fr>',
    'Subject: Identifiant avec espaces',
  ]),

  // Tue 10 Jun — a Message-ID without angle brackets, answered on Wed 11 Jun (the reply uses brackets).
  raw('2025-06-10T08:00:00Z', [
    receivedLine(new Date('2025-06-10T08:00:00Z')),
    `Date: ${d('2025-06-10T08:00:00Z')}`,
    `From: ${usager(8)}`,
    `To: ${BALF}`,
    'Message-ID: sans-crochets@exemple.fr',
    'Subject: Identifiant sans crochets',
  ]),
  ordinary('Sent', '2025-06-11T08:00:00Z', {
    messageId: 'r8@dgfip.finances.gouv.fr',
    from: BALF,
    to: usager(8),
    subject: 'Re: Identifiant sans crochets',
    inReplyTo: 'sans-crochets@exemple.fr',
    references: ['sans-crochets@exemple.fr'],
  }),

  // Thu 12 Jun — a question carrying 5,000 References, answered on Fri 13 Jun by a reply whose
  // References are those 5,000 plus the question (nearest last, as clients write them).
  raw('2025-06-12T08:00:00Z', [
    receivedLine(new Date('2025-06-12T08:00:00Z')),
    `Date: ${d('2025-06-12T08:00:00Z')}`,
    `From: ${usager(9)}`,
    `To: ${BALF}`,
    'Message-ID: <fil-enorme@exemple.fr>',
    'In-Reply-To: <q-4999.fil@ailleurs.exemple>',
    referencesHeader(foreignIds('q')),
    'Subject: Fil de discussion interminable',
  ]),
  {
    ...raw('2025-06-13T08:00:00Z', [
      `Date: ${d('2025-06-13T08:00:00Z')}`,
      `From: ${BALF}`,
      `To: ${usager(9)}`,
      'Message-ID: <r9@dgfip.finances.gouv.fr>',
      'In-Reply-To: <fil-enorme@exemple.fr>',
      referencesHeader([...foreignIds('q'), 'fil-enorme@exemple.fr']),
      'Subject: Re: Fil de discussion interminable',
    ]),
    folder: 'Sent',
  },

  // Mon 16 Jun — every header twice, with different values (both Dates on the same day).
  raw('2025-06-16T08:00:00Z', [
    receivedLine(new Date('2025-06-16T08:00:00Z')),
    `Date: ${d('2025-06-16T08:00:00Z')}`,
    `Date: ${d('2025-06-16T09:30:00Z')}`,
    `From: ${usager(10)}`,
    `From: ${usager(11)}`,
    `To: ${BALF}`,
    `To: ${BALF}`,
    'Message-ID: <double-a@exemple.fr>',
    'Message-ID: <double-b@exemple.fr>',
    'Subject: En-tetes en double (1)',
    'Subject: En-tetes en double (2)',
  ]),

  // Tue 17 Jun — a Date header that is garbage; the Received header says Tue 17 Jun.
  raw('2025-06-17T08:00:00Z', [
    receivedLine(new Date('2025-06-17T08:00:00Z')),
    'Date: pas une date, 99/99/9999 25:61',
    `From: ${usager(12)}`,
    `To: ${BALF}`,
    'Message-ID: <date-absurde@exemple.fr>',
    'Subject: Date illisible',
  ]),

  // Wed 18 Jun → Thu 19 Jun — ordinary mail after: a question answered the next day by References
  // alone, a colleague's message, a question never answered, a new outgoing message.
  ordinary('INBOX', '2025-06-18T08:00:00Z', {
    messageId: 'o3@exemple.fr',
    from: usager(3),
    subject: 'Quittance',
  }),
  ordinary('Sent', '2025-06-19T08:00:00Z', {
    messageId: 'r3@dgfip.finances.gouv.fr',
    from: BALF,
    to: usager(3),
    subject: 'Re: Quittance',
    references: ['o3@exemple.fr'],
  }),
  ordinary('INBOX', '2025-06-18T10:00:00Z', {
    messageId: 'interne-1@dgfip.finances.gouv.fr',
    from: COLLEGUE,
    subject: 'Point sur un dossier',
  }),
  ordinary('INBOX', '2025-06-19T09:00:00Z', {
    messageId: 'o5@exemple.fr',
    from: usager(13),
    subject: 'Rappel',
  }),
  ordinary('Sent', '2025-06-19T10:00:00Z', {
    messageId: 'n1@dgfip.finances.gouv.fr',
    from: BALF,
    to: usager(14),
    subject: 'Pièces manquantes à votre dossier',
  }),
];

async function makeFolder(dir: string): Promise<void> {
  for (const sub of ['cur', 'new', 'tmp']) {
    await mkdir(join(dir, sub), { recursive: true });
    await writeFile(join(dir, sub, '.gitkeep'), '');
  }
}

const maildir = join(DIR, 'maildir');
await rm(maildir, { recursive: true, force: true });
await makeFolder(maildir);
for (const folder of ['Sent', 'Drafts', 'Trash', 'Junk']) await makeFolder(join(maildir, `.${folder}`));
let sequence = 0;
for (const mail of MAILS) {
  const at = new Date(mail.at);
  sequence += 1;
  const name = `${Math.floor(at.getTime() / 1000)}.M${sequence}P1.scenario,S=${mail.bytes.length}:2,S`;
  const path = join(mail.folder === 'INBOX' ? maildir : join(maildir, '.Sent'), 'cur', name);
  await writeFile(path, mail.bytes);
  await utimes(path, at, at);
}
const config = {
  balf: BALF,
  clients: 1,
  department: '75',
  managed: { internalDomains: ['dgfip.finances.gouv.fr'] },
};
await writeFile(join(DIR, 'scenario.json'), `${JSON.stringify(config, null, 2)}\n`);
console.log(`${NAME} : ${MAILS.length} messages`);
