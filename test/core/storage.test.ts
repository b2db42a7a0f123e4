// Storage watch: bands, trend between clean-ups (Theil–Sen per working day), projected day of saturation.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, isWorkingDay, workingDaysAfter } from '../../src/core/calendar.ts';
import {
  cleanupSegments,
  closerToSaturation,
  growthPerWorkingDay,
  MAX_PROJECTION_WORKING_DAYS,
  saturationDay,
  storageBand,
  storageFigures,
  storagePercent,
  type StoragePoint,
} from '../../src/core/storage.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** One reading a day from `start`, for `days` calendar days, weekends included; `used(i, day)` bytes. */
function series(
  start: string,
  days: number,
  used: (i: number, day: string) => number,
  limit: (i: number) => number = () => 2 * GiB,
): StoragePoint[] {
  return Array.from({ length: days }, (_, i) => {
    const day = addDays(start, i);
    return { day, usedBytes: used(i, day), limitBytes: limit(i) };
  });
}

/** Working days from the first day of the series up to `day` (the x of the trend). */
const wd = (from: string, day: string) => workingDaysAfter(from, day, 'metropole');

describe('storageBand and storagePercent', () => {
  it.each([
    [0, 100, 'ok', 0],
    [79, 100, 'ok', 79],
    [80, 100, 'warning', 80],
    [94, 100, 'warning', 94],
    [95, 100, 'critical', 95],
    [99, 100, 'critical', 99],
    [100, 100, 'full', 100],
    [120, 100, 'full', 120],
    // 80 % of 2 GiB exactly is « 80 % ou plus »; one byte less is not.
    [0.8 * 2 * GiB, 2 * GiB, 'warning', 80],
    [0.8 * 2 * GiB - 1, 2 * GiB, 'ok', 80],
  ])('%d of %d bytes → %s (%d %)', (used, limit, band, percent) => {
    expect(storageBand(used, limit)).toBe(band);
    expect(storagePercent(used, limit)).toBe(percent);
  });
});

describe('growthPerWorkingDay', () => {
  it('steady growth: 20 MiB each working day, weekends flat → 20 MiB per working day', () => {
    const start = '2026-10-01';
    const points = series(start, 30, (_i, day) => GiB / 2 + 20 * MiB * wd(start, day));
    expect(growthPerWorkingDay(points, 'metropole')).toBe(20 * MiB);
  });

  it('mail of the weekend counts in the growth per working day (7 days of inflow over 5 working days)', () => {
    const start = '2026-10-05'; // a Monday
    // 10 MiB every calendar day: 70 MiB a week over 5 working days = 14 MiB per working day.
    const points = series(start, 28, (i) => 10 * MiB * i);
    expect(growthPerWorkingDay(points, 'metropole')).toBe(14 * MiB);
  });

  it('a clean-up is not a trend: the inflow before and after it gives the growth', () => {
    const start = '2026-10-01';
    const steady = (day: string) => GiB + 20 * MiB * wd(start, day);
    // On 15 October, 600 MiB archived: the level falls once, then grows at the same pace.
    const points = series(start, 30, (_i, day) => steady(day) - (day >= '2026-10-15' ? 600 * MiB : 0));
    expect(cleanupSegments(points)).toHaveLength(2);
    expect(growthPerWorkingDay(points, 'metropole')).toBe(20 * MiB);
    // Measured across the clean-up (no segments), the same readings would say the BALF shrinks.
    const naive = (points.at(-1)!.usedBytes - points[0]!.usedBytes) / wd(start, points.at(-1)!.day);
    expect(naive).toBeLessThan(0);
  });

  it('daily deletions below 1 % of the quota stay in the trend (the median absorbs them)', () => {
    const start = '2026-10-01';
    // +30 MiB a working day, and every Wednesday 15 MiB deleted (0.7 % of 2 GiB): no clean-up.
    const points = series(start, 30, (_i, day) => {
      const wednesdays = [...Array(30).keys()]
        .map((k) => addDays(start, k))
        .filter((d) => d <= day && new Date(`${d}T12:00:00Z`).getUTCDay() === 3).length;
      return GiB + 30 * MiB * wd(start, day) - 15 * MiB * wednesdays;
    });
    expect(cleanupSegments(points)).toHaveLength(1);
    const growth = growthPerWorkingDay(points, 'metropole')!;
    expect(growth).toBeGreaterThan(24 * MiB);
    expect(growth).toBeLessThanOrEqual(30 * MiB);
  });

  it('one odd reading does not move the median', () => {
    const start = '2026-10-01';
    const points = series(start, 30, (_i, day) => GiB + 20 * MiB * wd(start, day));
    points[12] = { ...points[12]!, usedBytes: points[12]!.usedBytes + 5 * MiB };
    expect(growthPerWorkingDay(points, 'metropole')).toBe(20 * MiB);
  });

  it('a new empty BALF: one reading gives no trend, a week of zeros gives no growth', () => {
    expect(growthPerWorkingDay([{ day: '2026-10-12', usedBytes: 0, limitBytes: GiB }], 'metropole')).toBe(
      null,
    );
    // Four working days are not enough (MIN_TREND_WORKING_DAYS = 5).
    expect(
      growthPerWorkingDay(
        series('2026-10-12', 5, () => 0),
        'metropole',
      ),
    ).toBe(null);
    expect(
      growthPerWorkingDay(
        series('2026-10-12', 10, () => 0),
        'metropole',
      ),
    ).toBe(0);
  });

  it('a limit change moves neither the growth nor the segments', () => {
    const start = '2026-10-01';
    const used = (_i: number, day: string) => GiB + 20 * MiB * wd(start, day);
    const raised = series(start, 30, used, (i) => (i < 20 ? 2 * GiB : 4 * GiB));
    expect(cleanupSegments(raised)).toHaveLength(1);
    expect(growthPerWorkingDay(raised, 'metropole')).toBe(20 * MiB);
  });

  it('holidays of the region are not working days (11 November in metropole)', () => {
    const start = '2026-11-02';
    // Flat on the 11th, a holiday: 20 MiB per working day exactly when it is not counted.
    const points = series(start, 20, (_i, day) => GiB + 20 * MiB * wd(start, day));
    expect(isWorkingDay('2026-11-11', 'metropole')).toBe(false);
    expect(growthPerWorkingDay(points, 'metropole')).toBe(20 * MiB);
  });

  it('property: exact on any linear growth, whatever the level and the clean-ups', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 * MiB }),
        fc.integer({ min: 0, max: GiB }),
        fc.array(fc.record({ at: fc.integer({ min: 1, max: 29 }), size: fc.integer({ min: 1, max: 400 }) }), {
          maxLength: 3,
        }),
        (rate, base, cleanups) => {
          const start = '2026-09-07';
          const limit = 8 * GiB;
          const points = series(
            start,
            30,
            (i, day) => {
              // A clean-up removes more than a day's growth plus 1 % of the quota: it is seen as one.
              const removed = cleanups
                .filter((c) => c.at <= i)
                .reduce((sum, c) => sum + c.size * MiB + 0.01 * limit + 2 * rate, 0);
              return base + 3 * GiB + rate * wd(start, day) - removed;
            },
            () => limit,
          );
          expect(growthPerWorkingDay(points, 'metropole')).toBe(rate);
        },
      ),
    );
  });
});

describe('saturationDay and storageFigures', () => {
  it('steady growth: the working day the remaining space runs out', () => {
    const start = '2026-10-01';
    const points = series(start, 30, (_i, day) => GiB + 20 * MiB * wd(start, day));
    const latest = points.at(-1)!;
    const figures = storageFigures(points, latest, 'metropole');
    const remaining = 2 * GiB - latest.usedBytes;
    expect(figures.growthBytesPerDay).toBe(20 * MiB);
    expect(wd(latest.day, figures.fullOn!)).toBe(Math.ceil(remaining / (20 * MiB)));
    expect(isWorkingDay(figures.fullOn!, 'metropole')).toBe(true);
    expect(figures.percent).toBe(storagePercent(latest.usedBytes, 2 * GiB));
  });

  it('a limit raised: same growth, later saturation', () => {
    const start = '2026-10-01';
    const used = (_i: number, day: string) => GiB + 20 * MiB * wd(start, day);
    const before = series(start, 30, used);
    const after = series(start, 30, used, (i) => (i < 29 ? 2 * GiB : 3 * GiB));
    const a = storageFigures(before, before.at(-1)!, 'metropole');
    const b = storageFigures(after, after.at(-1)!, 'metropole');
    expect(b.growthBytesPerDay).toBe(a.growthBytesPerDay);
    expect(b.fullOn! > a.fullOn!).toBe(true);
    expect(b.percent).toBeLessThan(a.percent);
  });

  it('a full BALF is saturated on its reading day; a shrinking or flat one has no day', () => {
    const full = { day: '2026-10-30', usedBytes: 2 * GiB, limitBytes: 2 * GiB };
    expect(saturationDay(full, null, 'metropole')).toBe('2026-10-30');
    const half = { day: '2026-10-30', usedBytes: GiB, limitBytes: 2 * GiB };
    expect(saturationDay(half, 0, 'metropole')).toBe(null);
    expect(saturationDay(half, -5 * MiB, 'metropole')).toBe(null);
    expect(saturationDay(half, null, 'metropole')).toBe(null);
  });

  it(`no day beyond ${MAX_PROJECTION_WORKING_DAYS} working days`, () => {
    const latest = { day: '2026-10-30', usedBytes: 0, limitBytes: 1000 };
    expect(saturationDay(latest, 1000 / MAX_PROJECTION_WORKING_DAYS, 'metropole')).not.toBe(null);
    expect(saturationDay(latest, 1000 / (MAX_PROJECTION_WORKING_DAYS + 1), 'metropole')).toBe(null);
  });

  it('property: the projected day is exactly ceil(remaining / growth) working days after the reading', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 10 * MiB }),
        fc.constantFrom('metropole', 'alsace-moselle', 'reunion', 'guyane' as const),
        (offset, remainingMiB, growth, region) => {
          const day = addDays('2026-01-01', offset);
          const latest = { day, usedBytes: GiB, limitBytes: GiB + remainingMiB * MiB };
          const full = saturationDay(latest, growth, region);
          const need = Math.ceil((remainingMiB * MiB) / growth);
          if (need > MAX_PROJECTION_WORKING_DAYS) expect(full).toBe(null);
          else {
            expect(workingDaysAfter(day, full!, region)).toBe(need);
            expect(isWorkingDay(full!, region)).toBe(true);
          }
        },
      ),
    );
  });
});

describe('closerToSaturation', () => {
  it('earliest day first, then highest use, unknown quotas last', () => {
    const rows = [
      { id: 'unknown', usedBytes: null, limitBytes: null, fullOn: null },
      { id: 'no-day-90', usedBytes: 90, limitBytes: 100, fullOn: null },
      { id: 'late', usedBytes: 50, limitBytes: 100, fullOn: '2027-03-01' },
      { id: 'full', usedBytes: 100, limitBytes: 100, fullOn: '2026-10-30' },
      { id: 'soon', usedBytes: 70, limitBytes: 100, fullOn: '2026-11-20' },
      { id: 'no-day-40', usedBytes: 40, limitBytes: 100, fullOn: null },
    ];
    expect(rows.sort(closerToSaturation).map((r) => r.id)).toEqual([
      'full',
      'soon',
      'late',
      'no-day-90',
      'no-day-40',
      'unknown',
    ]);
  });
});
