// RFC 2047 encoded words in subjects read through messages.getHeaders, and its raw headers made text.
import { describe, expect, it } from 'vitest';
import { decodeEncodedWords, rawHeadersAsText } from '../../src/extension/mime-words.ts';

describe('decodeEncodedWords', () => {
  it('decodes Q and B words in UTF-8 and Latin-1, joining adjacent words', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?R=C3=A9ponse_automatique?=')).toBe('Réponse automatique');
    expect(decodeEncodedWords('RE : =?utf-8?B?RMOpY2xhcmF0aW9uIGRlIHJldmVudXM=?=')).toBe(
      'RE : Déclaration de revenus',
    );
    expect(decodeEncodedWords('=?ISO-8859-1?Q?Accus=E9_de?= =?ISO-8859-1?Q?_r=E9ception?=')).toBe(
      'Accusé de réception',
    );
    expect(decodeEncodedWords('=?utf-8*fr?Q?=C3=A9t=C3=A9?=')).toBe('été');
  });

  it('leaves plain or already decoded text, unknown charsets and broken base64 as they are', () => {
    expect(decodeEncodedWords('Réponse automatique')).toBe('Réponse automatique');
    expect(decodeEncodedWords('prix = 3 ?')).toBe('prix = 3 ?');
    expect(decodeEncodedWords('=?x-inconnu?Q?abc?=')).toBe('=?x-inconnu?Q?abc?=');
    expect(decodeEncodedWords('=?utf-8?B?@@@?=')).toBe('=?utf-8?B?@@@?=');
  });
});

/** How Thunderbird hands 8-bit header bytes over in raw headers: one character per byte. */
const binary = (bytes: Uint8Array): string => String.fromCharCode(...bytes);

describe('rawHeadersAsText', () => {
  it('unfolds raw values and decodes 8-bit bytes as UTF-8, else Windows-1252, leaving encoded words', () => {
    const utf8 = binary(new TextEncoder().encode('RE : Taxe foncière 2026'));
    const latin1 = binary(Uint8Array.from([0x41, 0x63, 0x63, 0x75, 0x73, 0xe9])); // "Accusé" in Latin-1
    expect(
      rawHeadersAsText({
        subject: [utf8],
        'x-old-client': [latin1],
        references: ['<a@exemple.fr>\r\n <b@exemple.fr>'],
        received: ['from mx by balf;\r\n\tTue, 1 Dec 2026 08:00:00 +0100'],
        'x-encoded': ['=?UTF-8?Q?R=C3=A9ponse?='],
      }),
    ).toEqual({
      subject: ['RE : Taxe foncière 2026'],
      'x-old-client': ['Accusé'],
      references: ['<a@exemple.fr> <b@exemple.fr>'],
      received: ['from mx by balf;\tTue, 1 Dec 2026 08:00:00 +0100'],
      'x-encoded': ['=?UTF-8?Q?R=C3=A9ponse?='],
    });
  });

  it('passes text that is already decoded unchanged (a Thunderbird that refused the raw option)', () => {
    const decoded = { subject: ['Réponse : délai — 2026'], to: ['Hörst, Kenny <k@exemple.fr>'] };
    expect(rawHeadersAsText(decoded)).toEqual(decoded);
  });
});
