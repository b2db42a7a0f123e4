// Property: the category decided with a message's headers never depends on what the list-only pass guessed,
// and it is the one new mail gets when its headers are read before it is counted (both paths agree).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import { receivedCategories } from '../../src/core/protocol.ts';
import { ingestHeaders } from '../../src/extension/ingest.ts';
import { Refine, Up, type LedgerRow } from '../../src/extension/ledger.ts';
import type { MessageHeader } from '../../src/extension/platform.ts';
import { Refiner } from '../../src/extension/refine.ts';
import { header } from './fake-messenger.ts';
import { BALF, freshLedger, SECRET, TestClock, testConfig } from './helpers.ts';

const AUTHORS = [
  'Jean Usager <jean.usager@example.org>',
  'Éditions Exemple <info@editeur.example>',
  'Agent <agent.collegue@dgfip.finances.gouv.fr>',
  'MAILER-DAEMON@mx.example.net',
  'Ne pas répondre <ne-pas-repondre@impots.example>',
];
const SUBJECTS = [
  'Question sur ma taxe foncière',
  'Mise à jour de votre abonnement',
  'Réponse automatique : absent',
];
const FOLDERS = [
  { accountId: 'account1', path: '/INBOX', specialUse: ['inbox'] },
  { accountId: 'account1', path: '/Junk', specialUse: ['junk'] },
  { accountId: 'account1', path: '/INBOX/Dossiers' },
];
/** Each header present or not, with values that make a message automatic and values that do not. */
const OPTIONAL_HEADERS: Record<string, string[]> = {
  'auto-submitted': ['auto-generated', 'auto-replied', 'no'],
  precedence: ['bulk', 'list', 'first-class'],
  'list-id': ['<abonnes.editeur.example>'],
  'list-unsubscribe': ['<mailto:stop@editeur.example>'],
  'content-type': ['multipart/report; report-type=delivery-status', 'text/plain; charset=utf-8'],
  'return-path': ['<>', '<jean.usager@example.org>'],
  'in-reply-to': ['<question-1@example.org>'],
  references: ['<older-0@example.org> <question-1@example.org>', '<question-1@example.org>'],
  subject: ['=?utf-8?Q?R=C3=A9ponse_automatique_:_absent?=', 'Autre objet'],
};

const message = fc.record({
  author: fc.constantFrom(...AUTHORS),
  subject: fc.constantFrom(...SUBJECTS),
  folder: fc.constantFrom(...FOLDERS),
  junk: fc.boolean(),
  headers: fc.record(
    Object.fromEntries(Object.entries(OPTIONAL_HEADERS).map(([k, v]) => [k, fc.constantFrom(...v)])),
    { requiredKeys: [] },
  ),
});

let n = 0;

describe('refinement property', () => {
  it('decides the same category and references whatever the list-only guess, as new mail gets them', async () => {
    const ledger = await freshLedger();
    const clock = new TestClock(new Date('2026-11-20T12:00:00Z'));
    const ctx = { balf: BALF, config: testConfig() };
    await fc.assert(
      fc.asyncProperty(message, async (m) => {
        const headers = Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, [v as string]]));
        const h: MessageHeader = header({
          author: m.author,
          subject: m.subject,
          folder: m.folder,
          junk: m.junk,
          headerMessageId: `prop-${++n}@example.org`,
        });
        const getFull = async () => ({ headers: structuredClone(headers) });
        // New mail: headers read before the row is written.
        await ingestHeaders({ ledger, getFull, clock: clock.fn }, ctx, [h], { deferHeuristic: false });
        const live = await ledger.get(BALF, await messageKey(SECRET, h.headerMessageId));
        expect(live?.hdr).toBe(true);
        // A walk's row, its list-only category forced to each value, then refined.
        for (const guess of receivedCategories) {
          const refined = await refineWithGuess(live!, guess, h, getFull);
          expect({ guess, cat: refined.cat, refs: refined.refs }).toEqual({
            guess,
            cat: live!.cat,
            refs: live!.refs,
          });
          expect(refined).toMatchObject({ hdr: true, up: Up.pending });
          expect(refined.refine).toBeUndefined();
        }
      }),
      { numRuns: 60 },
    );

    async function refineWithGuess(
      live: LedgerRow,
      guess: LedgerRow['cat'],
      h: MessageHeader,
      getFull: () => Promise<{ headers: Record<string, string[]> }>,
    ): Promise<LedgerRow> {
      const { hdr: _h, refs: _r, ...listOnly } = live;
      await ledger.put({ ...listOnly, cat: guess, refine: Refine.waiting, up: Up.acknowledged });
      const refiner = new Refiner({ ledger, getFull }, ctx, 2);
      refiner.add([{ key: live.key, header: h }]);
      await refiner.drain();
      return (await ledger.get(BALF, live.key))!;
    }
  });
});
