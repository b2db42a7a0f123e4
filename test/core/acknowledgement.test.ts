// Services Publics+ acknowledgement measure: statuses in both units, matching (automatic messages
// acknowledge, never answer), summary and rate, properties against the reply delay.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_ACKNOWLEDGEMENT_RULE,
  acknowledgementDelay,
  acknowledgementStatus,
  matchAcknowledgements,
  summarizeAcknowledgements,
  type AcknowledgementRule,
} from '../../src/core/acknowledgement.ts';
import {
  addDays,
  resolveOverlays,
  workingDaysAfter,
  type WorkingDayOptions,
} from '../../src/core/calendar.ts';
import { matchReplies, type ReceivedForMatch, type SentForMatch } from '../../src/core/replies.ts';

const WORKING_5: AcknowledgementRule = { days: 5, unit: 'working' };

describe('acknowledgementStatus', () => {
  // Received Monday 2 June 2025, 10:00 in Paris.
  const received = '2025-06-02T08:00:00Z';
  it.each([
    ['2025-06-02T15:00:00Z', 'acknowledgedInTime', 0],
    ['2025-06-09T15:00:00Z', 'acknowledgedInTime', 7], // the seventh calendar day still counts
    ['2025-06-10T07:00:00Z', 'acknowledgedLate', 8],
    ['2025-06-01T07:00:00Z', 'acknowledgedInTime', 0], // dated before receipt: clocks, counts as same day
  ])('acknowledged at %s: %s after %i calendar days', (at, status, delayDays) => {
    expect(
      acknowledgementStatus(received, at, '2025-07-01T00:00:00Z', DEFAULT_ACKNOWLEDGEMENT_RULE, 'metropole'),
    ).toEqual({ status, delayDays });
  });

  it('waits seven calendar days with nothing sent, then counts the message unacknowledged', () => {
    const status = (now: string) =>
      acknowledgementStatus(received, null, now, DEFAULT_ACKNOWLEDGEMENT_RULE, 'metropole');
    expect(status('2025-06-09T20:00:00Z')).toEqual({ status: 'acknowledgementPending', delayDays: 7 });
    expect(status('2025-06-10T06:00:00Z')).toEqual({ status: 'unacknowledged', delayDays: 8 });
  });

  it('counts working days when the rule says so, with holidays and declared days', () => {
    // Friday 11 July 2025 → Friday 18 July: 15, 16, 17, 18 (14 July is a holiday) = 4 working days;
    // → Tuesday 22 July: 6, or 5 when Monday 21 is declared closed.
    const july = (at: string, options?: WorkingDayOptions) =>
      acknowledgementStatus('2025-07-11T08:00:00Z', at, '2025-08-01', WORKING_5, 'metropole', options);
    expect(july('2025-07-18T08:00:00Z')).toEqual({ status: 'acknowledgedInTime', delayDays: 4 });
    expect(july('2025-07-22T08:00:00Z')).toEqual({ status: 'acknowledgedLate', delayDays: 6 });
    const overrides = resolveOverlays([{ scope: 'service:S1', day: '2025-07-21', state: 'closed' }], {
      region: 'metropole',
      service: 'S1',
    });
    expect(july('2025-07-22T08:00:00Z', { overrides })).toEqual({
      status: 'acknowledgedInTime',
      delayDays: 5,
    });
  });

  it('takes local days: 21:30 UTC is the next day in La Réunion', () => {
    expect(acknowledgementDelay('2025-06-03', '2025-06-10', 'reunion', DEFAULT_ACKNOWLEDGEMENT_RULE)).toBe(7);
    expect(
      acknowledgementStatus(
        '2025-06-02T21:30:00Z',
        '2025-06-10T08:00:00Z',
        '2025-07-01',
        DEFAULT_ACKNOWLEDGEMENT_RULE,
        'reunion',
      ),
    ).toEqual({ status: 'acknowledgedInTime', delayDays: 7 });
  });

  it('refuses an invalid rule with a French message', () => {
    for (const rule of [
      { days: -1, unit: 'calendar' },
      { days: 7, unit: 'weeks' },
      { days: 1.5, unit: 'working' },
    ])
      expect(() =>
        acknowledgementStatus(received, null, received, rule as AcknowledgementRule, 'metropole'),
      ).toThrow(/Règle d'accusé de réception invalide/);
  });
});

describe('matchAcknowledgements', () => {
  const inbox: ReceivedForMatch[] = [
    { key: 'r1', at: '2025-06-02T08:00:00Z', category: 'usager', correspondent: 'a@x.fr', subject: 'Impôt' },
    { key: 'r2', at: '2025-06-02T09:00:00Z', category: 'usager', correspondent: 'b@x.fr', subject: 'Taxe' },
    { key: 'r3', at: '2025-06-02T10:00:00Z', category: 'usager' },
  ];
  const sent: SentForMatch[] = [
    { key: 's1', at: '2025-06-02T08:01:00Z', category: 'auto', re: ['r1'] }, // automatic acknowledgement
    { key: 's2', at: '2025-06-05T08:00:00Z', category: 'reply', re: ['r1'] },
    {
      key: 's3',
      at: '2025-06-03T08:00:00Z',
      category: 'auto',
      correspondents: ['b@x.fr'],
      subject: 'RE: Taxe',
    },
    { key: 's4', at: '2025-06-04T08:00:00Z', category: 'forward', re: ['r3'] }, // a forward acknowledges nothing
  ];

  it('acknowledges by the first reply or automatic message, by reference or heuristic; answers stay replies only', () => {
    const acks = matchAcknowledgements(inbox, sent);
    expect([...acks.values()].map((m) => [m.receivedKey, m.sentKey, m.heuristic])).toEqual([
      ['r1', 's1', false],
      ['r2', 's3', true],
    ]);
    const answers = matchReplies(inbox, sent);
    expect([...answers.values()].map((m) => [m.receivedKey, m.sentKey])).toEqual([['r1', 's2']]);
  });
});

describe('summarizeAcknowledgements', () => {
  it('rates in time over in time + late + unacknowledged, pending left out, with the median delay', () => {
    const summary = summarizeAcknowledgements(
      { acknowledgedInTime: 6, acknowledgedLate: 1, unacknowledged: 1, acknowledgementPending: 5 },
      new Map([
        [0, 3],
        [2, 1],
        [6, 2],
        [9, 1],
      ]),
    );
    expect(summary.acknowledgementRate).toBe(6 / 8);
    expect(summary.medianAcknowledgementDays).toBe(2); // rank ceil(7 / 2) = 4
    expect(
      summarizeAcknowledgements(
        { acknowledgedInTime: 0, acknowledgedLate: 0, unacknowledged: 0, acknowledgementPending: 2 },
        new Map(),
      ),
    ).toMatchObject({ acknowledgementRate: null, medianAcknowledgementDays: null });
  });

  it('refuses counts and histograms that disagree', () => {
    const counts = {
      acknowledgedInTime: 1,
      acknowledgedLate: 0,
      unacknowledged: 0,
      acknowledgementPending: 0,
    };
    expect(() => summarizeAcknowledgements(counts, new Map())).toThrow(/incohérent/);
    expect(() => summarizeAcknowledgements({ ...counts, unacknowledged: -1 }, new Map([[0, 1]]))).toThrow(
      /Compte invalide/,
    );
  });
});

describe('acknowledgement properties', () => {
  const dayArb = fc
    .date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10));

  it('a working-day delay never exceeds the calendar delay, which is the day difference', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: 0, max: 40 }), (received, gap) => {
        const acknowledged = addDays(received, gap);
        const calendar = acknowledgementDelay(
          received,
          acknowledged,
          'metropole',
          DEFAULT_ACKNOWLEDGEMENT_RULE,
        );
        const working = acknowledgementDelay(received, acknowledged, 'metropole', WORKING_5);
        expect(calendar).toBe(gap);
        expect(working).toBe(gap === 0 ? 0 : workingDaysAfter(received, acknowledged, 'metropole'));
        expect(working).toBeLessThanOrEqual(calendar);
      }),
    );
  });

  it('a later acknowledgement is never judged better than an earlier one', () => {
    const rank = { acknowledgedInTime: 0, acknowledgedLate: 1 } as const;
    fc.assert(
      fc.property(dayArb, fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }), (day, a, b) => {
        const at = (gap: number) => `${addDays(day, gap)}T10:00:00Z`;
        const [early, late] = a <= b ? [a, b] : [b, a];
        for (const rule of [DEFAULT_ACKNOWLEDGEMENT_RULE, WORKING_5]) {
          const first = acknowledgementStatus(at(0), at(early), at(60), rule, 'metropole');
          const second = acknowledgementStatus(at(0), at(late), at(60), rule, 'metropole');
          expect(first.delayDays).toBeLessThanOrEqual(second.delayDays);
          expect(rank[first.status as keyof typeof rank]).toBeLessThanOrEqual(
            rank[second.status as keyof typeof rank],
          );
        }
      }),
    );
  });
});
