// Tests of message classification on real-world header shapes (fixtures) and of address parsing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  categoryWins,
  RECEIVED_PRECEDENCE,
  classify,
  isInternal,
  parseAddress,
  parseAddressList,
  type Classification,
  type ClassifyInput,
} from '../../src/core/classify.ts';
import { decodeEncodedWords } from '../../src/core/replies.ts';
import { inputOf, readHeaders } from './classify-fixtures.ts';

/** What the add-on passes for a fixture of `fixtures/headers/`. */
function inputFrom(name: string, extra: Partial<ClassifyInput> = {}): ClassifyInput {
  return inputOf(readHeaders(new URL(`fixtures/headers/${name}`, import.meta.url)), extra);
}

const received = (category: string, correspondent: string): Classification =>
  ({ direction: 'in', category, correspondent }) as Classification;
const sentAs = (category: string, correspondents: string[]): Classification =>
  ({ direction: 'out', category, correspondents }) as Classification;

describe('classify: received messages (fixtures)', () => {
  it.each([
    {
      file: 'exchange-auto-reply-fr.eml',
      expected: received('auto', 'sophie.martin@entreprise-exemple.fr'),
      why: 'Outlook/Exchange "Réponse automatique :" with Auto-Submitted: auto-replied',
    },
    {
      file: 'exchange-oof-subject-only.eml',
      expected: received('auto', 'p.durand@cabinet-exemple.com'),
      why: 'Exchange "Automatic reply:" without Auto-Submitted: recognised by its subject',
    },
    {
      file: 'gmail-vacation.eml',
      expected: received('auto', 'jean.usager@gmail.com'),
      why: 'Gmail vacation responder (Auto-Submitted: auto-replied, "Re:" subject)',
    },
    {
      file: 'lotus-domino-out-of-office.eml',
      expected: received('auto', 'jp.lefebvre@mairie-exemple.fr'),
      why: 'Lotus Domino out-of-office agent (Auto-Submitted: auto-generated)',
    },
    {
      file: 'dovecot-sieve-vacation.eml',
      expected: received('auto', 'claire.petit@free.fr'),
      why: 'Dovecot/Sieve vacation ("auto-replied (vacation)")',
    },
    {
      file: 'mailer-daemon-dsn.eml',
      expected: received('auto', 'mailer-daemon@smtp.relais-exemple.net'),
      why: 'Postfix MAILER-DAEMON delivery report (multipart/report; delivery-status)',
    },
    {
      file: 'exchange-ndr-postmaster-fr.eml',
      expected: received('auto', 'postmaster@outlook.fr'),
      why: 'Exchange "Non remis :" report from postmaster',
    },
    {
      file: 'read-receipt.eml',
      expected: received('auto', 'marie.bernard@orange.fr'),
      why: 'read receipt (multipart/report; disposition-notification)',
    },
    {
      file: 'mailing-list.eml',
      expected: received('auto', 'actualites@association-contribuables.org'),
      why: 'mailing list (List-Id, Precedence: list)',
    },
    {
      file: 'no-reply-sender.eml',
      expected: received('auto', 'ne-pas-repondre@impots.gouv.fr'),
      why: 'a "ne-pas-repondre@" sender',
    },
    {
      file: 'usager-comma-quotes.eml',
      expected: received('usager', 'jean.dupont@laposte.net'),
      why: 'a person whose display name holds a comma and escaped quotes; address lower-cased',
    },
    {
      file: 'usager-reply-french-spacing.eml',
      expected: received('usager', 'lucie.moreau@wanadoo.fr'),
      why: '"RE : " reply from a person; Auto-Submitted: no and X-Auto-Response-Suppress are not automatic',
    },
    {
      file: 'usager-english.eml',
      expected: received('usager', 'john.smith@example.co.uk'),
      why: 'an English "Fwd:" from a person',
    },
    {
      file: 'interne-subdomain.eml',
      expected: received('interne', 'prenom.nom@ddfip-75.dgfip.finances.gouv.fr'),
      why: 'a colleague from a subdomain of the internal domain',
    },
    {
      file: 'lookalike-domain.eml',
      expected: received('usager', 'contact@dgfip.finances.gouv.fr.remboursement-exemple.com'),
      why: 'a look-alike domain is not internal',
    },
  ])('$why', ({ file, expected }) => {
    expect(classify(inputFrom(file))).toEqual(expected);
  });

  it('junk: the junk flag or the Junk folder wins over everything else', () => {
    expect(classify(inputFrom('usager-comma-quotes.eml', { junk: true }))).toEqual(
      received('junk', 'jean.dupont@laposte.net'),
    );
    expect(classify(inputFrom('mailing-list.eml', { folderSpecialUse: ['junk'] })).direction).toBe('in');
    expect(classify(inputFrom('mailing-list.eml', { folderSpecialUse: ['junk'] }))).toMatchObject({
      category: 'junk',
    });
  });

  it('counts received mail in Trash, Archives and user folders', () => {
    for (const folderSpecialUse of [['trash'], ['archives'], []]) {
      expect(classify(inputFrom('usager-english.eml', { folderSpecialUse }))).toMatchObject({
        direction: 'in',
        category: 'usager',
      });
    }
  });

  it('an empty or unparsable author falls back on the raw From header; with neither, no correspondent', () => {
    expect(classify(inputFrom('usager-english.eml', { author: '' }))).toEqual(
      received('usager', 'john.smith@example.co.uk'),
    );
    expect(classify(inputFrom('usager-english.eml', { author: 'Jean Dupont' }))).toEqual(
      received('usager', 'john.smith@example.co.uk'),
    );
    const { headers: _dropped, ...listOnly } = inputFrom('usager-english.eml', { author: 'Jean Dupont' });
    expect(classify(listOnly)).toEqual(received('usager', ''));
    expect(classify(inputFrom('usager-english.eml', { author: '', headers: {} }))).toEqual(
      received('usager', ''),
    );
  });
});

describe('classify: sent messages (fixtures)', () => {
  const sentFolder = { folderSpecialUse: ['sent'] };
  it.each([
    {
      file: 'balf-reply-thunderbird.eml',
      expected: sentAs('reply', ['jean.dupont@laposte.net', 'chef.sip@dgfip.finances.gouv.fr']),
      why: 'Thunderbird reply; the BALF address in another case is still the BALF; the BALF in Cc is no correspondent',
    },
    {
      file: 'balf-reply-outlook-french.eml',
      expected: sentAs('reply', ['lucie.moreau@wanadoo.fr']),
      why: '"RE : " with French spacing and no In-Reply-To',
    },
    {
      file: 'balf-forward-thunderbird.eml',
      expected: sentAs('forward', ['sie.paris-15@dgfip.finances.gouv.fr']),
      why: '"TR: " forward, although Thunderbird also set References',
    },
    {
      file: 'balf-forward-edited-subject.eml',
      expected: sentAs('forward', ['sie.paris-15@dgfip.finances.gouv.fr']),
      why: 'forward with an edited subject, known by X-Forwarded-Message-Id',
    },
    {
      file: 'balf-reply-to-forward.eml',
      expected: sentAs('reply', ['sie.paris-15@dgfip.finances.gouv.fr']),
      why: '"RE: TR:" is a reply (the first prefix decides)',
    },
    {
      file: 'balf-new.eml',
      expected: sentAs('new', ['jean.dupont@laposte.net']),
      why: 'a new message',
    },
    {
      file: 'balf-acknowledgement-rule.eml',
      expected: sentAs('auto', ['jean.dupont@laposte.net']),
      why: 'an acknowledgement sent by a BALF rule (Auto-Submitted) is not a reply',
    },
  ])('$why', ({ file, expected }) => {
    expect(classify(inputFrom(file, sentFolder))).toEqual(expected);
  });

  it('a message authored by the BALF is sent wherever it is found (Inbox copy)', () => {
    expect(classify(inputFrom('balf-new.eml', { folderSpecialUse: ['inbox'] }))).toEqual(
      sentAs('new', ['jean.dupont@laposte.net']),
    );
  });

  it('without the raw subject (Thunderbird strips "Re: "), In-Reply-To still makes a reply', () => {
    const input = inputFrom('balf-reply-thunderbird.eml', { subject: "Demande d'échéancier" });
    expect(classify(input)).toMatchObject({ direction: 'out', category: 'reply' });
    const { subject: _dropped, ...withoutSubject } = input;
    expect(classify(withoutSubject)).toMatchObject({ category: 'reply' });
  });

  it('X-Autoreply on a sent message makes it automatic', () => {
    expect(classify(inputFrom('balf-new.eml', { headers: { 'x-autoreply': 'yes' } }))).toMatchObject({
      category: 'auto',
    });
  });

  it('BALF addresses may be given with a display name or in upper case', () => {
    const input = inputFrom('balf-new.eml', { balfAddresses: ['SIP <SIP.PARIS-15@DGFIP.FINANCES.GOUV.FR>'] });
    expect(classify(input).direction).toBe('out');
  });
});

describe('classify: ignored messages', () => {
  it.each([
    { folder: 'drafts', reason: 'draft' },
    { folder: 'templates', reason: 'template' },
    { folder: 'outbox', reason: 'outbox' },
  ])('$folder → ignored ($reason), even when authored by the BALF', ({ folder, reason }) => {
    expect(classify(inputFrom('balf-new.eml', { folderSpecialUse: [folder] }))).toEqual({
      direction: 'ignored',
      reason,
    });
  });

  it('a message in Sent not authored by the BALF is not counted (not-balf)', () => {
    expect(classify(inputFrom('usager-english.eml', { folderSpecialUse: ['sent'] }))).toEqual({
      direction: 'ignored',
      reason: 'not-balf',
    });
  });
});

describe('parseAddress', () => {
  it.each([
    { raw: 'jean@x.fr', name: '', address: 'jean@x.fr', why: 'bare address' },
    {
      raw: 'Jean Dupont <Jean.Dupont@X.fr>',
      name: 'Jean Dupont',
      address: 'jean.dupont@x.fr',
      why: 'name and address',
    },
    { raw: '"Dupont, Jean" <j@x.fr>', name: 'Dupont, Jean', address: 'j@x.fr', why: 'quoted comma' },
    {
      raw: '"Dupont \\"Jeannot\\"" <j@x.fr>',
      name: 'Dupont "Jeannot"',
      address: 'j@x.fr',
      why: 'escaped quotes',
    },
    { raw: '"a@b.fr" <real@x.fr>', name: 'a@b.fr', address: 'real@x.fr', why: 'an address-like name' },
    {
      raw: '"<trap@x.fr>" <real@x.fr>',
      name: '<trap@x.fr>',
      address: 'real@x.fr',
      why: 'angle brackets inside quotes',
    },
    {
      raw: '=?UTF-8?Q?Fran=C3=A7ois?= <f@x.fr>',
      name: '=?UTF-8?Q?Fran=C3=A7ois?=',
      address: 'f@x.fr',
      why: 'encoded word kept',
    },
    { raw: '<j@x.fr>', name: '', address: 'j@x.fr', why: 'brackets only' },
    { raw: 'j@x.fr (Jean Dupont)', name: 'Jean Dupont', address: 'j@x.fr', why: 'old comment form' },
    { raw: 'Jean <j@x.fr', name: 'Jean', address: 'j@x.fr', why: 'unclosed bracket' },
    { raw: 'mailto:J@X.FR', name: '', address: 'j@x.fr', why: 'mailto: prefix' },
    { raw: 'Jean Dupont', name: '', address: '', why: 'no address' },
    { raw: 'Jean <pas une adresse>', name: 'Jean', address: '', why: 'garbage in brackets' },
    { raw: '', name: '', address: '', why: 'empty' },
  ])('$why: $raw', ({ raw, name, address }) => {
    expect(parseAddress(raw)).toEqual({ name, address });
  });

  it('never throws and returns either a plausible address or ""', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        const { address } = parseAddress(raw);
        return address === '' || (/^[^\s@<>]+@[^\s@<>]+$/.test(address) && address === address.toLowerCase());
      }),
    );
  });

  it('round-trips generated "Name" <addr> forms', () => {
    const name = fc.string({ maxLength: 20 }).filter((s) => !/[\r\n]/.test(s));
    const address = fc.emailAddress().filter((a) => !/["(),:;<>@[\\\]\s]/.test(a.split('@')[0]!));
    fc.assert(
      fc.property(name, address, (n, a) => {
        const raw = `"${n.replace(/(["\\])/g, '\\$1')}" <${a}>`;
        expect(parseAddress(raw)).toEqual({ name: n.trim(), address: a.toLowerCase() });
      }),
    );
  });
});

describe('parseAddressList and isInternal', () => {
  it('splits on commas outside quotes and brackets', () => {
    expect(
      parseAddressList('"Dupont, Jean" <j@x.fr>, b@y.fr; Chef <c@z.fr>, pas-une-adresse').map(
        (a) => a.address,
      ),
    ).toEqual(['j@x.fr', 'b@y.fr', 'c@z.fr']);
  });

  it.each([
    { address: 'a@dgfip.finances.gouv.fr', internal: true },
    { address: 'a@DDFIP-75.DGFIP.finances.gouv.fr', internal: true },
    { address: 'a@fakedgfip.finances.gouv.fr', internal: false },
    { address: 'a@dgfip.finances.gouv.fr.example.com', internal: false },
    { address: '', internal: false },
  ])('$address internal: $internal', ({ address, internal }) => {
    expect(isInternal(address, ['@DGFiP.finances.gouv.fr'])).toBe(internal);
  });
});

describe('decodeEncodedWords', () => {
  it.each([
    { raw: '=?UTF-8?Q?R=C3=A9ponse_automatique?=', text: 'Réponse automatique' },
    { raw: '=?iso-8859-1?Q?R=E9f=2E_:?= dossier', text: 'Réf. : dossier' },
    { raw: '=?UTF-8?B?UsOpcG9uc2U=?= =?UTF-8?B?IGF1dG9tYXRpcXVl?=', text: 'Réponse automatique' },
    { raw: '=?x-unknown?Q?abc?=', text: '=?x-unknown?Q?abc?=' },
    { raw: 'plain', text: 'plain' },
  ])('$raw → $text', ({ raw, text }) => {
    expect(decodeEncodedWords(raw)).toBe(text);
  });
});

describe('categoryWins: which classification of one received message is stored', () => {
  it.each([
    [
      'headers beat the list alone, even towards usager',
      { cat: 'usager', hdr: true },
      { cat: 'auto', hdr: false },
      true,
    ],
    ['the list alone never beats headers', { cat: 'auto', hdr: false }, { cat: 'usager', hdr: true }, false],
    ['equal knowledge: auto beats usager', { cat: 'auto', hdr: true }, { cat: 'usager', hdr: true }, true],
    [
      'equal knowledge: usager does not beat junk',
      { cat: 'usager', hdr: true },
      { cat: 'junk', hdr: true },
      false,
    ],
    ['a replay changes nothing', { cat: 'interne', hdr: true }, { cat: 'interne', hdr: true }, false],
  ] as const)('%s', (_why, incoming, stored, expected) => {
    expect(categoryWins(incoming, stored)).toBe(expected);
  });

  it('settles any two classifications the same whichever arrives first (a total order)', () => {
    const classification = fc.record({ cat: fc.constantFrom(...RECEIVED_PRECEDENCE), hdr: fc.boolean() });
    fc.assert(
      fc.property(classification, classification, (a, b) => {
        const same = a.cat === b.cat && a.hdr === b.hdr;
        // Exactly one of two different classifications wins against the other.
        expect(categoryWins(a, b) !== categoryWins(b, a) || same).toBe(true);
        if (same) expect(categoryWins(a, b)).toBe(false);
      }),
    );
  });
});
