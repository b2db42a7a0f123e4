// Targets: configuration parsing, reply status of one message, summaries (direct and from histograms).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRIMARY_TARGET_ID,
  DEFAULT_TARGETS,
  dueDay,
  findTarget,
  parseTargets,
  replyStatus,
  summarize,
  summarizeHistogram,
  type ReplyStatus,
  type Target,
} from '../../src/core/targets.ts';

const marianne = findTarget(DEFAULT_TARGETS, 'marianne');
const dgfip = findTarget(DEFAULT_TARGETS, 'dgfip-48h');

describe('default targets', () => {
  it('ship Marianne (5) as primary and DGFiP 48 h (2)', () => {
    expect(DEFAULT_PRIMARY_TARGET_ID).toBe('marianne');
    expect(DEFAULT_TARGETS).toEqual([
      { id: 'marianne', label: 'Référentiel Marianne — réponse en moins de 5 jours ouvrés', workingDays: 5 },
      { id: 'dgfip-48h', label: 'Engagement DGFiP — 48 heures (2 jours ouvrés)', workingDays: 2 },
    ]);
    expect(parseTargets(DEFAULT_TARGETS)).toEqual(DEFAULT_TARGETS);
  });

  it('findTarget names the known ids when the id is unknown', () => {
    expect(() => findTarget(DEFAULT_TARGETS, 'spplus')).toThrow(/spplus.*marianne, dgfip-48h/);
  });
});

describe('parseTargets', () => {
  it('accepts a valid list and trims labels', () => {
    expect(parseTargets([{ id: 'sp-plus', label: '  Services Publics+ ', workingDays: 0 }])).toEqual([
      { id: 'sp-plus', label: 'Services Publics+', workingDays: 0 },
    ]);
  });

  it.each([
    ['not a list', { id: 'a' }, /expected array/i],
    ['an empty list', [], /au moins un objectif/],
    [
      'a duplicate id',
      [...DEFAULT_TARGETS, { id: 'marianne', label: 'x', workingDays: 3 }],
      /double.*marianne/,
    ],
    ['a fractional delay', [{ id: 'a', label: 'A', workingDays: 2.5 }], /entier/],
    ['a negative delay', [{ id: 'a', label: 'A', workingDays: -1 }], /négatif/],
    ['a delay above 60', [{ id: 'a', label: 'A', workingDays: 61 }], /> 60/],
    ['an id with capitals', [{ id: 'Marianne', label: 'A', workingDays: 5 }], /identifiant invalide/],
    ['an empty label', [{ id: 'a', label: '  ', workingDays: 5 }], /libellé vide/],
    ['an unknown field', [{ id: 'a', label: 'A', workingDays: 5, hours: 48 }], /hours/],
  ])('refuses %s with a clear message', (_label, input, message) => {
    expect(() => parseTargets(input)).toThrow(/Objectifs de délai invalides/);
    expect(() => parseTargets(input)).toThrow(message);
  });
});

describe('replyStatus: table', () => {
  // 2025-03-07 is a Friday; Paris is UTC+1 in March.
  it.each([
    [
      'answered the same day',
      '2025-03-07T09:00:00Z',
      '2025-03-07T15:00:00Z',
      '2025-03-20T12:00:00Z',
      marianne,
      'metropole',
      {},
      'answered_in_time',
      0,
    ],
    [
      'answered on the 5th working day',
      '2025-03-07T09:00:00Z',
      '2025-03-14T16:00:00Z',
      '2025-03-20T12:00:00Z',
      marianne,
      'metropole',
      {},
      'answered_in_time',
      5,
    ],
    [
      'answered on the 6th working day',
      '2025-03-07T09:00:00Z',
      '2025-03-17T08:00:00Z',
      '2025-03-20T12:00:00Z',
      marianne,
      'metropole',
      {},
      'answered_late',
      6,
    ],
    [
      'late for the 48 h target',
      '2025-03-07T09:00:00Z',
      '2025-03-12T08:00:00Z',
      '2025-03-20T12:00:00Z',
      dgfip,
      'metropole',
      {},
      'answered_late',
      3,
    ],
    [
      'received late evening UTC = next day in Paris',
      '2025-03-10T23:30:00Z',
      '2025-03-11T08:00:00Z',
      '2025-03-20T12:00:00Z',
      marianne,
      'metropole',
      {},
      'answered_in_time',
      0,
    ],
    [
      'unanswered, 5 working days elapsed: pending',
      '2025-03-07T09:00:00Z',
      null,
      '2025-03-14T18:00:00Z',
      marianne,
      'metropole',
      {},
      'pending',
      5,
    ],
    [
      'unanswered, 6 working days elapsed: overdue',
      '2025-03-07T09:00:00Z',
      null,
      '2025-03-17T07:00:00Z',
      marianne,
      'metropole',
      {},
      'overdue',
      6,
    ],
    [
      'unanswered over Whit Monday',
      '2025-06-06T09:00:00Z',
      null,
      '2025-06-16T09:00:00Z',
      marianne,
      'metropole',
      {},
      'pending',
      5,
    ],
    [
      'unanswered over Whit Monday worked',
      '2025-06-06T09:00:00Z',
      null,
      '2025-06-16T09:00:00Z',
      marianne,
      'metropole',
      { whitMondayWorked: true },
      'overdue',
      6,
    ],
    [
      'Good Friday in Alsace-Moselle',
      '2025-04-17T09:00:00Z',
      '2025-04-22T09:00:00Z',
      '2025-05-01T00:00:00Z',
      dgfip,
      'alsace-moselle',
      {},
      'answered_in_time',
      1,
    ],
    [
      'Good Friday in metropole',
      '2025-04-17T09:00:00Z',
      '2025-04-22T09:00:00Z',
      '2025-05-01T00:00:00Z',
      dgfip,
      'metropole',
      {},
      'answered_in_time',
      2,
    ],
    [
      'answer before receipt (clock skew) counts 0',
      '2025-03-11T00:05:00+01:00',
      '2025-03-10T23:58:00+01:00',
      '2025-03-20T12:00:00Z',
      marianne,
      'metropole',
      {},
      'answered_in_time',
      0,
    ],
    [
      'now before receipt (clock skew): pending, 0',
      '2025-03-11T10:00:00Z',
      null,
      '2025-03-10T10:00:00Z',
      marianne,
      'metropole',
      {},
      'pending',
      0,
    ],
  ] as const)('%s', (_label, received, answered, now, target, region, options, status, delay) => {
    expect(replyStatus(received, answered, now, target, region, options)).toEqual({
      status,
      delayDays: delay,
    });
  });

  it('refuses bad instants, regions and targets', () => {
    expect(() =>
      replyStatus('2025-02-30T10:00:00Z', null, '2025-03-01T10:00:00Z', marianne, 'metropole'),
    ).toThrow(/2025-02-30/);
    expect(() =>
      replyStatus('2025-03-10T10:00:00', null, '2025-03-11T10:00:00Z', marianne, 'metropole'),
    ).toThrow(/2025-03-10T10:00:00/);
    expect(() => replyStatus(new Date('x'), null, new Date(), marianne, 'metropole')).toThrow(
      /Date invalide/,
    );
    expect(() =>
      replyStatus('2025-03-10T10:00:00Z', null, '2025-03-11T10:00:00Z', marianne, 'nice' as never),
    ).toThrow(/nice/);
    const bad = { id: 'x', label: 'x', workingDays: -2 } as Target;
    expect(() => replyStatus('2025-03-10T10:00:00Z', null, '2025-03-11T10:00:00Z', bad, 'metropole')).toThrow(
      /Objectif invalide/,
    );
  });
});

describe('dueDay', () => {
  it('is the n-th working day after the local day of receipt', () => {
    expect(dueDay('2025-03-07T09:00:00Z', marianne, 'metropole')).toBe('2025-03-14');
    expect(dueDay('2025-03-07T23:30:00Z', marianne, 'metropole')).toBe('2025-03-14'); // Saturday in Paris
    expect(dueDay('2025-11-10T09:00:00Z', dgfip, 'metropole')).toBe('2025-11-13');
    // Monday 26 May; 27 May (abolition) and 29 May (Ascension) are holidays in Guadeloupe.
    expect(dueDay('2025-05-26T12:00:00Z', dgfip, 'guadeloupe')).toBe('2025-05-30');
  });

  it('agrees with replyStatus: a reply at noon on the due day is in time, the next working day late', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.constantFrom(...DEFAULT_TARGETS, { id: 'zero', label: 'Z', workingDays: 0 }),
        fc.constantFrom('metropole', 'alsace-moselle', 'reunion', 'guyane'),
        (ms, target, region) => {
          const received = new Date(ms);
          const due = dueDay(received, target, region);
          const noonUtc = `${due}T12:00:00Z`; // noon UTC is the same day in every region tested
          const s = replyStatus(received, noonUtc, noonUtc, target, region);
          expect(s.status).toBe('answered_in_time');
          expect(s.delayDays).toBe(target.workingDays);
        },
      ),
    );
  });
});

// ---- summaries ----
const statusArb: fc.Arbitrary<ReplyStatus> = fc.oneof(
  fc.nat({ max: 30 }).map((d) => ({ status: 'answered_in_time' as const, delayDays: d })),
  fc.nat({ max: 30 }).map((d) => ({ status: 'answered_late' as const, delayDays: d })),
  fc.nat({ max: 30 }).map((d) => ({ status: 'pending' as const, delayDays: d })),
  fc.nat({ max: 30 }).map((d) => ({ status: 'overdue' as const, delayDays: d })),
);

describe('summarize', () => {
  const s = (status: ReplyStatus['status'], delayDays: number): ReplyStatus => ({ status, delayDays });

  it('is all null and zero on nothing', () => {
    expect(summarize([])).toEqual({
      counts: { answered_in_time: 0, answered_late: 0, pending: 0, overdue: 0 },
      decided: 0,
      complianceRate: null,
      medianDelayDays: null,
      p90DelayDays: null,
    });
  });

  it('has no compliance rate when only pending messages exist', () => {
    const r = summarize([s('pending', 1), s('pending', 3)]);
    expect(r.decided).toBe(0);
    expect(r.complianceRate).toBeNull();
    expect(r.medianDelayDays).toBeNull(); // pending delays are not reply delays
  });

  it('counts overdue messages as failures and uses nearest-rank percentiles', () => {
    const r = summarize([
      s('answered_in_time', 0),
      s('answered_in_time', 1),
      s('answered_in_time', 2),
      s('answered_in_time', 2),
      s('answered_late', 7),
      s('overdue', 9),
      s('pending', 1),
    ]);
    expect(r.counts).toEqual({ answered_in_time: 4, answered_late: 1, pending: 1, overdue: 1 });
    expect(r.decided).toBe(6);
    expect(r.complianceRate).toBeCloseTo(4 / 6, 12);
    expect(r.medianDelayDays).toBe(2); // sorted 0 1 2 2 7: rank ceil(2.5) = 3 → 2
    expect(r.p90DelayDays).toBe(7); // rank ceil(4.5) = 5 → 7
  });

  it('nearest-rank on ten values: median = 5th, p90 = 9th', () => {
    const r = summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((d) => s('answered_in_time', d)));
    expect(r.medianDelayDays).toBe(5);
    expect(r.p90DelayDays).toBe(9);
    expect(r.complianceRate).toBe(1);
  });

  it('refuses an answered status without delay and an unknown status', () => {
    expect(() => summarize([{ status: 'answered_late', delayDays: null }])).toThrow(/Délai manquant/);
    expect(() => summarize([{ status: 'toString' as never, delayDays: 1 }])).toThrow(/Statut inconnu/);
  });

  it('equals summarizeHistogram built from the same statuses', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 200 }), (xs) => {
        const counts = { answered_in_time: 0, answered_late: 0, pending: 0, overdue: 0 };
        const histogram = new Map<number, number>();
        for (const x of xs) {
          counts[x.status]++;
          if (x.status.startsWith('answered'))
            histogram.set(x.delayDays ?? -1, (histogram.get(x.delayDays ?? -1) ?? 0) + 1);
        }
        expect(summarizeHistogram(counts, histogram)).toEqual(summarize(xs));
      }),
    );
  });

  it('median and p90 are observed delays with the nearest-rank coverage', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { minLength: 1, maxLength: 200 }), (xs) => {
        const delays = xs.filter((x) => x.status.startsWith('answered')).map((x) => x.delayDays ?? -1);
        const r = summarize(xs);
        if (delays.length === 0) {
          expect(r.medianDelayDays).toBeNull();
          return;
        }
        for (const [p, v] of [
          [0.5, r.medianDelayDays],
          [0.9, r.p90DelayDays],
        ] as const) {
          expect(delays).toContain(v);
          const atOrBelow = delays.filter((d) => d <= (v ?? -1)).length;
          const below = delays.filter((d) => d < (v ?? -1)).length;
          expect(atOrBelow).toBeGreaterThanOrEqual(Math.ceil(p * delays.length));
          expect(below).toBeLessThan(Math.ceil(p * delays.length));
        }
      }),
    );
  });
});

describe('summarizeHistogram: bad input', () => {
  const counts = { answered_in_time: 2, answered_late: 1, pending: 0, overdue: 0 };
  it.each([
    ['a total that does not match the answered count', counts, new Map([[1, 2]]), /3 messages répondus/],
    ['a negative delay', counts, new Map([[-1, 3]]), /Délai invalide.*-1/],
    [
      'a fractional count',
      counts,
      new Map([
        [1, 2.5],
        [2, 0.5],
      ]),
      /2\.5/,
    ],
    ['a negative count', { ...counts, pending: -1 }, new Map([[1, 3]]), /pending.*-1/],
  ])('refuses %s', (_label, c, h, message) => {
    expect(() => summarizeHistogram(c, h)).toThrow(message);
  });
});
