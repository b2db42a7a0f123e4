// Malformed mail headers through the core helpers (issue 8): nothing throws, ids match Thunderbird's view.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify } from '../../src/core/classify.ts';
import { messageKey, referencedMessageIds } from '../../src/core/keys.ts';

const SECRET = 'secret-de-test';

describe('referencedMessageIds', () => {
  it('garde les espaces entre chevrons, comme le headerMessageId de Thunderbird', async () => {
    const ids = referencedMessageIds('<a@x.fr> <identifiant avec des espaces@exemple.fr>');
    expect(ids).toEqual(['a@x.fr', 'identifiant avec des espaces@exemple.fr']);
    // The key of the reply's reference equals the key of the message Thunderbird lists.
    expect(await messageKey(SECRET, ids[1]!)).toBe(
      await messageKey(SECRET, 'identifiant avec des espaces@exemple.fr'),
    );
  });

  it('lit les identifiants sans chevrons', () => {
    expect(referencedMessageIds('sans-crochets@exemple.fr')).toEqual(['sans-crochets@exemple.fr']);
    expect(referencedMessageIds(' a@x.fr,b@y.fr  pas-un-id ')).toEqual(['a@x.fr', 'b@y.fr']);
  });

  it('ignore les valeurs vides ou sans identifiant', () => {
    expect(referencedMessageIds(undefined)).toEqual([]);
    expect(referencedMessageIds('')).toEqual([]);
    expect(referencedMessageIds('<> < >  rien')).toEqual([]);
  });

  it('suit une chaîne de 5 000 identifiants repliée, dans l’ordre', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `q-${i}.fil@ailleurs.exemple`);
    const folded = ids.map((id, i) => (i % 10 === 0 ? `\r\n <${id}>` : `<${id}>`)).join(' ');
    expect(referencedMessageIds(folded)).toEqual(ids);
  });

  it('ne lève jamais, et chaque identifiant rendu est utilisable comme clé', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (value) => {
        const ids = referencedMessageIds(value);
        for (const id of ids) {
          expect(id.trim()).not.toBe('');
          await messageKey(SECRET, id);
        }
      }),
      { seed: 8, numRuns: 300 },
    );
  });
});

describe('classify sur des en-têtes malformés', () => {
  const base = { balfAddresses: ['sip@dgfip.finances.gouv.fr'], internalDomains: ['dgfip.finances.gouv.fr'] };

  it('un message sans aucun en-tête est un message reçu d’usager', () => {
    expect(classify({ ...base, author: '', subject: '', headers: {} })).toEqual({
      direction: 'in',
      category: 'usager',
      correspondent: '',
    });
  });

  it('des octets 8 bits bruts (Latin-1 lu comme UTF-8) dans From et Subject', () => {
    const author = 'Usager R\ufffdclam\ufffd <usager5@exemple.fr>';
    expect(classify({ ...base, author, subject: 'R\ufffdclamation' })).toMatchObject({
      direction: 'in',
      category: 'usager',
      correspondent: 'usager5@exemple.fr',
    });
  });

  it('ne lève jamais, quels que soient auteur, sujet et en-têtes', () => {
    const text = fc.string({ unit: 'binary', maxLength: 200 });
    fc.assert(
      fc.property(
        text,
        text,
        fc.dictionary(
          fc.constantFrom(
            'auto-submitted',
            'precedence',
            'list-id',
            'content-type',
            'return-path',
            'references',
          ),
          fc.array(text, { maxLength: 3 }),
        ),
        fc.array(text, { maxLength: 3 }),
        (author, subject, headers, recipients) => {
          const c = classify({ ...base, author, subject, headers, recipients });
          expect(['in', 'out', 'ignored']).toContain(c.direction);
        },
      ),
      { seed: 8, numRuns: 500 },
    );
  });
});
