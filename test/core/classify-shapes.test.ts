// Real-world header shapes of every class of machine-made mail, each still automatic once its author or subject is made ordinary.
import { describe, expect, it } from 'vitest';
import { autoReason, classify, type AutoReason } from '../../src/core/classify.ts';
import { inputOf, parseHeaderBlock } from './classify-fixtures.ts';

const PERSON = 'Jean Dupont <jean.dupont@laposte.net>';
const ORDINARY_SUBJECT = 'Demande de délai de paiement';

/**
 * What decides, so what the test may make ordinary: `headers` (author and subject both replaced),
 * `sender` (the robot From is the shape itself; the subject is replaced), `subject` (the author is).
 */
type DecidedBy = 'headers' | 'sender' | 'subject';

const SHAPES: { why: string; reason: AutoReason; by: DecidedBy; block: string[] }[] = [
  // Bounces.
  {
    why: 'Postfix DSN',
    reason: 'auto-submitted',
    by: 'headers',
    block: [
      'Return-Path: <>',
      'From: MAILER-DAEMON@mx.relais-exemple.net (Mail Delivery System)',
      'Subject: Undelivered Mail Returned to Sender',
      'Auto-Submitted: auto-replied',
      'Content-Type: multipart/report; report-type=delivery-status;',
      '\tboundary="4Xk2LqD0Z3z9sRr.1736845964/mx.relais-exemple.net"',
    ],
  },
  {
    why: 'Exim bounce in plain text, X-Failed-Recipients only',
    reason: 'delivery-failure',
    by: 'headers',
    block: [
      'From: Mail Delivery System <Mailer-Daemon@mail.hebergeur-exemple.fr>',
      'To: sip.paris-15@dgfip.finances.gouv.fr',
      'Subject: Mail delivery failed: returning message to sender',
      'X-Failed-Recipients: jean.dupond@laposte.net',
      'Content-Type: text/plain; charset=us-ascii',
    ],
  },
  {
    why: 'qmail "failure notice" with its null envelope',
    reason: 'null-return-path',
    by: 'headers',
    block: ['Return-Path: <>', 'From: MAILER-DAEMON@mail.example.net', 'Subject: failure notice'],
  },
  {
    why: 'qmail bounce stored without Return-Path',
    reason: 'robot-sender',
    by: 'sender',
    block: ['From: MAILER-DAEMON@mail.example.net', 'Subject: failure notice'],
  },
  {
    why: 'sendmail local delivery: envelope rewritten to <MAILER-DAEMON>, From without a domain',
    reason: 'robot-sender',
    by: 'headers',
    block: [
      'Return-Path: <MAILER-DAEMON>',
      'From: Mail Delivery Subsystem <MAILER-DAEMON>',
      'Subject: Returned mail: see transcript for details',
    ],
  },
  {
    why: 'sendmail From without a domain, no envelope header',
    reason: 'robot-sender',
    by: 'sender',
    block: [
      'From: Mail Delivery Subsystem <MAILER-DAEMON>',
      'Subject: Returned mail: see transcript for details',
    ],
  },
  {
    why: 'DragonFly Mail Agent: robot name, empty address',
    reason: 'robot-name',
    by: 'sender',
    block: [
      'From: MAILER-DAEMON <>',
      'To: sip.paris-15@dgfip.finances.gouv.fr',
      'Subject: Mail delivery failed',
    ],
  },
  {
    why: 'McAfee gateway: From: <>',
    reason: 'null-sender',
    by: 'sender',
    block: [
      'From: <>',
      'Subject: Delivery Status',
      'Content-Type: Multipart/Mixed; boundary="------------Boundary-00=_OAIUGOLJ"',
      'X-NAI-Header: Modified by McAfee Email Gateway (4500)',
    ],
  },
  {
    why: 'Office 365 NDR',
    reason: 'auto-submitted',
    by: 'headers',
    block: [
      'From: <postmaster@entreprise-exemple.onmicrosoft.com>',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
      'X-MS-Exchange-Message-Is-Ndr:',
      'Subject: Undeliverable: Votre demande',
      'Auto-Submitted: auto-replied',
      'Return-Path: <>',
    ],
  },
  {
    why: 'Exchange on-premises NDR (« Non remis : ») from MicrosoftExchange<hex>',
    reason: 'report',
    by: 'headers',
    block: [
      'From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@entreprise-exemple.fr>',
      'Subject: =?iso-8859-1?Q?Non_remis_:_Votre_demande?=',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="_000_"',
      'X-MS-Exchange-Message-Is-Ndr:',
    ],
  },
  {
    why: 'Exchange NDR known only by X-MS-Exchange-Message-Is-Ndr',
    reason: 'delivery-failure',
    by: 'headers',
    block: ['From: Microsoft Outlook <postmaster@entreprise-exemple.fr>', 'X-MS-Exchange-Message-Is-Ndr:'],
  },
  {
    why: 'Lotus Domino DELIVERY FAILURE (envelope rewritten to MAILER-DAEMON@)',
    reason: 'robot-sender',
    by: 'headers',
    block: [
      'Return-Path: <MAILER-DAEMON@mx.mairie-exemple.fr>',
      'From: Postmaster@mairie-exemple.fr',
      'Subject: DELIVERY FAILURE: User jean.dupond not listed in Domino Directory',
      'Content-Type: Text/Plain',
    ],
  },
  {
    why: 'Yahoo "Failure Notice"',
    reason: 'robot-sender',
    by: 'sender',
    block: ['From: MAILER-DAEMON@yahoo.com', 'Subject: Failure Notice'],
  },
  {
    why: 'Gmail DSN in plain text',
    reason: 'delivery-failure',
    by: 'headers',
    block: [
      'Return-Path: <>',
      'From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>',
      'X-Failed-Recipients: jean.dupond@gmail.com',
      'Subject: Delivery Status Notification (Failure)',
      'Content-Type: text/plain; charset=ISO-8859-1',
    ],
  },
  {
    why: 'SMS gateway answer from post_master@ with In-Reply-To',
    reason: 'robot-sender',
    by: 'sender',
    block: [
      'From: post_master@vtext.com',
      'In-Reply-To: <20250114095812.4Xk2@dgfip.finances.gouv.fr>',
      'Subject: Re:Votre demande',
      'Content-Type: multipart/mixed; boundary="----=_B_0"',
    ],
  },
  // Auto-replies.
  {
    why: 'Sieve vacation (RFC 3834)',
    reason: 'auto-submitted',
    by: 'headers',
    block: [
      'From: Claire Petit <claire.petit@free.fr>',
      'Subject: Absente',
      'Auto-Submitted: auto-replied (vacation)',
    ],
  },
  {
    why: 'cPanel autoresponder (X-Autorespond, Precedence: auto_reply)',
    reason: 'x-autoreply',
    by: 'headers',
    block: [
      'From: contact@pme-exemple.fr',
      'X-Autorespond: contact@pme-exemple.fr',
      'Precedence: auto_reply',
    ],
  },
  {
    why: 'iCloud vacation (X-Apple-Action)',
    reason: 'x-autoreply',
    by: 'headers',
    block: ['From: kijitora@icloud.com', 'Subject: Auto reply: Votre demande', 'X-Apple-Action: VACATION'],
  },
  {
    why: 'CommuniGate Pro auto-reply (X-Autogenerated: Reply)',
    reason: 'x-autoreply',
    by: 'headers',
    block: [
      'From: Jean Martin <j.martin@cgp-exemple.fr>',
      'X-Autogenerated: Reply',
      'Subject: Je suis absent',
    ],
  },
  {
    why: 'Exchange out-of-office with a null envelope and no marker header',
    reason: 'null-return-path',
    by: 'headers',
    block: [
      'Return-path: <>',
      'From: "Neko, Nyaan" <nekonyaan@example.org>',
      'Subject: Automatic reply: Nyaan',
    ],
  },
  {
    why: 'older Exchange out-of-office known only by its subject',
    reason: 'auto-reply-subject',
    by: 'subject',
    block: [
      'From: p.durand@cabinet-exemple.com',
      'Subject: =?utf-8?Q?R=C3=A9ponse_automatique_:_Votre_demande?=',
    ],
  },
  // Lists and list managers.
  {
    why: 'mailing-list post (List-Id, Precedence: list)',
    reason: 'precedence',
    by: 'headers',
    block: [
      'From: actualites@association-exemple.org',
      'List-Id: <actualites.association-exemple.org>',
      'Precedence: list',
    ],
  },
  {
    why: 'newsletter of a mass mailer (List-Unsubscribe and its one-click POST)',
    reason: 'list-unsubscribe',
    by: 'headers',
    block: [
      'From: Editions Exemple <info@editeur.example>',
      'Subject: =?UTF-8?Q?Mise_=C3=A0_jour_de_votre_abonnement?=',
      'List-Unsubscribe: <https://editeur.example/u/8f2a>, <mailto:unsub-8f2a@editeur.example>',
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    ],
  },
  {
    why: 'fml list-manager answer from …-admin@ (X-ML-Info, X-MLServer, List-Subscribe)',
    reason: 'list-header',
    by: 'headers',
    block: [
      'Return-Path: <neko-admin@example.org>',
      'Mailing-List: contact nyaan-help@neko.example.org; run by ezmlm',
      'X-MLServer: fml [fml 4.0.3 release (20011202/4.0.3)]',
      'X-ML-Info: If you have a question, please contact neko-admin@example.org;',
      'List-Subscribe: <mailto:neko-nyaan-ctl@example.org?body=subscribe>',
      'From: neko-admin@example.org',
      'Subject: You sironeko@neko.example.org are not member (neko-nyaan ML)',
    ],
  },
  {
    why: 'fml loop alert with only X-MLServer',
    reason: 'list-header',
    by: 'headers',
    block: ['From: neko-admin@example.co.jp', 'Subject: Loop Alert', 'X-MLServer: fml [fml 4.0.3]'],
  },
  {
    why: 'Mailman answer to a command, from liste-request@',
    reason: 'robot-sender',
    by: 'sender',
    block: ['From: agents-request@listes.example.org', 'Subject: Les resultats de vos commandes'],
  },
  // Reports and receipts.
  {
    why: 'ARF abuse report',
    reason: 'report',
    by: 'headers',
    block: [
      'From: <abuse@fai-exemple.net>',
      'Subject: FW: Votre message',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="part1"',
    ],
  },
  {
    why: 'Outlook.com junk-mail complaint (JMRP, multipart/mixed)',
    reason: 'complaint-subject',
    by: 'subject',
    block: [
      'From: staff@hotmail.com',
      'Subject:  complaint about message from 192.0.2.222',
      'Content-Type: multipart/mixed; boundary="F0000EEE2"',
    ],
  },
  {
    why: "read receipt (MDN) from a person's client",
    reason: 'report',
    by: 'headers',
    block: [
      'From: Marie Bernard <marie.bernard@orange.fr>',
      'Subject: Lu : Votre demande',
      'Content-Type: multipart/report; report-type=disposition-notification; boundary="mdn"',
    ],
  },
  {
    why: 'delivery receipt (DSN "relayed"/"delivered")',
    reason: 'report',
    by: 'headers',
    block: [
      'From: postmaster@entreprise-exemple.fr',
      'Subject: Remis : Votre demande',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"',
    ],
  },
  // Null and robot envelopes, notifications.
  {
    why: 'empty Return-Path (GMX)',
    reason: 'null-return-path',
    by: 'headers',
    block: [
      'Return-Path: ',
      'From: "Mail Delivery System" <mailer-daemon@gmx.net>',
      'Subject: Mail delivery failed',
    ],
  },
  {
    why: 'notification of another system (Auto-Submitted: auto-generated)',
    reason: 'auto-submitted',
    by: 'headers',
    block: ['From: Plateforme Exemple <contact@plateforme.example>', 'Auto-Submitted: auto-generated'],
  },
  {
    why: 'robot in the Sender header (list owner relaying)',
    reason: 'robot-sender',
    by: 'headers',
    block: ['From: Jean Martin <j.martin@example.org>', 'Sender: neko-list-owner@example.org'],
  },
];

describe('real-world shapes of machine-made mail', () => {
  it.each(SHAPES)('$why → auto ($reason)', ({ reason, by, block }) => {
    const headers = parseHeaderBlock(block.join('\n'));
    const input = inputOf(headers);
    expect(autoReason(input.author, input.subject, input.headers)).toBe(reason);
    expect(classify(input)).toMatchObject({ direction: 'in', category: 'auto' });

    // The same message with what does not decide made ordinary, as Thunderbird may show it.
    const ordinary = { ...headers };
    if (by !== 'subject') ordinary['subject'] = [ORDINARY_SUBJECT];
    if (by === 'headers' || by === 'subject') ordinary['from'] = [PERSON];
    for (const author of [ordinary['from']![0]!, '']) {
      const variant = inputOf(ordinary, { author });
      expect(autoReason(variant.author, variant.subject, variant.headers)).toBe(reason);
      expect(classify(variant)).toMatchObject({ direction: 'in', category: 'auto' });
    }
  });

  it('the same decision whether a header value is a string or a list of strings', () => {
    const asStrings = { from: 'MAILER-DAEMON <>', 'return-path': '<>', subject: ORDINARY_SUBJECT };
    const asLists = { from: ['MAILER-DAEMON <>'], 'return-path': ['<>'], subject: [ORDINARY_SUBJECT] };
    expect(autoReason('', ORDINARY_SUBJECT, asStrings)).toBe('null-return-path');
    expect(autoReason('', ORDINARY_SUBJECT, asLists)).toBe('null-return-path');
  });
});
