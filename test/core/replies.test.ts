// Tests of subject normalisation and reply pairing, against a naive O(R·S) oracle.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  findHeuristicMatch,
  matchReplies,
  normalizeSubject,
  subjectPrefixKind,
  type ReceivedForMatch,
  type ReplyMatch,
  type SentForMatch,
} from '../../src/core/replies.ts';

describe('normalizeSubject', () => {
  it.each([
    { raw: 'RE: Demande de délai', expected: 'demande de delai', why: 'English reply prefix, accents' },
    { raw: 'RE : Demande de délai', expected: 'demande de delai', why: 'French spacing before the colon' },
    { raw: 'RE\u00a0: Demande', expected: 'demande', why: 'non-breaking space before the colon' },
    { raw: 'Re: RE: Re: demande', expected: 'demande', why: 'a chain of replies' },
    { raw: 'TR: RE: Fwd: FW: demande', expected: 'demande', why: 'mixed forwards and replies' },
    { raw: 'Réf. : Votre courrier', expected: 'votre courrier', why: 'Lotus Notes French reply prefix' },
    { raw: 'RÉF : Votre courrier', expected: 'votre courrier', why: 'upper-case accented Réf' },
    {
      raw: 'AW: WG: SV: Antw: RV: Enc: x',
      expected: 'x',
      why: 'German, Nordic, Dutch, Spanish, Portuguese prefixes',
    },
    { raw: 'RE[2]: Re(3): objet', expected: 'objet', why: 'counters after the prefix' },
    { raw: '[EXT] RE: objet', expected: 'objet', why: 'external-mail tag first' },
    { raw: 'RE: [externe] TR: Objet', expected: 'objet', why: 'tag inside the chain' },
    {
      raw: '  Demande   d’échéancier\t2026 ',
      expected: 'demande d’echeancier 2026',
      why: 'spaces collapsed',
    },
    {
      raw: 'Répondre à ma demande',
      expected: 'repondre a ma demande',
      why: 'a word starting with "Ré" is kept',
    },
    {
      raw: 'Trésorerie : question',
      expected: 'tresorerie : question',
      why: '"Tr" inside a word is not a prefix',
    },
    { raw: 'Refus de remise', expected: 'refus de remise', why: '"Ref" inside a word is not a prefix' },
    { raw: 'RE:', expected: '', why: 'nothing but a prefix' },
    { raw: '', expected: '', why: 'empty subject' },
  ])('$why: « $raw » → « $expected »', ({ raw, expected }) => {
    expect(normalizeSubject(raw)).toBe(expected);
  });

  it('ignores any chain of prefixes and tags put in front (property)', () => {
    const prefix = fc.constantFrom(
      'RE: ',
      'RE : ',
      'Re[2]: ',
      'TR: ',
      'Fwd: ',
      'Réf. : ',
      'AW: ',
      '[EXT] ',
      'FW:',
    );
    fc.assert(
      fc.property(fc.array(prefix, { maxLength: 5 }), fc.string(), (chain, s) => {
        expect(normalizeSubject(chain.join('') + s)).toBe(normalizeSubject(s));
      }),
    );
  });

  it('is idempotent (property)', () => {
    fc.assert(fc.property(fc.string(), (s) => normalizeSubject(normalizeSubject(s)) === normalizeSubject(s)));
  });
});

describe('subjectPrefixKind', () => {
  it.each([
    { raw: 'RE : TR: objet', kind: 'reply', why: 'the first prefix decides (reply to a forward)' },
    { raw: 'TR: RE: objet', kind: 'forward', why: 'forward of a reply' },
    { raw: '[EXT] Fwd: objet', kind: 'forward', why: 'tag skipped' },
    { raw: 'Réf. : objet', kind: 'reply', why: 'Lotus reply' },
    { raw: 'WG: objet', kind: 'forward', why: 'German forward' },
    { raw: 'objet', kind: null, why: 'no prefix' },
  ])('$why: « $raw » → $kind', ({ raw, kind }) => {
    expect(subjectPrefixKind(raw)).toBe(kind);
  });
});

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const HOUR = 3_600_000;
const at = (hours: number) => new Date(T0 + hours * HOUR).toISOString();

const rec = (key: string, hours: number, extra: Partial<ReceivedForMatch> = {}): ReceivedForMatch => ({
  key,
  at: at(hours),
  category: 'usager',
  ...extra,
});
const sent = (key: string, hours: number, extra: Partial<SentForMatch> = {}): SentForMatch => ({
  key,
  at: at(hours),
  category: 'reply',
  ...extra,
});

describe('matchReplies', () => {
  const cases: {
    why: string;
    received: ReceivedForMatch[];
    sent: SentForMatch[];
    expected: Record<string, Omit<ReplyMatch, 'receivedKey'>>;
    options?: { heuristicWindowDays: number };
  }[] = [
    {
      why: 'a reply referencing the message answers it',
      received: [rec('r1', 0)],
      sent: [sent('s1', 5, { re: ['r1'] })],
      expected: { r1: { sentKey: 's1', answeredAt: at(5), heuristic: false } },
    },
    {
      why: 'the earliest of several replies wins, whatever their order',
      received: [rec('r1', 0)],
      sent: [sent('s2', 50, { re: ['r1'] }), sent('s1', 5, { re: ['r1'] })],
      expected: { r1: { sentKey: 's1', answeredAt: at(5), heuristic: false } },
    },
    {
      why: 'the request closure (hre) answers an earlier message, flagged heuristic',
      received: [rec('r1', 0), rec('r2', 30)],
      sent: [sent('s1', 40, { re: ['r2'], hre: ['r1'] })],
      expected: {
        r1: { sentKey: 's1', answeredAt: at(40), heuristic: true },
        r2: { sentKey: 's1', answeredAt: at(40), heuristic: false },
      },
    },
    {
      why: 'a key in both re and hre is a header reference',
      received: [rec('r1', 0)],
      sent: [sent('s1', 40, { re: ['r1'], hre: ['r1'] })],
      expected: { r1: { sentKey: 's1', answeredAt: at(40), heuristic: false } },
    },
    {
      why: 'an earlier reply by reference beats a later request closure',
      received: [rec('r1', 0), rec('r2', 30)],
      sent: [sent('s1', 10, { re: ['r1'] }), sent('s2', 40, { re: ['r2'], hre: ['r1'] })],
      expected: {
        r1: { sentKey: 's1', answeredAt: at(10), heuristic: false },
        r2: { sentKey: 's2', answeredAt: at(40), heuristic: false },
      },
    },
    {
      why: 'same time: the lowest sent key wins',
      received: [rec('r1', 0)],
      sent: [sent('sb', 5, { re: ['r1'] }), sent('sa', 5, { re: ['r1'] })],
      expected: { r1: { sentKey: 'sa', answeredAt: at(5), heuristic: false } },
    },
    {
      why: 'forwards, automatic and new messages never answer',
      received: [rec('r1', 0, { correspondent: 'a@x.fr', subject: 'Objet' })],
      sent: [
        sent('s1', 1, { category: 'forward', re: ['r1'] }),
        sent('s2', 2, { category: 'auto', re: ['r1'], correspondents: ['a@x.fr'], subject: 'RE: Objet' }),
        sent('s3', 3, { category: 'new', re: ['r1'], correspondents: ['a@x.fr'], subject: 'Objet' }),
      ],
      expected: {},
    },
    {
      why: 'a reply referencing two received messages answers both',
      received: [rec('r1', 0), rec('r2', 2)],
      sent: [sent('s1', 5, { re: ['r2', 'r1'] })],
      expected: {
        r1: { sentKey: 's1', answeredAt: at(5), heuristic: false },
        r2: { sentKey: 's1', answeredAt: at(5), heuristic: false },
      },
    },
    {
      why: 'a reply dated before the receipt (clock skew) still answers by reference',
      received: [rec('r1', 10)],
      sent: [sent('s1', 9, { re: ['r1'] })],
      expected: { r1: { sentKey: 's1', answeredAt: at(9), heuristic: false } },
    },
    {
      why: 'a reference that came from the heuristic is flagged',
      received: [rec('r1', 0)],
      sent: [sent('s1', 5, { re: ['r1'], heuristic: true })],
      expected: { r1: { sentKey: 's1', answeredAt: at(5), heuristic: true } },
    },
    {
      why: 'heuristic: same correspondent (any case) and normalised subject, flagged',
      received: [rec('r1', 0, { correspondent: 'Usager@Example.fr', subject: 'Demande de délai' })],
      sent: [sent('s1', 30, { correspondents: ['usager@example.fr '], subject: 'RE : demande de DELAI' })],
      expected: { r1: { sentKey: 's1', answeredAt: at(30), heuristic: true } },
    },
    {
      why: 'heuristic: a reply before the receipt does not count',
      received: [rec('r1', 10, { correspondent: 'a@x.fr', subject: 'Objet' })],
      sent: [sent('s1', 9, { correspondents: ['a@x.fr'], subject: 'RE: Objet' })],
      expected: {},
    },
    {
      why: 'heuristic: exactly 30 days counts, one hour more does not',
      received: [
        rec('r1', 0, { correspondent: 'a@x.fr', subject: 'Objet' }),
        rec('r2', 0, { correspondent: 'b@x.fr', subject: 'Objet' }),
      ],
      sent: [
        sent('s1', 30 * 24, { correspondents: ['a@x.fr'], subject: 'RE: Objet' }),
        sent('s2', 30 * 24 + 1, { correspondents: ['b@x.fr'], subject: 'RE: Objet' }),
      ],
      expected: { r1: { sentKey: 's1', answeredAt: at(720), heuristic: true } },
    },
    {
      why: 'heuristic window is configurable',
      received: [rec('r1', 0, { correspondent: 'a@x.fr', subject: 'Objet' })],
      sent: [sent('s1', 49, { correspondents: ['a@x.fr'], subject: 'RE: Objet' })],
      expected: {},
      options: { heuristicWindowDays: 2 },
    },
    {
      why: 'heuristic: another correspondent or subject does not match',
      received: [rec('r1', 0, { correspondent: 'a@x.fr', subject: 'Objet' })],
      sent: [
        sent('s1', 1, { correspondents: ['b@x.fr'], subject: 'RE: Objet' }),
        sent('s2', 2, { correspondents: ['a@x.fr'], subject: 'RE: Autre objet' }),
      ],
      expected: {},
    },
    {
      why: 'heuristic: an empty normalised subject never matches',
      received: [rec('r1', 0, { correspondent: 'a@x.fr', subject: 'RE:' })],
      sent: [sent('s1', 1, { correspondents: ['a@x.fr'], subject: 'RE: RE:' })],
      expected: {},
    },
    {
      why: 'a reference-based answer wins over an earlier heuristic candidate',
      received: [rec('r1', 0, { correspondent: 'a@x.fr', subject: 'Objet' })],
      sent: [
        sent('s1', 1, { correspondents: ['a@x.fr'], subject: 'RE: Objet' }),
        sent('s2', 8, { re: ['r1'], correspondents: ['a@x.fr'], subject: 'RE: Objet' }),
      ],
      expected: { r1: { sentKey: 's2', answeredAt: at(8), heuristic: false } },
    },
    {
      why: 'references to unknown messages are ignored',
      received: [rec('r1', 0)],
      sent: [sent('s1', 1, { re: ['elsewhere'] })],
      expected: {},
    },
  ];

  it.each(cases)('$why', ({ received, sent: sentList, expected, options }) => {
    const result = matchReplies(received, sentList, options);
    expect(Object.fromEntries(result)).toEqual(
      Object.fromEntries(Object.entries(expected).map(([k, v]) => [k, { receivedKey: k, ...v }])),
    );
  });

  it('rejects an invalid date with a RangeError naming the message', () => {
    expect(() => matchReplies([{ key: 'r1', at: 'hier', category: 'usager' }], [])).toThrow(/r1/);
  });

  it('pairs 20 000 × 20 000 messages, half by reference and half by the heuristic', () => {
    const received: ReceivedForMatch[] = [];
    const sentList: SentForMatch[] = [];
    for (let i = 0; i < 20_000; i += 1) {
      received.push(rec(`r${i}`, i, { correspondent: `u${i % 977}@x.fr`, subject: `Dossier ${i % 1013}` }));
      const common = { correspondents: [`u${i % 977}@x.fr`], subject: `RE: Dossier ${i % 1013}` };
      sentList.push(sent(`s${i}`, i + 3, i % 2 === 0 ? { re: [`r${i}`], ...common } : common));
    }
    // Speed is a benchmark matter (machines here are shared); this checks the indexed pairing at
    // volume: a naive O(R·S) scan would not finish within the test timeout.
    const result = matchReplies(received, sentList);
    expect(result.size).toBe(20_000);
    expect(result.get('r0')).toMatchObject({ sentKey: 's0', heuristic: false });
    expect([...result.values()].filter((m) => m.heuristic).length).toBe(10_000);
  });
});

// ---- Property tests against a naive oracle ------------------------------------------------------

function better(a: { ms: number; key: string; h: boolean }, b: { ms: number; key: string; h: boolean }) {
  return a.ms !== b.ms ? a.ms < b.ms : a.key !== b.key ? a.key < b.key : !a.h && b.h;
}

/** The definition, written the obvious O(R·S) way. Received keys are unique here. */
function oracle(received: readonly ReceivedForMatch[], sentList: readonly SentForMatch[], days = 30) {
  const result = new Map<string, ReplyMatch>();
  for (const r of received) {
    const rMs = Date.parse(r.at);
    let best: { ms: number; key: string; h: boolean; at: string } | null = null;
    for (const s of sentList) {
      if (s.category !== 'reply') continue;
      // A request closure (hre) pairs like a reference, flagged; a key also in re is a header reference.
      const byHeader = (s.re ?? []).includes(r.key);
      if (!byHeader && !(s.hre ?? []).includes(r.key)) continue;
      const c = { ms: Date.parse(s.at), key: s.key, h: !byHeader || s.heuristic === true, at: s.at };
      if (best === null || better(c, best)) best = c;
    }
    if (best === null && r.correspondent !== undefined && r.subject !== undefined) {
      const subject = normalizeSubject(r.subject);
      const who = r.correspondent.trim().toLowerCase();
      for (const s of sentList) {
        const ms = Date.parse(s.at);
        if (s.category !== 'reply' || subject === '' || who === '' || s.subject === undefined) continue;
        if (normalizeSubject(s.subject) !== subject) continue;
        if (!(s.correspondents ?? []).some((c) => c.trim().toLowerCase() === who)) continue;
        if (ms < rMs || ms - rMs > days * 86_400_000) continue;
        const c = { ms, key: s.key, h: true, at: s.at };
        if (best === null || better(c, best)) best = c;
      }
    }
    if (best !== null) {
      result.set(r.key, { receivedKey: r.key, sentKey: best.key, answeredAt: best.at, heuristic: best.h });
    }
  }
  return result;
}

const subjects = ['Demande', 'RE: demande', 'TR: Demande', 'Réf. : DEMANDE', 'Autre', 'RE:', ''];
const people = ['a@x.fr', 'A@X.fr ', 'b@y.fr', ''];
const hours = fc.integer({ min: 0, max: 24 * 45 });
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const receivedArb = fc
  .uniqueArray(
    fc.record({
      key: fc.integer({ min: 0, max: 30 }).map((i) => `r${i}`),
      h: hours,
      category: fc.constantFrom('usager', 'interne', 'auto', 'junk' as const),
      correspondent: maybe(fc.constantFrom(...people)),
      subject: maybe(fc.constantFrom(...subjects)),
    }),
    { selector: (r) => r.key, maxLength: 20 },
  )
  .map((list) =>
    list.map(({ h, correspondent, subject, ...r }) => ({
      ...r,
      at: at(h),
      ...(correspondent === undefined ? {} : { correspondent }),
      ...(subject === undefined ? {} : { subject }),
    })),
  );

const sentArb = fc
  .array(
    fc.record({
      key: fc.integer({ min: 0, max: 30 }).map((i) => `s${i}`),
      h: hours,
      category: fc.constantFrom('reply', 'reply', 'forward', 'new', 'auto' as const),
      re: maybe(
        fc.array(
          fc.integer({ min: 0, max: 30 }).map((i) => `r${i}`),
          { maxLength: 3 },
        ),
      ),
      hre: maybe(
        fc.array(
          fc.integer({ min: 0, max: 30 }).map((i) => `r${i}`),
          { maxLength: 3 },
        ),
      ),
      correspondents: maybe(fc.array(fc.constantFrom(...people), { maxLength: 2 })),
      subject: maybe(fc.constantFrom(...subjects)),
      heuristic: maybe(fc.boolean()),
    }),
    { maxLength: 20 },
  )
  // One record per sent key (the server deduplicates on key), so permutations are well defined.
  .map((list) => [...new Map(list.map((s) => [s.key, s])).values()])
  .map((list) =>
    list.map(({ h, re, hre, correspondents, subject, heuristic, ...s }) => ({
      ...s,
      at: at(h),
      ...(re === undefined ? {} : { re }),
      ...(hre === undefined ? {} : { hre }),
      ...(correspondents === undefined ? {} : { correspondents }),
      ...(subject === undefined ? {} : { subject }),
      ...(heuristic === undefined ? {} : { heuristic }),
    })),
  );

const sortedEntries = (m: Map<string, ReplyMatch>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

describe('matchReplies properties', () => {
  it('equals the naive oracle (earliest candidate, reference before heuristic, hre flagged)', () => {
    fc.assert(
      fc.property(receivedArb, sentArb, (received, sentList) => {
        expect(sortedEntries(matchReplies(received, sentList))).toEqual(
          sortedEntries(oracle(received, sentList)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('never pairs a forward, an automatic or a new message', () => {
    fc.assert(
      fc.property(receivedArb, sentArb, (received, sentList) => {
        const category = new Map(sentList.map((s) => [s.key, s.category]));
        for (const m of matchReplies(received, sentList).values())
          expect(category.get(m.sentKey)).toBe('reply');
      }),
    );
  });

  it('does not depend on the order of the inputs', () => {
    fc.assert(
      fc.property(
        receivedArb.chain((r) => fc.tuple(fc.constant(r), fc.shuffledSubarray(r, { minLength: r.length }))),
        sentArb.chain((s) => fc.tuple(fc.constant(s), fc.shuffledSubarray(s, { minLength: s.length }))),
        ([received, receivedShuffled], [sentList, sentShuffled]) => {
          expect(sortedEntries(matchReplies(receivedShuffled, sentShuffled))).toEqual(
            sortedEntries(matchReplies(received, sentList)),
          );
        },
      ),
    );
  });
});

describe('findHeuristicMatch', () => {
  const inbox = [
    rec('r1', 0, { correspondent: 'a@x.fr', subject: 'Demande de délai' }),
    rec('r2', 10, { correspondent: 'a@x.fr', subject: 'TR: demande de delai' }),
    rec('r3', 11, { correspondent: 'b@x.fr', subject: 'Demande de délai' }),
    rec('r4', 20, { correspondent: 'a@x.fr', subject: 'Autre chose' }),
    rec('r5', 40, { correspondent: 'a@x.fr', subject: 'Demande de délai' }),
  ];
  it.each([
    { why: 'the most recent matching message before the sending', s: sent('s', 30), expected: 'r2' },
    { why: 'nothing received before the sending', s: sent('s', -1), expected: null },
    { why: 'beyond the 30-day window', s: sent('s', 10 + 30 * 24 + 1), expected: 'r5' },
    {
      why: 'a forward answers nothing',
      s: sent('s', 30, { category: 'forward' }),
      expected: null,
    },
    { why: 'an automatic message answers nothing', s: sent('s', 30, { category: 'auto' }), expected: null },
  ])('$why', ({ s, expected }) => {
    const query = { correspondents: ['A@x.fr'], subject: 'RE : Demande de délai', ...s };
    expect(findHeuristicMatch(query, inbox)?.key ?? null).toBe(expected);
  });

  it('a new message is matched too (the add-on then upgrades it to a flagged reply)', () => {
    const s = sent('s', 12, { category: 'new', correspondents: ['b@x.fr'], subject: 'Demande de délai' });
    expect(findHeuristicMatch(s, inbox)?.key).toBe('r3');
  });

  it('ties on time go to the lowest key; no subject → no match', () => {
    const twins = [
      rec('rb', 0, { correspondent: 'a@x.fr', subject: 'X' }),
      rec('ra', 0, { correspondent: 'a@x.fr', subject: 'X' }),
    ];
    expect(
      findHeuristicMatch(sent('s', 1, { correspondents: ['a@x.fr'], subject: 'Re: X' }), twins)?.key,
    ).toBe('ra');
    expect(findHeuristicMatch(sent('s', 1, { correspondents: ['a@x.fr'] }), twins)).toBeNull();
  });
});
