// Calendar: holidays against the date-holidays oracle, Easter, working-day arithmetic, local days.
import Holidays from 'date-holidays';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addWorkingDays,
  dayFromNumber,
  dayNumber,
  easterSunday,
  isoWeekStart,
  isRegion,
  isWorkingDay,
  localDay,
  monthStart,
  parseDay,
  parseInstant,
  publicHolidays,
  regionForDepartment,
  regions,
  timeZoneForRegion,
  todayIn,
  workingDaysAfter,
  type Region,
} from '../../src/core/calendar.ts';

/** date-holidays country/state for each region (Alsace-Moselle: all three departments). */
const ORACLE: Record<Region, [string, string?][]> = {
  metropole: [['FR']],
  'alsace-moselle': [
    ['FR', '57'],
    ['FR', '67'],
    ['FR', '68'],
  ],
  guadeloupe: [['GP']],
  martinique: [['MQ']],
  guyane: [['GF']],
  reunion: [['RE']],
  mayotte: [['YT']],
};

/** Oracle names → ours. */
const NAMES: Record<string, string> = {
  'Nouvel An': "Jour de l'an",
  'Fête du travail': 'Fête du Travail',
  'Fête de la Victoire 1945': 'Victoire 1945',
  'Fête Nationale de la France': 'Fête nationale',
  'Lendemain de Noël': 'Saint-Étienne',
  'Abolition de l’esclavage': "Abolition de l'esclavage",
};

describe('publicHolidays against date-holidays', () => {
  // date-holidays, like us, applies today's list to every year (it has 8 May in 1970 too), so the
  // comparison covers the whole range without a historical carve-out.
  it('matches for every year 1900–2200 and every region', () => {
    const mismatches: string[] = [];
    for (const region of regions) {
      for (const [country, state] of ORACLE[region]) {
        const hd = state ? new Holidays(country, state) : new Holidays(country);
        for (let year = 1900; year <= 2200; year++) {
          const expected = hd
            .getHolidays(year)
            .filter((h) => h.type === 'public')
            // Deliberate difference: date-holidays lists Good Friday in Guadeloupe and Martinique
            // (a local custom); the Code du travail grants it only in Alsace-Moselle (L3134-13),
            // which is the rule we count working days by.
            .filter((h) => !(h.name === 'Vendredi saint' && region !== 'alsace-moselle'))
            .map((h) => `${h.date.slice(0, 10)} ${NAMES[h.name] ?? h.name}`)
            .sort();
          const actual = publicHolidays(year, region)
            .map((h) => `${h.date} ${h.name}`)
            .sort();
          if (JSON.stringify(actual) !== JSON.stringify(expected)) {
            mismatches.push(`${region} (${country}${state ? `-${state}` : ''}) ${year}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    // date-holidays takes tens of seconds for 301 years × 7 regions on a loaded machine.
  }, 300_000);
});

describe('Easter (Meeus/Jones/Butcher)', () => {
  it.each([
    [1900, '1900-04-15'],
    [1943, '1943-04-25'], // latest possible
    [1961, '1961-04-02'],
    [2008, '2008-03-23'],
    [2011, '2011-04-24'],
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2049, '2049-04-18'],
    [2106, '2106-04-18'],
    [2200, '2200-04-06'],
  ])('%i → %s', (year, day) => {
    expect(easterSunday(year)).toBe(day);
  });
});

describe('publicHolidays', () => {
  it('lists the 2025 metropolitan holidays in order with French names', () => {
    expect(publicHolidays(2025, 'metropole')).toEqual([
      { date: '2025-01-01', name: "Jour de l'an" },
      { date: '2025-04-21', name: 'Lundi de Pâques' },
      { date: '2025-05-01', name: 'Fête du Travail' },
      { date: '2025-05-08', name: 'Victoire 1945' },
      { date: '2025-05-29', name: 'Ascension' },
      { date: '2025-06-09', name: 'Lundi de Pentecôte' },
      { date: '2025-07-14', name: 'Fête nationale' },
      { date: '2025-08-15', name: 'Assomption' },
      { date: '2025-11-01', name: 'Toussaint' },
      { date: '2025-11-11', name: 'Armistice 1918' },
      { date: '2025-12-25', name: 'Noël' },
    ]);
  });

  it('adds Good Friday and 26 December in Alsace-Moselle only', () => {
    const names = (r: Region) => publicHolidays(2025, r).map((h) => h.name);
    expect(publicHolidays(2025, 'alsace-moselle')).toContainEqual({
      date: '2025-04-18',
      name: 'Vendredi saint',
    });
    expect(publicHolidays(2025, 'alsace-moselle')).toContainEqual({
      date: '2025-12-26',
      name: 'Saint-Étienne',
    });
    for (const r of regions.filter((x) => x !== 'alsace-moselle')) {
      expect(names(r), r).not.toContain('Vendredi saint');
      expect(names(r), r).not.toContain('Saint-Étienne');
    }
  });

  it.each([
    ['mayotte', '2025-04-27'],
    ['martinique', '2025-05-22'],
    ['guadeloupe', '2025-05-27'],
    ['guyane', '2025-06-10'],
    ['reunion', '2025-12-20'],
  ] as const)('abolition of slavery in %s on %s', (region, date) => {
    expect(publicHolidays(2025, region)).toContainEqual({ date, name: "Abolition de l'esclavage" });
  });

  it('keeps both holidays when Ascension falls on 1 May (2008)', () => {
    const firstMay = publicHolidays(2008, 'metropole').filter((h) => h.date === '2008-05-01');
    expect(firstMay.map((h) => h.name)).toEqual(['Fête du Travail', 'Ascension']);
  });

  it('returns a copy the caller may change without harming the cache', () => {
    const list = publicHolidays(2030, 'metropole');
    list.length = 0;
    expect(publicHolidays(2030, 'metropole')).toHaveLength(11);
  });

  it.each([1899, 2201, 2025.5, Number.NaN, Infinity])('refuses year %s', (year) => {
    expect(() => publicHolidays(year, 'metropole')).toThrow(RangeError);
    expect(() => publicHolidays(year, 'metropole')).toThrow(String(year));
  });

  it('refuses an unknown region and names the allowed values', () => {
    expect(() => publicHolidays(2025, 'corse' as Region)).toThrow(/corse.*metropole, alsace-moselle/);
  });
});

describe('workingDaysAfter: table', () => {
  it.each([
    ['same day', '2025-03-10', '2025-03-10', 'metropole', {}, 0],
    ['Friday → Monday', '2025-03-07', '2025-03-10', 'metropole', {}, 1],
    ['Saturday → Monday', '2025-03-08', '2025-03-10', 'metropole', {}, 1],
    ['Saturday → Sunday', '2025-03-08', '2025-03-09', 'metropole', {}, 0],
    ['Monday → next Monday', '2025-03-03', '2025-03-10', 'metropole', {}, 5],
    ['10 → 12 Nov 2025 skips Armistice', '2025-11-10', '2025-11-12', 'metropole', {}, 1],
    ['Easter Monday 2025 is not worked', '2025-04-18', '2025-04-22', 'metropole', {}, 1],
    ['Good Friday counts in metropole', '2025-04-17', '2025-04-18', 'metropole', {}, 1],
    ['Good Friday is a holiday in Alsace-Moselle', '2025-04-17', '2025-04-18', 'alsace-moselle', {}, 0],
    ['27 May is a holiday in Guadeloupe', '2025-05-26', '2025-05-28', 'guadeloupe', {}, 1],
    ['27 May is worked in Martinique', '2025-05-26', '2025-05-28', 'martinique', {}, 2],
    ['Whit Monday is a holiday by default', '2025-06-06', '2025-06-10', 'metropole', {}, 1],
    [
      'Whit Monday worked (journée de solidarité)',
      '2025-06-06',
      '2025-06-10',
      'metropole',
      { whitMondayWorked: true },
      2,
    ],
    ['26 Dec in Alsace-Moselle', '2025-12-24', '2025-12-29', 'alsace-moselle', {}, 1],
    ['26 Dec in metropole', '2025-12-24', '2025-12-29', 'metropole', {}, 2],
    ['across the new year', '2025-12-31', '2026-01-02', 'metropole', {}, 1],
    ['whole year 2025 (251 working days)', '2024-12-31', '2025-12-31', 'metropole', {}, 251],
  ] as const)('%s', (_label, from, to, region, options, expected) => {
    expect(workingDaysAfter(from, to, region, options)).toBe(expected);
  });

  it('refuses a reply before the receipt', () => {
    expect(() => workingDaysAfter('2025-03-10', '2025-03-07', 'metropole')).toThrow(RangeError);
    expect(() => workingDaysAfter('2025-03-10', '2025-03-07', 'metropole')).toThrow(/2025-03-07.*2025-03-10/);
  });

  it.each([
    '2025-02-30',
    '2025-2-3',
    '',
    '2025-13-01',
    '2025-00-10',
    '20250310',
    '2025-03-1x',
    ' 2025-03-10',
  ])('refuses the day %j', (bad) => {
    expect(() => workingDaysAfter(bad, '2025-03-10', 'metropole')).toThrow(RangeError);
    expect(() => workingDaysAfter('2025-03-01', bad, 'metropole')).toThrow(JSON.stringify(bad));
    expect(() => parseDay(bad)).toThrow(JSON.stringify(bad));
  });

  it('refuses days outside 1900–2200 and unknown regions', () => {
    expect(() => workingDaysAfter('1899-12-29', '1900-01-02', 'metropole')).toThrow(/1899-12-29/);
    expect(() => workingDaysAfter('2200-12-30', '2201-01-02', 'metropole')).toThrow(/2201-01-02/);
    expect(() => workingDaysAfter('2025-01-01', '2025-01-02', 'paris' as Region)).toThrow(/paris.*mayotte/);
    expect(() => isWorkingDay('2025-01-02', '' as Region)).toThrow(/Région inconnue/);
  });
});

// ---- properties against a naive day-by-day oracle ----
const FIRST = dayNumber('1900-01-01');
const LAST = dayNumber('2200-12-31');
const regionArb = fc.constantFrom(...regions);
const optionsArb = fc.constantFrom({}, { whitMondayWorked: true }, { whitMondayWorked: false });
const dayArb = fc.integer({ min: FIRST, max: LAST }).map(dayFromNumber);
/** A start day and a later day at most `span` days after it. */
const rangeArb = (span: number) =>
  fc
    .tuple(fc.integer({ min: FIRST, max: LAST - span }), fc.integer({ min: 0, max: span }))
    .map(([a, d]) => [dayFromNumber(a), dayFromNumber(a + d)] as const);

function naiveIsWorking(day: string, region: Region, whitMondayWorked: boolean): boolean {
  const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  return !publicHolidays(Number(day.slice(0, 4)), region).some(
    (h) => h.date === day && !(whitMondayWorked && h.name === 'Lundi de Pentecôte'),
  );
}

function naiveWorkingDaysAfter(from: string, to: string, region: Region, whit: boolean): number {
  let n = 0;
  for (let d = addDays(from, 1); d <= to; d = addDays(d, 1)) if (naiveIsWorking(d, region, whit)) n++;
  return n;
}

describe('workingDaysAfter: properties', () => {
  it('equals a naive day-by-day count on ranges up to 3 years', () => {
    fc.assert(
      fc.property(rangeArb(3 * 366), regionArb, optionsArb, ([a, b], region, options) => {
        const whit = options.whitMondayWorked === true;
        expect(workingDaysAfter(a, b, region, options)).toBe(naiveWorkingDaysAfter(a, b, region, whit));
      }),
      { numRuns: 200 },
    );
  });

  it('is additive over consecutive intervals', () => {
    fc.assert(
      fc.property(
        rangeArb(800),
        fc.integer({ min: 0, max: 800 }),
        regionArb,
        optionsArb,
        ([a, b], extra, region, options) => {
          const c = dayFromNumber(Math.min(dayNumber(b) + extra, LAST));
          expect(workingDaysAfter(a, b, region, options) + workingDaysAfter(b, c, region, options)).toBe(
            workingDaysAfter(a, c, region, options),
          );
        },
      ),
    );
  });

  it('is monotone in the reply day and grows by one exactly on working days', () => {
    fc.assert(
      fc.property(rangeArb(2000), regionArb, optionsArb, ([a, b], region, options) => {
        const next = addDays(b, 1);
        const step = workingDaysAfter(a, next, region, options) - workingDaysAfter(a, b, region, options);
        expect(step).toBe(isWorkingDay(next, region, options) ? 1 : 0);
      }),
    );
  });

  it('never counts a weekend or a holiday', () => {
    fc.assert(
      fc.property(dayArb, regionArb, optionsArb, (day, region, options) => {
        fc.pre(day > '1900-01-01');
        const prev = addDays(day, -1);
        const counted = workingDaysAfter(prev, day, region, options) === 1;
        const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
        const holiday = publicHolidays(Number(day.slice(0, 4)), region).some(
          (h) => h.date === day && !(options.whitMondayWorked === true && h.name === 'Lundi de Pentecôte'),
        );
        expect(counted).toBe(weekday !== 0 && weekday !== 6 && !holiday);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('addWorkingDays', () => {
  it.each([
    ['0 days is the day itself, even a Saturday', '2025-03-08', 0, {}, '2025-03-08'],
    ['5 days from a Monday', '2025-03-03', 5, {}, '2025-03-10'],
    ['5 days from a Saturday', '2025-03-08', 5, {}, '2025-03-14'],
    ['2 days over Armistice', '2025-11-10', 2, {}, '2025-11-13'],
    ['5 days over Whit Monday', '2025-06-06', 5, {}, '2025-06-16'],
    ['5 days over Whit Monday worked', '2025-06-06', 5, { whitMondayWorked: true }, '2025-06-13'],
  ] as const)('%s', (_label, day, n, options, expected) => {
    expect(addWorkingDays(day, n, 'metropole', options)).toBe(expected);
  });

  it('is the first day d with workingDaysAfter(day, d) = n', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: FIRST, max: dayNumber('2199-01-01') }).map(dayFromNumber),
        fc.integer({ min: 0, max: 300 }),
        regionArb,
        optionsArb,
        (day, n, region, options) => {
          const due = addWorkingDays(day, n, region, options);
          expect(workingDaysAfter(day, due, region, options)).toBe(n);
          if (n > 0) expect(workingDaysAfter(day, addDays(due, -1), region, options)).toBe(n - 1);
        },
      ),
    );
  });

  it('refuses a negative or fractional count', () => {
    expect(() => addWorkingDays('2025-03-03', -1, 'metropole')).toThrow(/-1/);
    expect(() => addWorkingDays('2025-03-03', 1.5, 'metropole')).toThrow(/1\.5/);
  });
});

describe('day helpers', () => {
  it('addDays, isoWeekStart, monthStart', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
    expect(isoWeekStart('2025-03-09')).toBe('2025-03-03'); // Sunday → its Monday
    expect(isoWeekStart('2025-03-10')).toBe('2025-03-10');
    expect(isoWeekStart('2025-01-01')).toBe('2024-12-30');
    expect(monthStart('2025-03-31')).toBe('2025-03-01');
    expect(() => monthStart('2025-02-30')).toThrow('2025-02-30');
    expect(() => addDays('2025-01-01', 0.5)).toThrow(RangeError);
  });

  it('day numbers round-trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: -700_000, max: 2_900_000 }), (n) => {
        expect(dayNumber(dayFromNumber(n))).toBe(n);
      }),
    );
    expect(dayNumber('1970-01-01')).toBe(0);
  });
});

describe('regions and departments', () => {
  it.each([
    ['75', 'metropole'],
    ['01', 'metropole'],
    ['1', 'metropole'],
    ['2A', 'metropole'],
    ['2b', 'metropole'],
    ['95', 'metropole'],
    ['57', 'alsace-moselle'],
    [' 67 ', 'alsace-moselle'],
    ['068', 'alsace-moselle'],
    ['971', 'guadeloupe'],
    ['972', 'martinique'],
    ['973', 'guyane'],
    ['974', 'reunion'],
    ['976', 'mayotte'],
    ['975', 'metropole'],
    ['977', 'metropole'],
    ['978', 'metropole'],
    ['986', 'metropole'],
    ['987', 'metropole'],
    ['988', 'metropole'],
  ])('department %j → %s', (code, region) => {
    expect(regionForDepartment(code)).toBe(region);
  });

  it.each(['', '   ', '0', '96', '970', '979', '2C', 'abc', '75000', '-5'])(
    'refuses department %j',
    (code) => {
      expect(() => regionForDepartment(code)).toThrow(JSON.stringify(code));
    },
  );

  it('time zones', () => {
    expect(regions.map(timeZoneForRegion)).toEqual([
      'Europe/Paris',
      'Europe/Paris',
      'America/Guadeloupe',
      'America/Martinique',
      'America/Cayenne',
      'Indian/Reunion',
      'Indian/Mayotte',
    ]);
    expect(() => timeZoneForRegion('lyon' as Region)).toThrow(/lyon/);
    expect(isRegion('guyane')).toBe(true);
    expect(isRegion('Guyane')).toBe(false);
    expect(isRegion(3)).toBe(false);
  });
});

describe('localDay', () => {
  it.each([
    ['late evening UTC is the next day in Paris', '2025-03-10T23:30:00Z', 'metropole', '2025-03-11'],
    ['…but still the same day in Guyane (UTC−3)', '2025-03-10T23:30:00Z', 'guyane', '2025-03-10'],
    ['Réunion is UTC+4', '2025-03-10T20:00:00Z', 'reunion', '2025-03-11'],
    ['Réunion just before midnight', '2025-03-10T19:59:59Z', 'reunion', '2025-03-10'],
    ['Guyane: 02:59Z is the evening before', '2025-03-11T02:59:00Z', 'guyane', '2025-03-10'],
    ['Mayotte is UTC+3', '2025-03-10T21:00:00Z', 'mayotte', '2025-03-11'],
    ['Guadeloupe is UTC−4', '2025-03-11T03:59:59Z', 'guadeloupe', '2025-03-10'],
    ['winter time in Paris (UTC+1)', '2025-01-15T23:00:00Z', 'metropole', '2025-01-16'],
    ['summer time in Paris (UTC+2)', '2025-07-15T22:00:00Z', 'metropole', '2025-07-16'],
    ['summer time in Paris, 21:59Z', '2025-07-15T21:59:59Z', 'metropole', '2025-07-15'],
    ['DST start: 30 Mar 2025 00:59Z is 01:59 CET', '2025-03-30T00:59:59Z', 'metropole', '2025-03-30'],
    ['DST start: 29 Mar 2025 22:59Z is 23:59 CET', '2025-03-29T22:59:59Z', 'metropole', '2025-03-29'],
    ['DST end: 25 Oct 2025 21:59Z is 23:59 CEST', '2025-10-25T21:59:59Z', 'metropole', '2025-10-25'],
    ['DST end: 25 Oct 2025 22:00Z is midnight CEST', '2025-10-25T22:00:00Z', 'metropole', '2025-10-26'],
    ['DST end: 26 Oct 2025 22:59Z is 23:59 CET', '2025-10-26T22:59:59Z', 'metropole', '2025-10-26'],
    ['offset in the string is honoured', '2025-03-11T00:30:00+01:00', 'metropole', '2025-03-11'],
    ['negative offset, fraction of second', '2025-03-10T20:30:00.999-03:00', 'metropole', '2025-03-11'],
  ] as const)('%s', (_label, instant, region, expected) => {
    expect(localDay(instant, region)).toBe(expected);
    expect(localDay(new Date(instant), region)).toBe(expected);
  });

  it('agrees with Intl on random instants 1900–2200 in every region', () => {
    const formats = new Map(
      regions.map((r) => [
        r,
        new Intl.DateTimeFormat('en-CA', {
          timeZone: timeZoneForRegion(r),
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
        }),
      ]),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1900, 0, 2), max: Date.UTC(2200, 11, 30) }),
        regionArb,
        (ms, region) => {
          expect(localDay(new Date(ms), region)).toBe(formats.get(region)?.format(new Date(ms)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('todayIn reads the injected clock in the region', () => {
    expect(todayIn('reunion', new Date('2025-03-10T21:00:00Z'))).toBe('2025-03-11');
  });

  it.each([
    '2025-03-10',
    '2025-03-10T23:30:00',
    '2025-02-30T10:00:00Z',
    '2025-03-10T24:00:00Z',
    '2025-03-10T23:60:00Z',
    'hier',
    '',
    '1899-12-30T00:00:00Z',
    '2201-01-02T00:00:00Z',
  ])('refuses the instant %j', (bad) => {
    expect(() => localDay(bad, 'metropole')).toThrow(RangeError);
    expect(() => localDay(bad, 'metropole')).toThrow(JSON.stringify(bad));
  });

  it('refuses an invalid Date and an unknown region', () => {
    expect(() => localDay(new Date(Number.NaN), 'metropole')).toThrow(/Date invalide/);
    const year50 = new Date(0);
    year50.setUTCFullYear(50);
    expect(() => localDay(year50, 'metropole')).toThrow(RangeError);
    expect(() => localDay('2025-03-10T10:00:00Z', 'UTC' as Region)).toThrow(/UTC/);
  });
});

describe('parseInstant: the reading of Date#toISOString strings', () => {
  /** The same instant through the general reading (an explicit +00:00 offset instead of Z). */
  const general = (canonical: string): number => parseInstant(canonical.replace(/Z$/, '+00:00'));
  const outcome = (read: () => number): number | string => {
    try {
      return read();
    } catch (error) {
      return error instanceof RangeError ? 'refused' : `other error: ${String(error)}`;
    }
  };

  it('reads what toISOString writes as the instant it came from, like the general reading', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
        (ms) => {
          const text = new Date(ms).toISOString();
          expect(parseInstant(text)).toBe(ms);
          expect(general(text)).toBe(ms);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('accepts and refuses exactly what the general reading does (impossible days, hours, minutes)', () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    const shaped = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }).map((n) => String(n).padStart(4, '0')),
        two(14),
        two(33),
        two(25),
        two(61),
        two(61),
        fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0')),
      )
      .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
    fc.assert(
      fc.property(shaped, (text) => {
        expect(outcome(() => parseInstant(text))).toEqual(outcome(() => general(text)));
      }),
      { numRuns: 5000 },
    );
    for (const text of ['2024-02-29T12:00:00.000Z', '2025-02-29T12:00:00.000Z', '2025-04-31T00:00:00.000Z']) {
      expect(outcome(() => parseInstant(text))).toEqual(outcome(() => general(text)));
    }
    expect(() => parseInstant('2025-02-29T12:00:00.000Z')).toThrow(/cette date n'existe pas/);
    expect(() => parseInstant('2025-03-10T24:00:00.000Z')).toThrow(/heure/);
  });
});
