// Sampling periods: the presets a chef de service picks (this/last week, this/last month, custom) as local days.
import { addDays, dayNumber, isoWeekStart, monthStart } from '../../core/calendar.ts';

export const periodPresets = ['this-week', 'last-week', 'this-month', 'last-month', 'custom'] as const;
export type PeriodPreset = (typeof periodPresets)[number];

export interface Period {
  preset: PeriodPreset;
  /** First local day, YYYY-MM-DD, inclusive. */
  from: string;
  /** Last local day, inclusive. */
  to: string;
}

export function isPeriodPreset(x: unknown): x is PeriodPreset {
  return typeof x === 'string' && (periodPresets as readonly string[]).includes(x);
}

/**
 * The days of a preset around `today` (a local day of the service's region). "This week/month" stop at
 * today: later days cannot hold received mail. A custom period must be given and ordered.
 */
export function periodDays(
  preset: PeriodPreset,
  today: string,
  custom?: { from: string; to: string },
): Period {
  switch (preset) {
    case 'this-week':
      return { preset, from: isoWeekStart(today), to: today };
    case 'last-week': {
      const from = addDays(isoWeekStart(today), -7);
      return { preset, from, to: addDays(from, 6) };
    }
    case 'this-month':
      return { preset, from: monthStart(today), to: today };
    case 'last-month': {
      const to = addDays(monthStart(today), -1);
      return { preset, from: monthStart(to), to };
    }
    case 'custom': {
      if (!custom) throw new RangeError('période personnalisée sans dates');
      // dayNumber validates the format and the calendar date (French RangeError on a bad day).
      if (dayNumber(custom.from) > dayNumber(custom.to)) {
        throw new RangeError(`la fin de période (${custom.to}) précède le début (${custom.from})`);
      }
      return { preset, from: custom.from, to: custom.to };
    }
  }
}
