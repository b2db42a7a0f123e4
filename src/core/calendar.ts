/** French working-day calendar: regions, public holidays, working-day arithmetic and local days. */

/** A calendar region: each has its own public holidays and (overseas) its own time zone. */
export type Region =
  'metropole' | 'alsace-moselle' | 'guadeloupe' | 'martinique' | 'guyane' | 'reunion' | 'mayotte';

export const regions: readonly Region[] = Object.freeze([
  'metropole',
  'alsace-moselle',
  'guadeloupe',
  'martinique',
  'guyane',
  'reunion',
  'mayotte',
]);

export interface Holiday {
  /** YYYY-MM-DD */
  date: string;
  /** French name. */
  name: string;
}

export interface WorkingDayOptions {
  /** Lundi de Pentecôte worked as the journée de solidarité (it then counts as a working day). */
  whitMondayWorked?: boolean;
}

/** Years the calendar is defined for (inclusive). */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2200;

const TIME_ZONES: Readonly<Record<Region, string>> = {
  metropole: 'Europe/Paris',
  'alsace-moselle': 'Europe/Paris',
  guadeloupe: 'America/Guadeloupe',
  martinique: 'America/Martinique',
  guyane: 'America/Cayenne',
  reunion: 'Indian/Reunion',
  mayotte: 'Indian/Mayotte',
};

/** Abolition of slavery (loi 83-550, décret 83-1003, Code du travail L3422-2): month, day. */
const ABOLITION: Partial<Record<Region, readonly [number, number]>> = {
  mayotte: [4, 27],
  martinique: [5, 22],
  guadeloupe: [5, 27],
  guyane: [6, 10],
  reunion: [12, 20],
};

const MS_PER_DAY = 86_400_000;

export function isRegion(x: unknown): x is Region {
  return typeof x === 'string' && (regions as readonly string[]).includes(x);
}

function assertRegion(region: unknown): asserts region is Region {
  if (!isRegion(region)) {
    throw new RangeError(
      `Région inconnue : ${JSON.stringify(region)} (valeurs permises : ${regions.join(', ')})`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Days as integers (days since 1970-01-01). Pure integer arithmetic (H. Hinnant's civil calendar
// algorithms): no Date objects, so no host time zone can leak in, and it is fast.

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(n: number): [number, number, number] {
  const z = n + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Day number (days since 1970-01-01) → YYYY-MM-DD. */
export function dayFromNumber(n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`Numéro de jour invalide : ${String(n)}`);
  const [y, m, d] = civilFromDays(n);
  if (y < 1 || y > 9999) throw new RangeError(`Jour hors de l'intervalle 0001–9999 : année ${y}`);
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`;
}

/**
 * Validates a calendar day written `YYYY-MM-DD` (zero-padded, a real date) and returns its parts.
 * @throws RangeError naming the bad value ('2025-02-30', '2025-2-3', '' …).
 */
export function parseDay(day: string): { year: number; month: number; day: number } {
  if (typeof day !== 'string' || day.length !== 10 || day[4] !== '-' || day[7] !== '-') {
    throw new RangeError(`Jour invalide : ${JSON.stringify(day)} (format attendu AAAA-MM-JJ)`);
  }
  let year = 0;
  let month = 0;
  let dom = 0;
  for (let i = 0; i < 10; i++) {
    if (i === 4 || i === 7) continue;
    const c = day.charCodeAt(i) - 48;
    if (c < 0 || c > 9) {
      throw new RangeError(`Jour invalide : ${JSON.stringify(day)} (format attendu AAAA-MM-JJ)`);
    }
    if (i < 4) year = year * 10 + c;
    else if (i < 7) month = month * 10 + c;
    else dom = dom * 10 + c;
  }
  if (year < 1 || month < 1 || month > 12 || dom < 1 || dom > daysInMonth(year, month)) {
    throw new RangeError(`Jour invalide : ${JSON.stringify(day)} (cette date n'existe pas)`);
  }
  return { year, month, day: dom };
}

/** YYYY-MM-DD → day number (days since 1970-01-01). */
export function dayNumber(day: string): number {
  const p = parseDay(day);
  return daysFromCivil(p.year, p.month, p.day);
}

/** Monday = 0 … Sunday = 6. */
function weekdayIndex(n: number): number {
  return (((n + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** Weekdays (Mon–Fri) in [MONDAY_ANCHOR, MONDAY_ANCHOR + x), negative when x < 0. */
const MONDAY_ANCHOR = daysFromCivil(1900, 1, 1); // a Monday
function weekdaysFromAnchor(n: number): number {
  const x = n - MONDAY_ANCHOR;
  const weeks = Math.floor(x / 7);
  return weeks * 5 + Math.min(x - weeks * 7, 5);
}

/** The day `n` days after `day` (n may be negative). */
export function addDays(day: string, n: number): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`Nombre de jours invalide : ${String(n)}`);
  return dayFromNumber(dayNumber(day) + n);
}

/** The Monday of the ISO week containing `day`. */
export function isoWeekStart(day: string): string {
  const n = dayNumber(day);
  return dayFromNumber(n - weekdayIndex(n));
}

/** The first day of the month containing `day`. */
export function monthStart(day: string): string {
  parseDay(day);
  return `${day.slice(0, 8)}01`;
}

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

function isWorkingNumber(n: number, region: Region, options?: WorkingDayOptions): boolean {
  if (weekdayIndex(n) >= 5) return false;
  return !weekdayHolidays(yearOfNumber(n), region, options).includes(n);
}

/** True when `day` is Monday–Friday and not a public holiday of the region. */
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
  // Whole weeks first (at most 5 working days each), then day by day for the last few.
  while (need >= 5) {
    const next = cur + Math.floor(need / 5) * 7;
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

// ---------------------------------------------------------------------------------------------
// Departments and time zones

const OTHER_OVERSEAS = new Set([975, 977, 978, 984, 986, 987, 988, 989]);

/**
 * Calendar region of a department code ('75', '057', ' 2a ', '971' …). Collectivities without a
 * region of their own (975 Saint-Pierre-et-Miquelon, 977 Saint-Barthélemy, 978 Saint-Martin,
 * 984, 986–989) map to metropole: same national holidays, but their own local days and time
 * zones are not modelled. '20' (Corsica before 1976) is accepted as metropole.
 * @throws RangeError for an empty or non-existent code.
 */
export function regionForDepartment(code: string): Region {
  const raw = typeof code === 'string' ? code.trim().toUpperCase() : '';
  if (raw === '2A' || raw === '2B') return 'metropole';
  if (/^\d{1,4}$/.test(raw)) {
    const n = Number(raw);
    if (n === 57 || n === 67 || n === 68) return 'alsace-moselle';
    if (n === 971) return 'guadeloupe';
    if (n === 972) return 'martinique';
    if (n === 973) return 'guyane';
    if (n === 974) return 'reunion';
    if (n === 976) return 'mayotte';
    if ((n >= 1 && n <= 95) || OTHER_OVERSEAS.has(n)) return 'metropole';
  }
  throw new RangeError(
    `Code de département invalide : ${JSON.stringify(code)} (attendu 01–95, 2A, 2B ou 971–976…)`,
  );
}

/** IANA time zone of a region. */
export function timeZoneForRegion(region: Region): string {
  assertRegion(region);
  return TIME_ZONES[region];
}

// ---------------------------------------------------------------------------------------------
// Local days of instants

const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-]\d{2}:?\d{2})$/;

/**
 * Milliseconds since the epoch of an ISO 8601 instant with an explicit offset. Strings without an
 * offset are refused: the host would read them in its own zone. Impossible dates ('2025-02-30T…',
 * which Date.parse silently rolls over) are refused too.
 */
export function parseInstant(instant: Date | string): number {
  if (instant instanceof Date) {
    const ms = instant.getTime();
    if (Number.isNaN(ms)) throw new RangeError('Instant invalide : Date invalide');
    return ms;
  }
  const m = typeof instant === 'string' ? INSTANT_RE.exec(instant) : null;
  if (!m) {
    throw new RangeError(
      `Instant invalide : ${JSON.stringify(instant)} (ISO 8601 avec fuseau attendu, ex. 2025-03-10T23:30:00Z)`,
    );
  }
  const [, day, hh, mm, ss, frac, zone] = m as unknown as [
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
    string,
  ];
  let p: ReturnType<typeof parseDay>;
  try {
    p = parseDay(day);
  } catch {
    throw new RangeError(`Instant invalide : ${JSON.stringify(instant)} (cette date n'existe pas)`);
  }
  const hour = Number(hh);
  const minute = Number(mm);
  const second = ss === undefined ? 0 : Number(ss);
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.replace(':', '');
    const oh = Number(digits.slice(1, 3));
    const om = Number(digits.slice(3, 5));
    if (oh > 23 || om > 59) throw new RangeError(`Instant invalide : ${JSON.stringify(instant)} (décalage)`);
    offsetMinutes = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  if (hour > 23 || minute > 59 || second > 59) {
    throw new RangeError(`Instant invalide : ${JSON.stringify(instant)} (heure)`);
  }
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000);
  return (
    daysFromCivil(p.year, p.month, p.day) * MS_PER_DAY +
    ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 +
    ms
  );
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** UTC offset (ms) of a zone at an instant, from Intl (the only zone database in both hosts). */
function offsetAt(ms: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(new Date(ms));
  const v: Record<string, number> = {};
  for (const p of parts) if (p.type !== 'literal') v[p.type] = Number(p.value);
  const local = Date.UTC(v.year ?? 0, (v.month ?? 1) - 1, v.day ?? 1, v.hour, v.minute, v.second);
  return local - (ms - (((ms % 1000) + 1000) % 1000));
}

const HOUR = 3_600_000;
const FIRST_INSTANT = (daysFromCivil(MIN_YEAR, 1, 1) - 1) * MS_PER_DAY;
const END_INSTANT = (daysFromCivil(MAX_YEAR + 1, 1, 1) + 1) * MS_PER_DAY;
const MAX_CACHED_HOURS = 100_000;
/** Per zone: UTC hour index → offset valid for the whole hour, or NaN when it changes inside. */
const offsetCache = new Map<string, Map<number, number>>();

function offsetCached(ms: number, timeZone: string): number {
  let zone = offsetCache.get(timeZone);
  if (!zone) offsetCache.set(timeZone, (zone = new Map()));
  const hour = Math.floor(ms / HOUR);
  let offset = zone.get(hour);
  if (offset === undefined) {
    // Zone offsets change at most once within an hour, so equal offsets at both ends of the hour
    // hold for all of it; otherwise (a transition, or seconds-precise historical LMT) we ask Intl.
    const start = offsetAt(hour * HOUR, timeZone);
    offset = start === offsetAt(hour * HOUR + HOUR - 1000, timeZone) ? start : Number.NaN;
    if (zone.size >= MAX_CACHED_HOURS) zone.clear();
    zone.set(hour, offset);
  }
  return Number.isNaN(offset) ? offsetAt(ms, timeZone) : offset;
}

/**
 * The calendar day (YYYY-MM-DD) of an instant in the region's time zone.
 * @throws RangeError for an invalid instant, a day outside 1900–2200 or an unknown region.
 */
export function localDay(instant: Date | string, region: Region): string {
  assertRegion(region);
  const ms = parseInstant(instant);
  // Checked before asking Intl: far instants would be formatted, then misread (Date.UTC maps
  // years 0–99 to 1900–1999).
  if (!(ms >= FIRST_INSTANT && ms < END_INSTANT)) {
    throw new RangeError(
      `Instant hors du calendrier : ${JSON.stringify(instant)} (années ${MIN_YEAR} à ${MAX_YEAR})`,
    );
  }
  const n = Math.floor((ms + offsetCached(ms, TIME_ZONES[region])) / MS_PER_DAY);
  const year = yearOfNumber(n);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(
      `Instant hors du calendrier : ${JSON.stringify(instant)} (années ${MIN_YEAR} à ${MAX_YEAR})`,
    );
  }
  return dayFromNumber(n);
}

/** Today's day in the region, for an injected clock reading. */
export function todayIn(region: Region, now: Date): string {
  return localDay(now, region);
}
