/**
 * Days as integers (days since 1970-01-01). Pure integer arithmetic (H. Hinnant's civil calendar
 * algorithms): no Date objects, so no host time zone can leak in, and it is fast.
 */

/** Years the calendar is defined for (inclusive). */
export const MIN_YEAR = 1900;
export const MAX_YEAR = 2200;

export const MS_PER_DAY = 86_400_000;

export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(n: number): [number, number, number] {
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

export function daysInMonth(year: number, month: number): number {
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
export function weekdayIndex(n: number): number {
  return (((n + 3) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** Weekdays (Mon–Fri) in [MONDAY_ANCHOR, MONDAY_ANCHOR + x), negative when x < 0. */
export const MONDAY_ANCHOR = daysFromCivil(1900, 1, 1); // a Monday
export function weekdaysFromAnchor(n: number): number {
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
