// Period arithmetic of the dashboard: presets, previous/next, ISO weeks, labels, granularity.
import { addDays, differenceInCalendarDays, format } from 'date-fns';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketEnd,
  bucketLabel,
  bucketShortLabel,
  comparisonPeriod,
  isFuture,
  isRunning,
  lastYearPeriod,
  defaultGranularity,
  homePeriod,
  isValidPeriod,
  parseDay,
  periodLabel,
  presetOf,
  presetPeriod,
  presets,
  shiftPeriod,
  unitOf,
  type Preset,
} from '../../src/dashboard/period.ts';

// Sunday 29 November 2026: the ISO week starts on Monday 23.
const today = new Date(2026, 10, 29, 15, 30);

describe('homePeriod', () => {
  it.each([
    [new Date(2026, 10, 29), '2026-11-01', '2026-11-30'],
    [new Date(2026, 10, 8, 0, 0), '2026-11-01', '2026-11-30'],
    [new Date(2026, 11, 1, 8, 0), '2026-11-01', '2026-11-30'],
    [new Date(2026, 11, 7, 23, 59), '2026-11-01', '2026-11-30'],
    [new Date(2026, 11, 8), '2026-12-01', '2026-12-31'],
    [new Date(2027, 0, 3), '2026-12-01', '2026-12-31'],
  ])('on %s opens on %s..%s', (day, from, to) => {
    expect(homePeriod(day)).toEqual({ from, to });
  });
});

describe('lastYearPeriod', () => {
  it.each([
    // A month running on Monday 16 November: 1–16 November a year earlier.
    [{ from: '2026-11-01', to: '2026-11-30' }, new Date(2026, 10, 16, 10), '2025-11-01', '2025-11-16'],
    // Finished: the whole month; February keeps its own last day across leap years.
    [{ from: '2024-02-01', to: '2024-02-29' }, new Date(2026, 10, 16), '2023-02-01', '2023-02-28'],
    [{ from: '2025-02-01', to: '2025-02-28' }, new Date(2026, 10, 16), '2024-02-01', '2024-02-29'],
    // ISO week 47 against week 47: the same weekdays (Monday to Sunday), not the same dates.
    [{ from: '2026-11-16', to: '2026-11-22' }, new Date(2027, 0, 1), '2025-11-17', '2025-11-23'],
    // A quarter and a year.
    [{ from: '2026-10-01', to: '2026-12-31' }, new Date(2027, 0, 1), '2025-10-01', '2025-12-31'],
    [{ from: '2026-01-01', to: '2026-12-31' }, new Date(2026, 8, 30), '2025-01-01', '2025-09-30'],
    // A custom range: the same dates.
    [{ from: '2026-03-10', to: '2026-04-20' }, new Date(2026, 10, 16), '2025-03-10', '2025-04-20'],
  ])('%o on %s compares with %s..%s', (period, day, from, to) => {
    expect(lastYearPeriod(period, day)).toEqual({ from, to });
  });
});

describe('running and future periods', () => {
  it('tells a running period from a past or a future one', () => {
    const november = { from: '2026-11-01', to: '2026-11-30' };
    expect(isRunning(november, new Date(2026, 10, 30, 23, 59))).toBe(true);
    expect(isRunning(november, new Date(2026, 11, 1))).toBe(false);
    expect(isFuture(november, new Date(2026, 9, 31, 23, 59))).toBe(true);
    expect(isFuture(november, new Date(2026, 10, 1))).toBe(false);
  });

  it('knows where a series period ends and labels axes shortly', () => {
    expect(bucketEnd('2026-11-16', 'day')).toBe('2026-11-16');
    expect(bucketEnd('2026-12-28', 'week')).toBe('2027-01-03');
    expect(bucketEnd('2024-02-01', 'month')).toBe('2024-02-29');
    expect(bucketShortLabel('2026-11-16', 'day')).toBe('16 nov.');
    expect(bucketShortLabel('2026-11-16', 'week')).toBe('sem. 47');
    expect(bucketShortLabel('2026-11-01', 'month')).toBe('nov. 2026');
  });
});

describe('comparisonPeriod', () => {
  const month = { from: '2026-12-01', to: '2026-12-31' };
  it.each([
    // This month on the 15th: the first fifteen days of November, not all of it.
    [month, new Date(2026, 11, 15, 9), '2026-11-01', '2026-11-15'],
    [month, new Date(2026, 11, 1), '2026-11-01', '2026-11-01'],
    // The 31st of a 31-day month: November has 30, all of it.
    [month, new Date(2026, 11, 31), '2026-11-01', '2026-11-30'],
    [month, new Date(2026, 11, 30), '2026-11-01', '2026-11-30'],
    // A finished month, and one not begun: the whole month before.
    [month, new Date(2027, 0, 3), '2026-11-01', '2026-11-30'],
    [month, new Date(2026, 10, 20), '2026-11-01', '2026-11-30'],
    // This week on Wednesday: Monday to Wednesday of last week.
    [{ from: '2026-11-30', to: '2026-12-06' }, new Date(2026, 11, 2), '2026-11-23', '2026-11-25'],
    // This year on 1 December: last year to 1 December.
    [{ from: '2026-01-01', to: '2026-12-31' }, new Date(2026, 11, 1), '2025-01-01', '2025-12-01'],
    // A custom range running past today: the range before it, as many days as this one has run.
    [{ from: '2026-11-20', to: '2026-12-10' }, new Date(2026, 11, 1), '2026-10-30', '2026-11-10'],
  ])('%o on %s compares with %s..%s', (period, day, from, to) => {
    expect(comparisonPeriod(period, day)).toEqual({ from, to });
  });

  it('never reaches past the whole period before, nor starts elsewhere (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date(2020, 0, 1), max: new Date(2030, 11, 31), noInvalidDate: true }),
        fc.constantFrom(...presets),
        fc.integer({ min: -40, max: 400 }),
        (anchor, preset, offset) => {
          const period = presetPeriod(preset, anchor);
          const today = addDays(anchor, offset);
          const whole = shiftPeriod(period, -1);
          const compared = comparisonPeriod(period, today);
          expect(compared.from).toBe(whole.from);
          expect(compared.to <= whole.to).toBe(true);
          expect(compared.from <= compared.to).toBe(true);
          const day = format(today, 'yyyy-MM-dd');
          if (day < period.from || day >= period.to) expect(compared).toEqual(whole);
          else if (compared.to !== whole.to) {
            // As many days as the current period has run, today included.
            const length = (p: { from: string; to: string }) =>
              differenceInCalendarDays(parseDay(p.to)!, parseDay(p.from)!);
            expect(length(compared)).toBe(length({ from: period.from, to: day }));
          }
        },
      ),
    );
  });
});

describe('presetPeriod', () => {
  const cases: [Preset, string, string][] = [
    ['this-week', '2026-11-23', '2026-11-29'],
    ['last-week', '2026-11-16', '2026-11-22'],
    ['this-month', '2026-11-01', '2026-11-30'],
    ['last-month', '2026-10-01', '2026-10-31'],
    ['quarter', '2026-10-01', '2026-12-31'],
    ['year', '2026-01-01', '2026-12-31'],
  ];
  it.each(cases)('%s on Sunday 29/11/2026 is %s..%s', (preset, from, to) => {
    expect(presetPeriod(preset, today)).toEqual({ from, to });
    expect(presetOf({ from, to }, today)).toBe(preset);
  });

  it('starts the week on Monday even on a Monday and across a year end', () => {
    expect(presetPeriod('this-week', new Date(2026, 10, 23))).toEqual({
      from: '2026-11-23',
      to: '2026-11-29',
    });
    // Thursday 1 January 2026 belongs to ISO week 1 starting Monday 29 December 2025.
    expect(presetPeriod('this-week', new Date(2026, 0, 1))).toEqual({ from: '2025-12-29', to: '2026-01-04' });
    expect(presetPeriod('last-month', new Date(2026, 0, 15))).toEqual({
      from: '2025-12-01',
      to: '2025-12-31',
    });
  });

  it('says custom for a range that is no preset', () => {
    expect(presetOf({ from: '2026-11-02', to: '2026-11-20' }, today)).toBe('custom');
  });
});

describe('shiftPeriod', () => {
  it.each([
    ['a week', '2026-11-23', '2026-11-29', '2026-11-16', '2026-11-22', '2026-11-30', '2026-12-06'],
    [
      'a month of 30 days to 31 and 31',
      '2026-11-01',
      '2026-11-30',
      '2026-10-01',
      '2026-10-31',
      '2026-12-01',
      '2026-12-31',
    ],
    [
      'March to February of a leap year',
      '2028-03-01',
      '2028-03-31',
      '2028-02-01',
      '2028-02-29',
      '2028-04-01',
      '2028-04-30',
    ],
    ['a quarter', '2026-01-01', '2026-03-31', '2025-10-01', '2025-12-31', '2026-04-01', '2026-06-30'],
    ['a year', '2026-01-01', '2026-12-31', '2025-01-01', '2025-12-31', '2027-01-01', '2027-12-31'],
    [
      'a custom range by its length',
      '2026-11-02',
      '2026-11-11',
      '2026-10-23',
      '2026-11-01',
      '2026-11-12',
      '2026-11-21',
    ],
  ])('shifts %s', (_what, from, to, prevFrom, prevTo, nextFrom, nextTo) => {
    expect(shiftPeriod({ from, to }, -1)).toEqual({ from: prevFrom, to: prevTo });
    expect(shiftPeriod({ from, to }, 1)).toEqual({ from: nextFrom, to: nextTo });
    expect(shiftPeriod(shiftPeriod({ from, to }, -1), 1)).toEqual({ from, to });
  });

  it('recognises the unit of a period', () => {
    expect(unitOf({ from: '2026-01-01', to: '2026-12-31' })).toBe('year');
    expect(unitOf({ from: '2026-04-01', to: '2026-06-30' })).toBe('quarter');
    expect(unitOf({ from: '2026-02-01', to: '2026-02-28' })).toBe('month');
    expect(unitOf({ from: '2026-02-02', to: '2026-02-08' })).toBe('week');
    expect(unitOf({ from: '2026-02-03', to: '2026-02-09' })).toBe('days');
  });
});

describe('labels and granularity', () => {
  it('labels periods in French', () => {
    expect(periodLabel({ from: '2026-11-23', to: '2026-11-29' })).toBe(
      'semaine 48 (du 23 novembre 2026 au 29 novembre 2026)',
    );
    expect(periodLabel({ from: '2026-11-01', to: '2026-11-30' })).toBe('novembre 2026');
    expect(periodLabel({ from: '2026-01-01', to: '2026-12-31' })).toBe('année 2026');
    expect(periodLabel({ from: '2026-11-03', to: '2026-11-03' })).toBe('mardi 3 novembre 2026');
    expect(bucketLabel('2026-11-23', 'week')).toBe('semaine 48 (lun. 23 nov. 2026)');
    expect(bucketLabel('2026-11-01', 'month')).toBe('novembre 2026');
  });

  it('picks day, week or month by length', () => {
    expect(defaultGranularity({ from: '2026-11-01', to: '2026-11-30' })).toBe('day');
    expect(defaultGranularity({ from: '2026-10-01', to: '2026-12-31' })).toBe('week');
    expect(defaultGranularity({ from: '2026-01-01', to: '2026-12-31' })).toBe('month');
  });

  it('rejects malformed or reversed periods', () => {
    expect(isValidPeriod({ from: '2026-11-30', to: '2026-11-01' })).toBe(false);
    expect(isValidPeriod({ from: '2026-02-30', to: '2026-03-01' })).toBe(false);
    expect(isValidPeriod({ from: '2026-11-01', to: '2026-11-01' })).toBe(true);
  });
});

describe('properties', () => {
  const day = fc.date({ min: new Date(2000, 0, 1), max: new Date(2099, 11, 31), noInvalidDate: true });
  const nextDay = (iso: string) => {
    const d = parseDay(iso)!;
    return format(addDays(d, 1), 'yyyy-MM-dd');
  };

  it('every preset is a valid period; the "this …" ones contain today', () => {
    fc.assert(
      fc.property(day, fc.constantFrom(...presets), (today, preset) => {
        const p = presetPeriod(preset, today);
        expect(isValidPeriod(p)).toBe(true);
        const iso = format(today, 'yyyy-MM-dd');
        if (preset !== 'last-week' && preset !== 'last-month')
          expect(p.from <= iso && iso <= p.to).toBe(true);
        else expect(p.to < iso).toBe(true);
      }),
    );
  });

  it('previous and next periods are adjacent, never overlap, and undo each other', () => {
    // The known exception: 1 January–1 April (92 days) has Q4 as previous, whose next is Q1.
    const odd = { from: '2000-01-01', to: '2000-04-01' };
    expect(shiftPeriod(odd, -1)).toEqual({ from: '1999-10-01', to: '1999-12-31' });
    expect(shiftPeriod(shiftPeriod(odd, -1), 1)).toEqual({ from: '2000-01-01', to: '2000-03-31' });
    const period = fc.tuple(day, fc.integer({ min: 0, max: 400 })).map(([from, length]) => ({
      from: format(from, 'yyyy-MM-dd'),
      to: format(addDays(from, length), 'yyyy-MM-dd'),
    }));
    fc.assert(
      fc.property(
        fc.oneof(
          period,
          fc.tuple(day, fc.constantFrom(...presets)).map(([d, p]) => presetPeriod(p, d)),
        ),
        (p) => {
          const previous = shiftPeriod(p, -1);
          const next = shiftPeriod(p, 1);
          expect(nextDay(previous.to)).toBe(p.from);
          expect(nextDay(p.to)).toBe(next.from);
          // Undo holds unless a custom range's neighbour happens to be a whole calendar unit:
          // then that neighbour's own neighbours are units too (pinned below).
          if (unitOf(previous) === unitOf(p)) expect(shiftPeriod(previous, 1)).toEqual(p);
          if (unitOf(next) === unitOf(p)) expect(shiftPeriod(next, -1)).toEqual(p);
          if (unitOf(p) !== 'days') expect([unitOf(previous), unitOf(next)]).toEqual([unitOf(p), unitOf(p)]);
        },
      ),
    );
  });
});
