/** French working-day calendar: regions, public holidays, working-day arithmetic and local days. */
import {
  MAX_YEAR,
  MIN_YEAR,
  civilFromDays,
  dayFromNumber,
  daysFromCivil,
  parseDay,
  weekdayIndex,
  weekdaysFromAnchor,
} from './civil-days.ts';
import type { DayOverrides } from './overlays.ts';
import { assertRegion, regions, type Region } from './regions.ts';

export {
  MAX_YEAR,
  MIN_YEAR,
  addDays,
  dayFromNumber,
  dayNumber,
  isoWeekStart,
  monthStart,
  parseDay,
} from './civil-days.ts';
export { canonicalUtcMs, localDay, parseInstant, todayIn } from './local-time.ts';
export {
  DayOverrides,
  parseOverlayScope,
  resolveOverlays,
  scopesOfPlace,
  type CalendarOverlay,
  type CalendarPlace,
  type OverlayScope,
  type OverlayState,
} from './overlays.ts';
export { isRegion, regionForDepartment, regions, timeZoneForRegion, type Region } from './regions.ts';

export interface Holiday {
  /** YYYY-MM-DD */
  date: string;
  /** French name. */
  name: string;
}

export interface WorkingDayOptions {
  /** Lundi de Pentecôte worked as the journée de solidarité (it then counts as a working day). */
  whitMondayWorked?: boolean;
  /**
   * Declared days of the place (src/core/overlays.ts resolveOverlays): a closed day never counts, an
   * open day always counts (even a Sunday or a holiday); other days follow the law.
   */
  overrides?: DayOverrides | undefined;
}

/** Abolition of slavery (loi 83-550, décret 83-1003, Code du travail L3422-2): month, day. */
const ABOLITION: Partial<Record<Region, readonly [number, number]>> = {
  mayotte: [4, 27],
  martinique: [5, 22],
  guadeloupe: [5, 27],
  guyane: [6, 10],
  reunion: [12, 20],
};

// ---------------------------------------------------------------------------------------------
// Holidays

function assertYear(year: number): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(
      `Année hors du calendrier : ${String(year)} (entier de ${MIN_YEAR} à ${MAX_YEAR} attendu)`,
    );
  }
}

/** Gregorian Easter Sunday as a day number (Meeus/Jones/Butcher algorithm). */
function easterNumber(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return daysFromCivil(year, month, day);
}

/** Easter Sunday (YYYY-MM-DD) of a year in 1900–2200. */
export function easterSunday(year: number): string {
  assertYear(year);
  return dayFromNumber(easterNumber(year));
}

const WHIT_MONDAY = 'Lundi de Pentecôte';

interface YearHolidays {
  readonly list: readonly Readonly<Holiday>[];
  /** Sorted, distinct day numbers of holidays falling Monday–Friday (what working days lose). */
  readonly weekdayNumbers: Int32Array;
  /** Same, Whit Monday left out (whitMondayWorked). */
  readonly weekdayNumbersWhitWorked: Int32Array;
}

const holidayCache = new Map<number, YearHolidays>();

function computeYear(year: number, region: Region): YearHolidays {
  const easter = easterNumber(year);
  const fixed = (month: number, day: number) => daysFromCivil(year, month, day);
  const entries: [number, string][] = [
    [fixed(1, 1), "Jour de l'an"],
    [easter + 1, 'Lundi de Pâques'],
    [fixed(5, 1), 'Fête du Travail'],
    [fixed(5, 8), 'Victoire 1945'],
    [easter + 39, 'Ascension'],
    [easter + 50, WHIT_MONDAY],
    [fixed(7, 14), 'Fête nationale'],
    [fixed(8, 15), 'Assomption'],
    [fixed(11, 1), 'Toussaint'],
    [fixed(11, 11), 'Armistice 1918'],
    [fixed(12, 25), 'Noël'],
  ];
  if (region === 'alsace-moselle') {
    entries.push([easter - 2, 'Vendredi saint'], [fixed(12, 26), 'Saint-Étienne']);
  }
  const abolition = ABOLITION[region];
  if (abolition) entries.push([fixed(abolition[0], abolition[1]), "Abolition de l'esclavage"]);
  // Stable sort: when two holidays share a day (Ascension on 1 or 8 May) both are listed.
  entries.sort((x, y) => x[0] - y[0]);
  const list = entries.map(([n, name]) => Object.freeze({ date: dayFromNumber(n), name }));
  const weekday = (keepWhit: boolean) =>
    Int32Array.from(
      new Set(
        entries
          .filter(([n, name]) => weekdayIndex(n) < 5 && (keepWhit || name !== WHIT_MONDAY))
          .map(([n]) => n),
      ),
    );
  return {
    list: Object.freeze(list),
    weekdayNumbers: weekday(true),
    weekdayNumbersWhitWorked: weekday(false),
  };
}

function yearHolidays(year: number, region: Region): YearHolidays {
  const key = year * 8 + regions.indexOf(region);
  let cached = holidayCache.get(key);
  if (!cached) {
    cached = computeYear(year, region);
    holidayCache.set(key, cached);
  }
  return cached;
}

/**
 * Public holidays of a year in a region, sorted by date, with French names.
 *
 * Today's list (Code du travail L3133-1, Alsace-Moselle L3134-13, overseas L3422-2) is applied to
 * every year 1900–2200: figures are computed for recent mail, and a stable rule is easier to audit
 * than the history of each holiday (8 May was, for instance, not a holiday from 1960 to 1981).
 * @throws RangeError for a year outside 1900–2200 or not an integer, or an unknown region.
 */
export function publicHolidays(year: number, region: Region): Holiday[] {
  assertRegion(region);
  assertYear(year);
  // Fresh objects: the cached ones are frozen and callers may want to annotate theirs.
  return yearHolidays(year, region).list.map((h) => ({ date: h.date, name: h.name }));
}

function weekdayHolidays(year: number, region: Region, options?: WorkingDayOptions): Int32Array {
  const y = yearHolidays(year, region);
  return options?.whitMondayWorked ? y.weekdayNumbersWhitWorked : y.weekdayNumbers;
}

function yearOfNumber(n: number): number {
  return civilFromDays(n)[0];
}

function checkedNumber(day: string): number {
  const p = parseDay(day);
  if (p.year < MIN_YEAR || p.year > MAX_YEAR) {
    throw new RangeError(
      `Jour hors du calendrier : ${JSON.stringify(day)} (années ${MIN_YEAR} à ${MAX_YEAR})`,
    );
  }
  return daysFromCivil(p.year, p.month, p.day);
}

/** The law's answer alone: Monday–Friday and not a public holiday. */
function isLawWorkingNumber(n: number, region: Region, options?: WorkingDayOptions): boolean {
  if (weekdayIndex(n) >= 5) return false;
  return !weekdayHolidays(yearOfNumber(n), region, options).includes(n);
}

function isWorkingNumber(n: number, region: Region, options?: WorkingDayOptions): boolean {
  return options?.overrides?.stateOf(n) ?? isLawWorkingNumber(n, region, options);
}

/**
 * True when `day` is Monday–Friday and not a public holiday of the region — or, with
 * `options.overrides`, as declared for the place.
 */
export function isWorkingDay(day: string, region: Region, options?: WorkingDayOptions): boolean {
  assertRegion(region);
  return isWorkingNumber(checkedNumber(day), region, options);
}

/** Working days in the day-number interval [from, to] (to ≥ from − 1; years already checked). */
function workingDaysInRange(from: number, to: number, region: Region, options?: WorkingDayOptions): number {
  if (to < from) return 0;
  let count = weekdaysFromAnchor(to + 1) - weekdaysFromAnchor(from);
  const lastYear = yearOfNumber(to);
  for (let year = yearOfNumber(from); year <= lastYear; year++) {
    for (const h of weekdayHolidays(year, region, options)) if (h >= from && h <= to) count--;
  }
  const overrides = options?.overrides;
  if (overrides) {
    // Declared days correct the law's count only where they disagree with it.
    for (let i = overrides.lowerBound(from); i < overrides.size && overrides.days[i]! <= to; i++) {
      const n = overrides.days[i]!;
      const open = overrides.open[i] === 1;
      if (open !== isLawWorkingNumber(n, region, options)) count += open ? 1 : -1;
    }
  }
  return count;
}

/**
 * Working days strictly after `receivedDay` up to and including `replyDay`: the reply delay in
 * jours ouvrés. Same day → 0; Saturday → Monday → 1. Runs in time proportional to the number of
 * years spanned, not days.
 * @throws RangeError when replyDay is before receivedDay, for an invalid day or unknown region.
 */
export function workingDaysAfter(
  receivedDay: string,
  replyDay: string,
  region: Region,
  options?: WorkingDayOptions,
): number {
  assertRegion(region);
  const from = checkedNumber(receivedDay);
  const to = checkedNumber(replyDay);
  if (to < from) {
    throw new RangeError(`Le jour de réponse ${replyDay} précède le jour de réception ${receivedDay}`);
  }
  return workingDaysInRange(from + 1, to, region, options);
}

/**
 * The `n`-th working day after `day` (n = 0 → `day` itself): the due day of a target of n jours
 * ouvrés. A reply on any day d with workingDaysAfter(day, d) ≤ n — up to the day before the next
 * working day — is in time.
 */
export function addWorkingDays(day: string, n: number, region: Region, options?: WorkingDayOptions): string {
  assertRegion(region);
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Nombre de jours ouvrés invalide : ${String(n)} (entier ≥ 0 attendu)`);
  }
  let cur = checkedNumber(day);
  let need = n;
  // Whole weeks first (at most 5 working days each by law, 7 when declared open days may add some),
  // then day by day for the last few: a jump never passes more working days than are needed.
  const perWeek = options?.overrides ? 7 : 5;
  while (need >= perWeek) {
    const next = cur + Math.floor(need / perWeek) * 7;
    if (yearOfNumber(next) > MAX_YEAR) break;
    need -= workingDaysInRange(cur + 1, next, region, options);
    cur = next;
  }
  if (need === 0) {
    // The jump may end on a weekend or holiday: the due day is the last working day reached.
    while (cur > checkedNumber(day) && !isWorkingNumber(cur, region, options)) cur--;
    return dayFromNumber(cur);
  }
  while (need > 0) {
    cur++;
    if (yearOfNumber(cur) > MAX_YEAR) {
      throw new RangeError(`Échéance au-delà de ${MAX_YEAR} : ${day} + ${n} jours ouvrés`);
    }
    if (isWorkingNumber(cur, region, options)) need--;
  }
  return dayFromNumber(cur);
}
