// The pairing rule for replies sent from another identity than the BALF's (the agent's own address, or
// another BALF of the same Thunderbird): table-driven, each case saying what it shows.
import { describe, expect, it } from 'vitest';
import {
  FOREIGN_SEND_HEADERS,
  foreignAnswers,
  foreignSendHeaders,
  foreignSendKind,
  type ForeignSend,
} from '../../src/core/foreign-replies.ts';
import { MAX_RE_KEYS } from '../../src/core/protocol.ts';

const A = 'sip.a@dgfip.finances.gouv.fr';
const B = 'sie.b@dgfip.finances.gouv.fr';
const AGENT = 'jean.agent@dgfip.finances.gouv.fr';
const key = (n: number): string => `k${String(n).padStart(21, '0')}`;

/** Ledger of received keys: A received 1 and 2, B received 3. */
const received = new Map([
  [A, new Set([key(1), key(2)])],
  [B, new Set([key(3)])],
]);
const receivedBy = (balf: string, k: string): boolean => received.get(balf)?.has(k) ?? false;
const send = (over: Partial<ForeignSend>): ForeignSend => ({
  sender: AGENT,
  kind: 'reply',
  refKeys: [],
  ...over,
});

describe('foreignAnswers', () => {
  it.each<[string, Partial<ForeignSend>, { balf: string; via: string }[]]>([
    [
      'a personal reply to a message A received counts for A, via personal',
      { refKeys: [key(1)] },
      [{ balf: A, via: 'personal' }],
    ],
    [
      'the answered message deeper in References still counts (nearest first after In-Reply-To)',
      { refKeys: [key(99), key(2)] },
      [{ balf: A, via: 'personal' }],
    ],
    ['a personal reply naming nothing a BALF received leaves no trace', { refKeys: [key(98), key(99)] }, []],
    ['a personal message with no reference at all leaves no trace', { refKeys: [] }, []],
    ['a personal forward of a BALF message is not an answer', { kind: 'forward', refKeys: [key(1)] }, []],
    ['a personal automatic reply is not an answer', { kind: 'auto', refKeys: [key(1)] }, []],
    ['a new message is not an answer', { kind: 'new', refKeys: [key(1)] }, []],
    [
      'a reply from BALF A to a message of BALF B counts for B, via other-balf',
      { sender: A, refKeys: [key(3)] },
      [{ balf: B, via: 'other-balf' }],
    ],
    [
      'a reply from BALF A to its own message is no foreign answer (the BALF path counts it)',
      { sender: A, refKeys: [key(1)] },
      [],
    ],
    [
      'a reply naming messages of both BALFs counts for each but the sender',
      { sender: A, refKeys: [key(1), key(3)] },
      [{ balf: B, via: 'other-balf' }],
    ],
    [
      'a personal reply naming messages of both BALFs counts for both',
      { refKeys: [key(3), key(1)] },
      [
        { balf: A, via: 'personal' },
        { balf: B, via: 'personal' },
      ],
    ],
    [
      'the sender address is compared whatever its case',
      { sender: 'SIP.A@DGFIP.finances.gouv.fr', refKeys: [key(3)] },
      [{ balf: B, via: 'other-balf' }],
    ],
  ])('%s', (_what, over, expected) => {
    const answers = foreignAnswers(send(over), [A, B], receivedBy);
    expect(answers.map(({ balf, via }) => ({ balf, via }))).toEqual(expected);
    for (const a of answers) expect(a.re).toEqual([...new Set(over.refKeys)]);
  });

  it('keeps the nearest MAX_RE_KEYS references, without repeats, and pairs only through them', () => {
    const refs = [key(1), key(1), ...Array.from({ length: 30 }, (_, i) => key(100 + i))];
    const [answer] = foreignAnswers(send({ refKeys: refs }), [A], receivedBy);
    expect(answer?.re).toHaveLength(MAX_RE_KEYS);
    expect(answer?.re[0]).toBe(key(1));
    // A received message named only beyond the kept references would not pair on the server: not counted.
    const far = [...Array.from({ length: MAX_RE_KEYS }, (_, i) => key(200 + i)), key(2)];
    expect(foreignAnswers(send({ refKeys: far }), [A], receivedBy)).toEqual([]);
  });

  it('watches only the BALFs it is given', () => {
    expect(foreignAnswers(send({ refKeys: [key(3)] }), [A], receivedBy)).toEqual([]);
  });
});

describe('foreignSendKind', () => {
  it.each<[string, Record<string, string[]>, string | undefined, string]>([
    ['In-Reply-To makes a reply', { 'in-reply-to': ['<q1@exemple.fr>'] }, undefined, 'reply'],
    ['References alone make a reply', { references: ['<q1@exemple.fr>'] }, undefined, 'reply'],
    [
      'Thunderbird forwards carry X-Forwarded-Message-Id (and In-Reply-To): a forward',
      {
        'in-reply-to': ['<q1@exemple.fr>'],
        references: ['<q1@exemple.fr>'],
        'x-forwarded-message-id': ['<q1@exemple.fr>'],
      },
      undefined,
      'forward',
    ],
    [
      'the compose type forward wins over the headers',
      { 'in-reply-to': ['<q1@exemple.fr>'] },
      'forward',
      'forward',
    ],
    ['a redirect is no answer', { 'in-reply-to': ['<q1@exemple.fr>'] }, 'redirect', 'forward'],
    [
      'a reply sent again from Drafts keeps its In-Reply-To',
      { 'in-reply-to': ['<q1@exemple.fr>'] },
      'draft',
      'reply',
    ],
    ['the compose type reply alone makes a reply', {}, 'reply', 'reply'],
    [
      'Auto-Submitted marks an automatic send',
      { 'in-reply-to': ['<q1@exemple.fr>'], 'auto-submitted': ['auto-replied'] },
      'reply',
      'auto',
    ],
    [
      'Auto-Submitted: no is a person',
      { 'in-reply-to': ['<q1@exemple.fr>'], 'auto-submitted': ['no'] },
      undefined,
      'reply',
    ],
    ['nothing named: a new message', {}, undefined, 'new'],
  ])('%s', (_what, headers, composeType, expected) => {
    expect(foreignSendKind(headers, composeType)).toBe(expected);
  });
});

describe('foreignSendHeaders', () => {
  it('keeps only the reference and automatic markers: never recipients, subject or body', () => {
    const kept = foreignSendHeaders({
      From: ['Jean Agent <jean.agent@dgfip.finances.gouv.fr>'],
      To: ['Usager <usager@exemple.fr>'],
      Subject: ['Re: Mon dossier fiscal'],
      'In-Reply-To': ['<q1@exemple.fr>'],
      references: ['<q0@exemple.fr> <q1@exemple.fr>'],
      'content-type': ['text/plain'],
      'Auto-Submitted': ['no'],
    });
    expect(kept).toEqual({
      'in-reply-to': ['<q1@exemple.fr>'],
      references: ['<q0@exemple.fr> <q1@exemple.fr>'],
      'auto-submitted': ['no'],
    });
    expect(
      Object.keys(kept).every((name) => (FOREIGN_SEND_HEADERS as readonly string[]).includes(name)),
    ).toBe(true);
  });
});
