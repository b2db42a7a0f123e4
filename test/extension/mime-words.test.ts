// RFC 2047 encoded words in subjects read through messages.getHeaders.
import { describe, expect, it } from 'vitest';
import { decodeEncodedWords } from '../../src/extension/mime-words.ts';

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
