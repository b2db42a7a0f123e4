// Message keys: vectors computed independently with openssl, normalisation, fallback keys, format.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fallbackCanonical, fallbackKey, messageKey, normalizeMessageId } from '../../src/core/keys.ts';

const SECRET = 's3cret-deploiement';
// Vectors computed with the shell (bash, UTF-8), base64url-encoded, padding dropped, 22 characters:
//   v(){ printf '%s' "$2" | openssl dgst -sha256 -hmac "$1" -binary | base64 | tr '+/' '-_' | tr -d '=' | cut -c1-22; }

describe('messageKey: openssl vectors', () => {
  it.each([
    // v 's3cret-deploiement' 'CAFEBABE.1234@exemple.gouv.fr'
    [SECRET, '<CAFEBABE.1234@exemple.gouv.fr>', 'rkY9x0Ebg5YF25TzbCYkUd'],
    // v 's3cret-deploiement' 'cafebabe.1234@exemple.gouv.fr'
    [SECRET, 'cafebabe.1234@exemple.gouv.fr', 'HfsnIayFvzc5HnPyOrK04X'],
    // v 'autre-secret' 'CAFEBABE.1234@exemple.gouv.fr'
    ['autre-secret', 'CAFEBABE.1234@exemple.gouv.fr', 'UP843PU5eGj7LlIPX0ilis'],
    // v 'clé-été' 'id-accentué-é@exemple.fr'   (UTF-8 bytes on both sides)
    ['clé-été', 'id-accentué-é@exemple.fr', '2q2SsZEri4J92wT1O-9uY6'],
  ])('secret %j, id %j → %s', async (secret, id, expected) => {
    expect(await messageKey(secret, id)).toBe(expected);
  });
});

describe('messageKey: normalisation', () => {
  it('brackets and surrounding whitespace do not change the key', async () => {
    const variants = [
      'CAFEBABE.1234@exemple.gouv.fr',
      '<CAFEBABE.1234@exemple.gouv.fr>',
      '  <CAFEBABE.1234@exemple.gouv.fr>\r\n',
      '\t< CAFEBABE.1234@exemple.gouv.fr >',
    ];
    const keys = await Promise.all(variants.map((v) => messageKey(SECRET, v)));
    expect(new Set(keys)).toEqual(new Set(['rkY9x0Ebg5YF25TzbCYkUd']));
  });

  it('case matters (Message-IDs are case-sensitive)', async () => {
    expect(await messageKey(SECRET, 'ABC@x.fr')).not.toBe(await messageKey(SECRET, 'abc@x.fr'));
  });

  it('removes one pair of brackets only', () => {
    expect(normalizeMessageId('<<a@b>>')).toBe('<a@b>');
    expect(normalizeMessageId('<a@b')).toBe('<a@b');
    expect(normalizeMessageId(' a@b ')).toBe('a@b');
  });

  it.each(['', '   ', '<>', ' < > '])('refuses the empty id %j', async (id) => {
    expect(() => normalizeMessageId(id)).toThrow(/Message-ID vide/);
    await expect(messageKey(SECRET, id)).rejects.toThrow(/Message-ID vide/);
  });

  it('refuses an empty secret', async () => {
    await expect(messageKey('', 'a@b')).rejects.toThrow(/secret/);
  });

  it('always yields 22 base64url characters, the same with or without brackets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }),
        async (secret, id) => {
          let normalized: string;
          try {
            normalized = normalizeMessageId(id);
          } catch {
            return fc.pre(false); // nothing left of the id: covered by the empty-id test above
          }
          const key = await messageKey(secret, id);
          expect(key).toMatch(/^[A-Za-z0-9_-]{22}$/);
          expect(await messageKey(secret, ` <${normalized}> `)).toBe(key);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('fallbackKey', () => {
  const msg = {
    date: new Date('2025-03-10T23:30:00Z'),
    author: '  Jean Dupont <Jean.Dupont@exemple.fr> ',
    size: 4096,
  };

  it('hashes the documented canonical string', () => {
    expect(fallbackCanonical(msg)).toBe(
      'fallback\n2025-03-10T23:30:00.000Z\njean dupont <jean.dupont@exemple.fr>\n4096',
    );
    expect(fallbackCanonical({ date: null, author: 'MAILER-DAEMON@exemple.fr', size: 0 })).toBe(
      'fallback\n\nmailer-daemon@exemple.fr\n0',
    );
  });

  it.each([
    // v 's3cret-deploiement' $'fallback\n2025-03-10T23:30:00.000Z\njean dupont <jean.dupont@exemple.fr>\n4096'
    [msg, '5rQ30ezPMtJ1_EWcSWNLM1'],
    // the same instant written with an offset
    [{ ...msg, date: '2025-03-11T00:30:00+01:00' }, '5rQ30ezPMtJ1_EWcSWNLM1'],
    // v 's3cret-deploiement' $'fallback\n\nmailer-daemon@exemple.fr\n0'
    [{ date: null, author: 'MAILER-DAEMON@exemple.fr', size: 0 }, '7z-Ox91JkDhtd7VNXe0SlN'],
  ])('openssl vector %#', async (input, expected) => {
    expect(await fallbackKey(SECRET, input)).toBe(expected);
  });

  it('differs from the key of a Message-ID equal to the canonical string body', async () => {
    expect(await fallbackKey(SECRET, msg)).not.toBe(await messageKey(SECRET, 'jean dupont'));
  });

  it.each([
    [{ ...msg, date: new Date(Number.NaN) }, /Date de message invalide/],
    [{ ...msg, date: '2025-03-10T23:30:00' }, /2025-03-10T23:30:00/],
    [{ ...msg, date: '2025-02-30T10:00:00Z' }, /2025-02-30/],
    [{ ...msg, size: -1 }, /Taille de message invalide : -1/],
    [{ ...msg, size: 1.5 }, /1\.5/],
  ])('refuses bad input %#', async (input, message) => {
    await expect(fallbackKey(SECRET, input)).rejects.toThrow(message);
  });

  it('always yields 22 base64url characters', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })),
        fc.string(),
        fc.nat(),
        async (date, author, size) => {
          expect(await fallbackKey(SECRET, { date, author, size })).toMatch(/^[A-Za-z0-9_-]{22}$/);
        },
      ),
      { numRuns: 200 },
    );
  });
});
