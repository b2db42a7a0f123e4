// Tests of the request closure (one answer closes the whole request), against a naive fixpoint oracle and
// through matchReplies, as the add-on and the server use it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_HRE_KEYS } from '../../src/core/protocol.ts';
import {
  matchReplies,
  normalizeSubject,
  requestClosure,
  type ReceivedForMatch,
  type SentForMatch,
} from '../../src/core/replies.ts';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const HOUR = 3_600_000;
const DAY = 24;
const at = (hours: number) => new Date(T0 + hours * HOUR).toISOString();

const rec = (key: string, hours: number, extra: Partial<ReceivedForMatch> = {}): ReceivedForMatch => ({
  key,
  at: at(hours),
  category: 'usager',
  correspondent: 'a@x.fr',
  subject: 'Demande de délai',
  ...extra,
});
const reply = (hours: number, extra: Partial<SentForMatch> = {}): SentForMatch => ({
  key: 's',
  at: at(hours),
  category: 'reply',
  correspondents: ['a@x.fr'],
  subject: 'RE : Demande de délai',
  ...extra,
});

describe('requestClosure', () => {
  const cases: { why: string; received: ReceivedForMatch[]; s: SentForMatch; expected: string[] }[] = [
    {
      why: 'a first message answered only through its reminder (same subject)',
      received: [rec('q1', 0), rec('q2', 3 * DAY, { subject: 'TR: Demande de délai' })],
      s: reply(4 * DAY, { re: ['q2'] }),
      expected: ['q1'],
    },
    {
      why: 'a reminder that quotes the first by References, under another subject',
      received: [rec('q1', 0), rec('q2', 3 * DAY, { subject: 'Toujours rien ?', refs: ['q1'] })],
      s: reply(4 * DAY, { re: ['q2'], subject: 'RE: Toujours rien ?' }),
      expected: ['q1'],
    },
    {
      why: 'the chain is followed through several reminders',
      received: [
        rec('q1', 0, { subject: 'Un' }),
        rec('q2', DAY, { subject: 'Deux', refs: ['q1'] }),
        rec('q3', 2 * DAY, { subject: 'Trois', refs: ['q2'] }),
      ],
      s: reply(3 * DAY, { re: ['q3'], subject: 'RE: Trois' }),
      expected: ['q2', 'q1'],
    },
    {
      why: 'the chain does not run through another correspondent',
      received: [
        rec('q1', 0, { subject: 'Un' }),
        rec('b1', DAY, { subject: 'Deux', correspondent: 'b@y.fr', refs: ['q1'] }),
        rec('q3', 2 * DAY, { subject: 'Trois', refs: ['b1'] }),
      ],
      s: reply(3 * DAY, { re: ['q3'], subject: 'RE: Trois' }),
      expected: [],
    },
    {
      why: 'the chain runs through the correspondent’s automatic mail, which is not closed',
      received: [
        rec('q1', 0, { subject: 'Un' }),
        rec('a2', DAY, { subject: 'Absent', category: 'auto', refs: ['q1'] }),
      ],
      s: reply(3 * DAY, { re: ['a2'], subject: 'RE: Un' }),
      expected: ['q1'],
    },
    {
      why: 'a later message of the request is not closed (never answered before it arrives)',
      received: [rec('q1', 0), rec('q2', 5 * DAY)],
      s: reply(4 * DAY, { re: ['q1'] }),
      expected: [],
    },
    {
      why: 'a message received at the very instant of the reply is closed',
      received: [rec('q1', 0), rec('q2', 4 * DAY)],
      s: reply(4 * DAY, { re: ['q1'] }),
      expected: ['q2'],
    },
    {
      why: 'the window: exactly 30 days counts, one hour more does not',
      received: [rec('q1', 0), rec('q0', -1), rec('q2', 10 * DAY)],
      s: reply(30 * DAY, { re: ['q2'] }),
      expected: ['q1'],
    },
    {
      why: 'other correspondents, other subjects, interne, auto and junk mail are never closed',
      received: [
        rec('b1', 0, { correspondent: 'b@y.fr' }),
        rec('q1', 1, { subject: 'Autre chose' }),
        rec('i1', 2, { category: 'interne' }),
        rec('a1', 3, { category: 'auto' }),
        rec('j1', 4, { category: 'junk' }),
        rec('q2', 5),
      ],
      s: reply(DAY, { re: ['q2'] }),
      expected: [],
    },
    {
      why: 'correspondents compared without case and spaces; an empty one matches nothing',
      received: [rec('q1', 0, { correspondent: ' A@X.fr' }), rec('e1', 1, { correspondent: '' })],
      s: reply(DAY, { correspondents: ['a@x.FR ', ''] }),
      expected: ['q1'],
    },
    {
      why: 'an empty normalised subject links nothing',
      received: [rec('q1', 0, { subject: 'RE:' })],
      s: reply(DAY, { subject: 'RE: RE:' }),
      expected: [],
    },
    {
      why: 'the referenced messages themselves are left out',
      received: [rec('q1', 0), rec('q2', 1)],
      s: reply(DAY, { re: ['q2', 'q1'] }),
      expected: [],
    },
    {
      why: 'a reply to several correspondents closes each one’s request',
      received: [rec('q1', 0), rec('b1', 1, { correspondent: 'b@y.fr' })],
      s: reply(DAY, { correspondents: ['a@x.fr', 'b@y.fr'] }),
      expected: ['b1', 'q1'],
    },
    {
      why: 'forwards, automatic and new messages close nothing',
      received: [rec('q1', 0)],
      s: reply(DAY, { category: 'forward' }),
      expected: [],
    },
  ];
  it.each(cases)('$why', ({ received, s, expected }) => {
    expect(requestClosure(s, received)).toEqual(expected);
  });

  it('keeps the latest MAX_HRE_KEYS messages, latest first', () => {
    const received = Array.from({ length: MAX_HRE_KEYS + 7 }, (_, i) =>
      rec(`q${String(i).padStart(3, '0')}`, i),
    );
    const closure = requestClosure(reply(20 * DAY), received);
    expect(closure).toHaveLength(MAX_HRE_KEYS);
    expect(closure[0]).toBe(`q${String(MAX_HRE_KEYS + 6).padStart(3, '0')}`);
    expect(closure.at(-1)).toBe('q007');
  });

  it('honours the heuristic window option and refuses a bad date', () => {
    expect(requestClosure(reply(3 * DAY), [rec('q1', 0)], { heuristicWindowDays: 2 })).toEqual([]);
    expect(() => requestClosure(reply(1), [{ ...rec('q1', 0), at: 'hier' }])).toThrow(/q1/);
  });
});

// ---- Properties -------------------------------------------------------------------------------------

const WINDOW_MS = 30 * 86_400_000;
const fold = (c: string) => c.trim().toLowerCase();

/** The definition, the obvious way: a fixpoint over the whole list. Received keys are unique here. */
function oracle(s: SentForMatch, received: readonly ReceivedForMatch[]): string[] {
  if (s.category !== 'reply') return [];
  const sMs = Date.parse(s.at);
  const who = (s.correspondents ?? []).map(fold).filter((c) => c !== '');
  const subject = normalizeSubject(s.subject ?? '');
  const request = received.filter((r) => {
    const ms = Date.parse(r.at);
    return (
      r.correspondent !== undefined &&
      who.includes(fold(r.correspondent)) &&
      ms <= sMs &&
      sMs - ms <= WINDOW_MS
    );
  });
  const chain = new Set(s.re ?? []);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of request) {
      if (!chain.has(r.key)) continue;
      for (const ref of r.refs ?? []) {
        if (!chain.has(ref) && request.some((x) => x.key === ref)) {
          chain.add(ref);
          grew = true;
        }
      }
    }
  }
  return request
    .filter(
      (r) =>
        r.category === 'usager' &&
        !(s.re ?? []).includes(r.key) &&
        (chain.has(r.key) || (subject !== '' && normalizeSubject(r.subject ?? '') === subject)),
    )
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || (a.key < b.key ? -1 : 1))
    .slice(0, MAX_HRE_KEYS)
    .map((r) => r.key);
}

const people = ['a@x.fr', 'A@X.fr ', 'b@y.fr', ''];
const subjects = ['Demande', 'RE: demande', 'Réf. : DEMANDE', 'Autre', 'RE:'];
const hours = fc.integer({ min: 0, max: 24 * 45 });
const keyArb = fc.integer({ min: 0, max: 25 }).map((i) => `r${i}`);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const receivedArb = fc
  .uniqueArray(
    fc.record({
      key: keyArb,
      h: hours,
      category: fc.constantFrom('usager', 'usager', 'interne', 'auto' as const),
      correspondent: maybe(fc.constantFrom(...people)),
      subject: maybe(fc.constantFrom(...subjects)),
      refs: maybe(fc.array(keyArb, { maxLength: 3 })),
    }),
    { selector: (r) => r.key, maxLength: 25 },
  )
  .map((list) =>
    list.map(({ h, correspondent, subject, refs, ...r }) => ({
      ...r,
      at: at(h),
      ...(correspondent === undefined ? {} : { correspondent }),
      ...(subject === undefined ? {} : { subject }),
      ...(refs === undefined ? {} : { refs }),
    })),
  );

const sentArb = fc
  .uniqueArray(
    fc.record({
      key: fc.integer({ min: 0, max: 15 }).map((i) => `s${i}`),
      h: hours,
      category: fc.constantFrom('reply', 'reply', 'reply', 'forward', 'auto' as const),
      re: maybe(fc.array(keyArb, { maxLength: 2 })),
      correspondents: fc.array(fc.constantFrom(...people), { maxLength: 2 }),
      subject: maybe(fc.constantFrom(...subjects)),
    }),
    { selector: (s) => s.key, maxLength: 12 },
  )
  .map((list) =>
    list.map(({ h, re, subject, ...s }) => ({
      ...s,
      at: at(h),
      ...(re === undefined ? {} : { re }),
      ...(subject === undefined ? {} : { subject }),
    })),
  );

/** The replies as the add-on uploads them: each with its request closure. */
const withClosures = (sent: readonly SentForMatch[], received: readonly ReceivedForMatch[]) =>
  sent.map((s) => ({ ...s, hre: requestClosure(s, received) }));

/** Messages `m` and `x` are of one request for reply `s` (the definition, restated for the properties). */
function sameRequest(m: ReceivedForMatch, x: ReceivedForMatch, s: SentForMatch): boolean {
  const subject = normalizeSubject(s.subject ?? '');
  return (
    subject !== '' &&
    normalizeSubject(m.subject ?? '') === subject &&
    normalizeSubject(x.subject ?? '') === subject
  );
}

describe('requestClosure properties', () => {
  it('equals the naive fixpoint oracle', () => {
    fc.assert(
      fc.property(receivedArb, sentArb, (received, sent) => {
        for (const s of sent) expect(requestClosure(s, received)).toEqual(oracle(s, received));
      }),
      { numRuns: 400 },
    );
  });

  it('a message is never answered through its request before it arrives', () => {
    fc.assert(
      fc.property(receivedArb, sentArb, (received, sent) => {
        const byKey = new Map(received.map((r) => [r.key, r]));
        const sentByKey = new Map(sent.map((s) => [s.key, s]));
        for (const m of matchReplies(received, withClosures(sent, received)).values()) {
          // Only a message's own header reference may predate it (clock skew, clamped by the caller).
          if ((sentByKey.get(m.sentKey)?.re ?? []).includes(m.receivedKey)) continue;
          expect(Date.parse(m.answeredAt)).toBeGreaterThanOrEqual(Date.parse(byKey.get(m.receivedKey)!.at));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('every earlier usager message of the request is closed by the first later reply to any of them', () => {
    fc.assert(
      fc.property(receivedArb, sentArb, (received, sent) => {
        const matches = matchReplies(received, withClosures(sent, received));
        for (const m of received) {
          if (m.category !== 'usager' || m.correspondent === undefined) continue;
          const mMs = Date.parse(m.at);
          for (const s of sent) {
            const sMs = Date.parse(s.at);
            if (s.category !== 'reply' || sMs < mMs || sMs - mMs > WINDOW_MS) continue;
            if (!(s.correspondents ?? []).some((c) => fold(c) !== '' && fold(c) === fold(m.correspondent!)))
              continue;
            // s answers x (by reference), a message of m's request received no later than s.
            const answersRequest = received.some(
              (x) =>
                (s.re ?? []).includes(x.key) &&
                x.correspondent !== undefined &&
                fold(x.correspondent) === fold(m.correspondent!) &&
                Date.parse(x.at) <= sMs &&
                sameRequest(m, x, s),
            );
            if (!answersRequest) continue;
            const match = matches.get(m.key);
            expect(match, `${m.key} closed by ${s.key}`).toBeDefined();
            // Each message keeps its own delay: answered no later than this reply, never before itself.
            expect(Date.parse(match!.answeredAt)).toBeLessThanOrEqual(sMs);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never closes a message of another correspondent or of an unlinked subject', () => {
    fc.assert(
      fc.property(receivedArb, sentArb, (received, sent) => {
        const byKey = new Map(received.map((r) => [r.key, r]));
        for (const s of sent) {
          const who = new Set((s.correspondents ?? []).map(fold));
          const linked = new Set([...(s.re ?? []), ...received.flatMap((r) => r.refs ?? [])]);
          for (const key of requestClosure(s, received)) {
            const r = byKey.get(key)!;
            expect(who.has(fold(r.correspondent ?? ''))).toBe(true);
            const sameSubject = normalizeSubject(r.subject ?? '') === normalizeSubject(s.subject ?? '');
            expect(sameSubject || linked.has(key)).toBe(true);
          }
        }
      }),
    );
  });

  it('does not depend on the order of the received messages, duplicates included', () => {
    const withDuplicates = receivedArb.chain((list) => {
      const doubled = [...list, ...list.slice(0, 3).map((r) => ({ ...r, subject: 'Autre' }))];
      return fc.tuple(fc.constant(doubled), fc.shuffledSubarray(doubled, { minLength: doubled.length }));
    });
    fc.assert(
      fc.property(withDuplicates, sentArb, ([list, shuffled], sent) => {
        for (const s of sent) expect(requestClosure(s, shuffled)).toEqual(requestClosure(s, list));
      }),
    );
  });
});

describe('matchReplies with closures', () => {
  it('the first message answered only through its reminder is answered late, with its own delay', () => {
    const received = [rec('q1', 0), rec('q2', 8 * DAY, { refs: ['q1'], subject: 'Relance' })];
    const s = reply(9 * DAY, { re: ['q2'], subject: 'RE: Relance' });
    const matches = matchReplies(received, withClosures([s], received));
    expect(matches.get('q1')).toEqual({
      receivedKey: 'q1',
      sentKey: 's',
      answeredAt: at(9 * DAY),
      heuristic: true,
    });
    expect(matches.get('q2')).toMatchObject({ sentKey: 's', heuristic: false });
  });
});
