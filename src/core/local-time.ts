/** Instants (ISO 8601 with an offset) and the calendar day they fall on in a region's time zone. */
import {
  MAX_YEAR,
  MIN_YEAR,
  MS_PER_DAY,
  civilFromDays,
  dayFromNumber,
  daysFromCivil,
  daysInMonth,
  parseDay,
} from './civil-days.ts';
import { TIME_ZONES, assertRegion, type Region } from './regions.ts';

const INSTANT_RE = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-]\d{2}:?\d{2})$/;

/**
 * Milliseconds since the epoch of an ISO 8601 instant with an explicit offset. Strings without an
 * offset are refused: the host would read them in its own zone. Impossible dates ('2025-02-30T…',
 * which Date.parse silently rolls over) are refused too.
 */
export function parseInstant(instant: Date | string): number {
  if (typeof instant === 'string') {
    const ms = canonicalUtcMs(instant);
    if (ms !== null) return ms;
  }
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

/** Positions of the digits in `YYYY-MM-DDTHH:MM:SS.mmmZ`, what `Date#toISOString` writes. */
const CANONICAL_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * The instant of a string written exactly as `Date#toISOString` writes it (years 0001–9999; year
 * 0000 is left to the general reading, which refuses it), read without a regular expression — nearly
 * every instant an ingest receives; null for anything else, including an impossible date or time,
 * which `parseInstant` then reads (and refuses) the general way.
 */
export function canonicalUtcMs(s: string): number | null {
  if (s.length !== 24 || s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':') {
    return null;
  }
  if (s[19] !== '.' || s[23] !== 'Z') return null;
  for (const i of CANONICAL_DIGITS) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  const digits = (from: number, to: number): number => {
    let n = 0;
    for (let i = from; i < to; i++) n = n * 10 + s.charCodeAt(i) - 48;
    return n;
  };
  const year = digits(0, 4);
  const month = digits(5, 7);
  const day = digits(8, 10);
  const hour = digits(11, 13);
  const minute = digits(14, 16);
  const second = digits(17, 19);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    ((hour * 60 + minute) * 60 + second) * 1000 +
    digits(20, 23)
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
  const known = dayTexts.get(n);
  if (known !== undefined) return known;
  const year = civilFromDays(n)[0];
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(
      `Instant hors du calendrier : ${JSON.stringify(instant)} (années ${MIN_YEAR} à ${MAX_YEAR})`,
    );
  }
  const text = dayFromNumber(n);
  if (dayTexts.size >= MAX_DAY_TEXTS) dayTexts.clear();
  dayTexts.set(n, text);
  return text;
}

/**
 * Day number → `YYYY-MM-DD` of the days met lately (within the calendar): an ingest reads thousands of
 * instants over a few weeks, and one string per day (not per instant) is less to format, to allocate
 * and to hash in the maps keyed by day downstream.
 */
const dayTexts = new Map<number, string>();
const MAX_DAY_TEXTS = 4096;

/** Today's day in the region, for an injected clock reading. */
export function todayIn(region: Region, now: Date): string {
  return localDay(now, region);
}
