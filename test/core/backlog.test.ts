// Backlog ageing: buckets, ages on regional calendars, idle days after a day, rollup rows, tally.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BacklogTally,
  backlogAge,
  backlogBucket,
  idleDaysAfter,
  rollupStateOn,
  waitingOn,
} from '../../src/core/backlog.ts';
import { addDays, addWorkingDays, localDay, regions, type Region } from '../../src/core/calendar.ts';
import { DEFAULT_TARGETS, findTarget, replyStatus, type Target } from '../../src/core/targets.ts';

const marianne = findTarget(DEFAULT_TARGETS, 'marianne');
const t = (workingDays: number): Target => ({ id: `t${workingDays}`, label: 'T', workingDays });

describe('backlogBucket', () => {
  it.each([
    [0, marianne, 'inTime', 'fresh message'],
    [3, marianne, 'inTime', 'target − 2'],
    [4, marianne, 'dueSoon', 'due tomorrow (target − 1)'],
    [5, marianne, 'dueSoon', 'due today (target)'],
    [6, marianne, 'overdue', 'one day late'],
    [0, t(0), 'dueSoon', 'target 0: due the day of receipt'],
    [1, t(0), 'overdue', 'target 0: late the next working day'],
    [0, t(1), 'dueSoon', 'target 1: due tomorrow already'],
    [2, t(1), 'overdue', 'target 1'],
  ] as const)('age %i against %o → %s (%s)', (age, target, bucket, _why) => {
    expect(backlogBucket(age, target)).toBe(bucket);
  });

  it('refuses a negative or fractional age', () => {
    expect(() => backlogBucket(-1, marianne)).toThrow(/Âge invalide/);
    expect(() => backlogBucket(1.5, marianne)).toThrow(/Âge invalide/);
  });
});

describe('backlogAge on regional calendars', () => {
  it.each<[string, string, Region, boolean, number, string]>([
    ['2025-04-17', '2025-04-22', 'metropole', false, 2, 'Good Friday worked, Easter Monday off'],
    ['2025-04-17', '2025-04-22', 'alsace-moselle', false, 1, 'Alsace-Moselle: Good Friday off too'],
    ['2024-12-19', '2024-12-23', 'metropole', false, 2, 'metropole works 20 December'],
    ['2024-12-19', '2024-12-23', 'reunion', false, 1, 'La Réunion: abolition day 20 December'],
    ['2025-05-21', '2025-05-23', 'martinique', false, 1, 'Martinique: abolition day 22 May'],
    ['2025-05-26', '2025-05-28', 'guadeloupe', false, 1, 'Guadeloupe: abolition day 27 May'],
    ['2025-06-06', '2025-06-10', 'metropole', false, 1, 'Whit Monday off'],
    ['2025-06-06', '2025-06-10', 'metropole', true, 2, 'Whit Monday worked (journée de solidarité)'],
    ['2025-06-06', '2025-06-10', 'guyane', false, 0, 'Guyane: Whit Monday and 10 June off'],
    ['2025-07-11', '2025-07-11', 'metropole', false, 0, 'received the same day'],
  ])('%s → %s in %s (Whit Monday worked: %s) = %i (%s)', (received, asOf, region, whit, age) => {
    expect(backlogAge(received, asOf, region, { whitMondayWorked: whit })).toBe(age);
  });

  it('is null for a message received after the day', () => {
    expect(backlogAge('2025-07-12', '2025-07-11', 'metropole')).toBeNull();
  });

  it('puts the same message in different buckets by region (target 3 / target 1)', () => {
    expect(backlogBucket(backlogAge('2025-04-17', '2025-04-22', 'metropole')!, t(3))).toBe('dueSoon');
    expect(backlogBucket(backlogAge('2025-04-17', '2025-04-22', 'alsace-moselle')!, t(3))).toBe('inTime');
    expect(backlogBucket(backlogAge('2024-12-19', '2024-12-23', 'metropole')!, t(1))).toBe('overdue');
    expect(backlogBucket(backlogAge('2024-12-19', '2024-12-23', 'reunion')!, t(1))).toBe('dueSoon');
    const whitOff = backlogAge('2025-06-06', '2025-06-10', 'metropole')!;
    const whitWorked = backlogAge('2025-06-06', '2025-06-10', 'metropole', { whitMondayWorked: true })!;
    expect([backlogBucket(whitOff, t(1)), backlogBucket(whitWorked, t(1))]).toEqual(['dueSoon', 'overdue']);
  });

  it('« en retard » is exactly replyStatus overdue, and starts on the (target + 1)-th working day', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }),
        fc.nat({ max: 60 }),
        fc.nat({ max: 8 }),
        fc.constantFrom(...regions),
        fc.boolean(),
        (ms, span, n, region, whitMondayWorked) => {
          const options = { whitMondayWorked };
          const received = new Date(ms);
          const receivedDay = localDay(received, region);
          const asOf = addDays(receivedDay, span);
          const age = backlogAge(receivedDay, asOf, region, options)!;
          const status = replyStatus(received, null, `${asOf}T12:00:00Z`, t(n), region, options);
          expect(age).toBe(status.delayDays);
          expect(backlogBucket(age, t(n)) === 'overdue').toBe(status.status === 'overdue');
          const firstLate = addWorkingDays(receivedDay, n + 1, region, options);
          expect(backlogBucket(age, t(n)) === 'overdue').toBe(asOf >= firstLate);
        },
      ),
    );
  });
});

describe('idleDaysAfter and rollup rows', () => {
  it.each<[string, Region, boolean, string[], string]>([
    ['2025-07-09', 'metropole', false, [], 'a Wednesday before a working day'],
    ['2025-07-11', 'metropole', false, ['2025-07-12', '2025-07-13', '2025-07-14'], 'Friday before 14 July'],
    ['2025-11-10', 'metropole', false, ['2025-11-11'], 'eve of Armistice'],
    ['2025-05-28', 'metropole', false, ['2025-05-29'], 'eve of Ascension'],
    [
      '2025-04-17',
      'alsace-moselle',
      false,
      ['2025-04-18', '2025-04-19', '2025-04-20', '2025-04-21'],
      'Good Friday',
    ],
    ['2025-04-17', 'metropole', false, [], 'Good Friday worked in metropole'],
    ['2025-05-26', 'guadeloupe', false, ['2025-05-27'], 'abolition day in Guadeloupe'],
    ['2025-06-06', 'metropole', false, ['2025-06-07', '2025-06-08', '2025-06-09'], 'Whit Monday off'],
    ['2025-06-06', 'metropole', true, ['2025-06-07', '2025-06-08'], 'Whit Monday worked'],
  ])('after %s in %s (Whit Monday worked: %s) → %o (%s)', (asOf, region, whit, idle) => {
    expect(idleDaysAfter(asOf, region, { whitMondayWorked: whit })).toEqual(idle);
  });

  it('classifies rollup rows: unanswered and later answers wait, earlier answers do not, equal is unknown', () => {
    expect(rollupStateOn(-1, 0)).toBe('waiting');
    expect(rollupStateOn(4, 3)).toBe('waiting');
    expect(rollupStateOn(2, 3)).toBe('answered');
    expect(rollupStateOn(3, 3)).toBe('unknown');
  });

  it('an answer on an idle day after asOf has the delay an answer on asOf would have (why rows are unknown)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(2001, 0, 1), max: Date.UTC(2098, 0, 1) }),
        fc.nat({ max: 30 }),
        fc.constantFrom(...regions),
        (ms, back, region) => {
          const asOf = localDay(new Date(ms), region);
          const received = addDays(asOf, -back);
          const age = backlogAge(received, asOf, region)!;
          for (const idle of idleDaysAfter(asOf, region)) {
            expect(waitingOn(received, idle, asOf)).toBe(true);
            expect(rollupStateOn(backlogAge(received, idle, region)!, age)).toBe('unknown');
          }
          const next = addWorkingDays(asOf, 1, region);
          expect(rollupStateOn(backlogAge(received, next, region)!, age)).toBe('waiting');
        },
      ),
    );
  });

  it('waitingOn: received by the day and not answered by it', () => {
    expect(waitingOn('2025-07-10', null, '2025-07-11')).toBe(true);
    expect(waitingOn('2025-07-10', '2025-07-11', '2025-07-11')).toBe(false);
    expect(waitingOn('2025-07-10', '2025-07-12', '2025-07-11')).toBe(true);
    expect(waitingOn('2025-07-12', null, '2025-07-11')).toBe(false);
  });
});

describe('BacklogTally', () => {
  it('counts per bucket and keeps the oldest age; ignores empty counts', () => {
    const tally = new BacklogTally(marianne);
    tally.add(0, 3);
    tally.add(5, 2);
    tally.add(9, 1);
    tally.add(40, 0);
    expect(tally.buckets).toEqual({ inTime: 3, dueSoon: 2, overdue: 1 });
    expect(tally.oldestAgeDays).toBe(9);
    expect(tally.total).toBe(6);
    expect(new BacklogTally(marianne).oldestAgeDays).toBeNull();
  });
});
