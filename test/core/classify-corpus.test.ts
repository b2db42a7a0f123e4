// The classifier over a public corpus of real machine-made mail (sisimai/set-of-emails) and over hand-made persons' messages.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { autoReason, classify, type ClassifyInput } from '../../src/core/classify.ts';
import { decodeEncodedWords } from '../../src/core/replies.ts';
import { inputOf, listFiles, readHeaders } from './classify-fixtures.ts';

const CORPUS = fileURLToPath(new URL('fixtures/sisimai-set-of-emails/messages/', import.meta.url));
const PERSONS = fileURLToPath(new URL('fixtures/persons/', import.meta.url));

/** Corpus messages a person wrote: the corpus keeps them as counter-examples or as forwarded bounces. */
const CORPUS_PERSONS: Record<string, string> = {
  'maildir/not/is-not-bounce-01.eml':
    'a plain message from a named sender, which the corpus itself files under "not a bounce"',
  'maildir/not/is-not-bounce-02.eml': 'a person forwarding a message as an attachment (Apple Mail)',
  'maildir/bsd/lhost-sendmail-14.eml': 'a person forwarding a sendmail bounce ("Fwd: Returned mail…")',
  'maildir/err/make-test-36.eml': 'a person forwarding a sendmail bounce ("Fwd: Returned mail…")',
};

/** The headers that explain a category, for failure messages. */
function summary(input: ClassifyInput): string {
  const h = input.headers ?? {};
  const show = (name: string): string => {
    const v = h[name];
    return v === undefined ? '' : ` ${name}: ${String(typeof v === 'string' ? v : v[0]).slice(0, 80)}`;
  };
  return ['from', 'sender', 'return-path', 'subject', 'content-type', 'auto-submitted'].map(show).join(' |');
}

describe('classify over sisimai/set-of-emails (real bounces, auto-replies, reports)', () => {
  const files = listFiles(CORPUS);
  const inputs = files.map((file) => ({ file, input: inputOf(readHeaders(CORPUS + file)) }));

  it('holds the vendored corpus (624 distinct header blocks, 4 of them persons)', () => {
    expect(files).toHaveLength(624);
    expect(Object.keys(CORPUS_PERSONS).filter((f) => files.includes(f))).toHaveLength(4);
  });

  it('classifies every machine-made message auto', () => {
    const missed = inputs
      .filter(({ file }) => !(file in CORPUS_PERSONS))
      .map(({ file, input }) => ({ file, input, result: classify(input) }))
      .filter(({ result }) => result.direction !== 'in' || result.category !== 'auto')
      .map(({ file, input, result }) => `${file}: ${JSON.stringify(result)} —${summary(input)}`);
    expect(missed).toEqual([]);
  });

  it('keeps the persons of the corpus out of auto', () => {
    const wrong = Object.entries(CORPUS_PERSONS)
      .map(([file, why]) => ({ file, why, input: inputOf(readHeaders(CORPUS + file)) }))
      .map((c) => ({ ...c, result: classify(c.input) }))
      .filter(({ result }) => !(result.direction === 'in' && ['usager', 'interne'].includes(result.category)))
      .map(
        ({ file, why, input, result }) =>
          `${file} (${why}): ${JSON.stringify(result)}, ${autoReason(input.author, input.subject, input.headers)}`,
      );
    expect(wrong).toEqual([]);
  });

  it('decides from the headers whatever author Thunderbird gives (raw, decoded, or empty)', () => {
    const unstable = inputs
      .map(({ file, input }) => {
        const raw = classify(input);
        const decoded = classify({ ...input, author: decodeEncodedWords(input.author) });
        const empty = classify({ ...input, author: '' });
        return {
          file,
          same:
            JSON.stringify(raw) === JSON.stringify(decoded) && JSON.stringify(raw) === JSON.stringify(empty),
        };
      })
      .filter(({ same }) => !same)
      .map(({ file }) => file);
    expect(unstable).toEqual([]);
  });
});

/** Hand-made persons' messages, each with a trait that looks automatic and must not decide. */
const PERSON_CASES = [
  {
    file: 'forwarded-bounce-inline.eml',
    category: 'usager',
    why: 'a usager forwards a bounce inline (« TR: Undelivered Mail… »); its quoted headers are body',
  },
  {
    file: 'forwarded-bounce-attached.eml',
    category: 'usager',
    why: 'a usager forwards a bounce as message/rfc822 (Thunderbird)',
  },
  {
    file: 'forwarded-outlook-ndr-fr.eml',
    category: 'usager',
    why: 'an Outlook user forwards an Exchange NDR (« TR: Non remis : »), X-MS-Exchange-* headers of a person',
  },
  { file: 'interne-forwards-bounce.eml', category: 'interne', why: 'a colleague forwards a bounce' },
  { file: 'reply-with-references.eml', category: 'usager', why: 'a reply with In-Reply-To and References' },
  {
    file: 'outlook-auto-response-suppress.eml',
    category: 'usager',
    why: "Outlook sets X-Auto-Response-Suppress: All on a person's message",
  },
  {
    file: 'read-receipt-requested.eml',
    category: 'usager',
    why: 'a person asks for a read receipt (Disposition-Notification-To, Return-Receipt-To)',
  },
  {
    file: 'auto-submitted-no.eml',
    category: 'usager',
    why: 'Auto-Submitted: no, Precedence: first-class, X-Priority',
  },
  { file: 'surname-robot.eml', category: 'usager', why: 'a person named Robot (jean.robot@)' },
  {
    file: 'robot-mailbox-name.eml',
    category: 'usager',
    why: 'a workshop whose mailbox and name are « Robot »',
  },
  {
    file: 'surname-postmaster.eml',
    category: 'usager',
    why: 'a person named Postmaster: only a whole robot name or a robot local part decides',
  },
  {
    file: 'info-editeur-subscription.eml',
    category: 'usager',
    why: 'info@ with « Mise à jour de votre abonnement » and no list or automatic header',
  },
  {
    file: 'subjects-that-mention-automatic.eml',
    category: 'usager',
    why: '« Réponse automatique ? Toujours pas de réponse… » (no colon after the words)',
  },
  {
    file: 'reply-to-auto-reply.eml',
    category: 'usager',
    why: 'a person answers an auto-reply (« RE: Réponse automatique : »)',
  },
  {
    file: 'mailer-daemon-in-subject.eml',
    category: 'usager',
    why: "MAILER-DAEMON named in a person's subject",
  },
  {
    file: 'forwarded-by-provider.eml',
    category: 'usager',
    why: "redirected by the usager's old provider (SRS Return-Path, X-Forwarded-To, X-Loop, Resent-From)",
  },
  {
    file: 'sent-on-behalf.eml',
    category: 'usager',
    why: 'sent by a secretary on behalf of a lawyer (Sender differs from From)',
  },
  {
    file: 'admin-address-without-list.eml',
    category: 'usager',
    why: 'a …-admin@ address without any list header',
  },
  { file: 'brackets-only-address.eml', category: 'usager', why: 'From: <addr> without a display name' },
];

describe("persons' messages that look automatic are not auto", () => {
  it.each(PERSON_CASES)('$why → $category', ({ file, category }) => {
    const input = inputOf(readHeaders(PERSONS + file));
    expect(autoReason(input.author, input.subject, input.headers)).toBeNull();
    expect(classify(input)).toMatchObject({ direction: 'in', category });
    expect(classify({ ...input, author: '' })).toMatchObject({ direction: 'in', category });
  });

  it('every hand-made person fixture is in the table', () => {
    expect(listFiles(PERSONS)).toEqual(PERSON_CASES.map((c) => c.file).sort());
  });
});
