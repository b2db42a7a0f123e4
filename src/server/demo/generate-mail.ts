/**
 * Synthetic mail of one BALF over a period, as the add-on would report it: weekly rhythm (quiet
 * weekends), public holidays of the region, seasons (income tax in May, local taxes in
 * September, a quiet August), replies mostly within 1–5 working days, some late, some never,
 * acknowledgements, internal mail and junk. Deterministic for a given seed. Received mail is sent as an
 * up-to-date add-on sends it, classified with its headers (`hdr`): the demo's figures are not provisional.
 */
import { createHash } from 'node:crypto';
import { TZDate } from '@date-fns/tz';
import {
  addDays,
  addWorkingDays,
  isWorkingDay,
  parseDay,
  timeZoneForRegion,
  type Region,
} from '../../core/calendar.ts';
import type { TallyRecord } from '../../core/protocol.ts';

export type Random = () => number;

/** mulberry32 seeded from a string: small, fast and the same on every platform. */
export function seededRandom(seed: string): Random {
  let a = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function poisson(rng: Random, mean: number): number {
  if (mean <= 0) return 0;
  // Knuth for small means, a rounded normal approximation for large ones.
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(rng)));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng();
  while (p > limit) {
    k++;
    p *= rng();
  }
  return k;
}

function gaussian(rng: Random): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function pick<T>(rng: Random, weights: readonly (readonly [T, number])[]): T {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  let x = rng() * total;
  for (const [value, w] of weights) {
    x -= w;
    if (x < 0) return value;
  }
  return weights[weights.length - 1]![0];
}

/** Month factors: income-tax declarations in May, taxe foncière in September, summer lull. */
const SEASON = [1.0, 0.95, 1.0, 1.15, 1.6, 1.2, 0.8, 0.55, 1.35, 1.1, 1.0, 0.8] as const;

export interface BalfMailOptions {
  address: string;
  region: Region;
  /** Mean `usager` messages per ordinary working day. */
  volume: number;
  /** Inclusive days. */
  from: string;
  to: string;
  /** Records after this instant are not generated (not happened yet). */
  now: Date;
  seed: string;
  /** Whether the BALF sends automatic acknowledgements (they must not count as answers). */
  acknowledges: boolean;
  whitMondayWorked?: boolean;
}

export function generateBalfMail(options: BalfMailOptions): TallyRecord[] {
  const rng = seededRandom(`${options.seed}|${options.address}`);
  const tz = timeZoneForRegion(options.region);
  const calendar = { whitMondayWorked: options.whitMondayWorked ?? false };
  const nowMs = options.now.getTime();
  // Each BALF has its own diligence: the share of answers given within the target.
  const diligence = 0.72 + rng() * 0.24;
  let counter = 0;
  const key = (): string =>
    createHash('sha256')
      .update(`${options.seed}|${options.address}|${counter++}`)
      .digest('base64url')
      .slice(0, 22);
  const instant = (day: string, minutes: number): { iso: string; ms: number } => {
    const { year, month, day: dom } = parseDay(day);
    const d = new TZDate(
      year,
      month - 1,
      dom,
      Math.floor(minutes / 60),
      minutes % 60,
      Math.floor(rng() * 60),
      tz,
    );
    return { iso: d.toISOString(), ms: d.getTime() };
  };
  const records: TallyRecord[] = [];
  const push = (r: TallyRecord, ms: number): void => {
    if (ms <= nowMs) records.push(r.dir === 'in' ? { ...r, hdr: true } : r);
  };

  for (let day = options.from; day <= options.to; day = addDays(day, 1)) {
    const { month } = parseDay(day);
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
    const working = isWorkingDay(day, options.region, calendar);
    const dayFactor = working
      ? ([1, 1.25, 1.05, 1, 0.95, 0.85, 1][weekday] ?? 1)
      : weekday === 0
        ? 0.1
        : weekday === 6
          ? 0.15
          : 0.2;
    const season = SEASON[month - 1] ?? 1;
    const office = (): number =>
      working ? 7 * 60 + Math.floor(rng() * 12 * 60) : 8 * 60 + Math.floor(rng() * 14 * 60);

    for (let i = poisson(rng, options.volume * dayFactor * season); i > 0; i--) {
      const minutes = office();
      const received = instant(day, minutes);
      const k = key();
      push({ k, dir: 'in', at: received.iso, cat: 'usager' }, received.ms);
      if (options.acknowledges) {
        const ack = instant(day, Math.min(minutes + 2, 23 * 60 + 58));
        push({ k: key(), dir: 'out', at: ack.iso, cat: 'auto', re: [k] }, ack.ms);
      }
      if (rng() < 0.04) {
        const fwd = instant(day, Math.min(minutes + 30, 23 * 60 + 58));
        push({ k: key(), dir: 'out', at: fwd.iso, cat: 'forward', re: [k] }, fwd.ms);
      }
      if (rng() < 0.05) continue; // never answered
      let delay =
        rng() < diligence
          ? pick(rng, [
              [0, 0.2],
              [1, 0.3],
              [2, 0.2],
              [3, 0.15],
              [4, 0.1],
              [5, 0.05],
            ] as const)
          : 6 + Math.floor(rng() * 10);
      if (month === 5 && rng() < 0.4) delay += 1; // May backlog
      if (!working) delay = Math.max(delay, 1);
      const replyDay = addWorkingDays(day, delay, options.region, calendar);
      const replyMinutes =
        delay === 0
          ? Math.min(minutes + 30 + Math.floor(rng() * 180), 23 * 60 + 59)
          : 8 * 60 + Math.floor(rng() * 10 * 60);
      const reply = instant(replyDay, replyMinutes);
      push(
        {
          k: key(),
          dir: 'out',
          at: reply.iso,
          cat: 'reply',
          re: [k],
          ...(rng() < 0.05 ? { heuristic: true } : {}),
        },
        reply.ms,
      );
    }
    for (let i = poisson(rng, options.volume * 0.25 * dayFactor); i > 0; i--) {
      const minutes = office();
      const received = instant(day, minutes);
      const k = key();
      push({ k, dir: 'in', at: received.iso, cat: 'interne' }, received.ms);
      if (rng() < 0.5) {
        const reply = instant(day, Math.min(minutes + 60, 23 * 60 + 59));
        push({ k: key(), dir: 'out', at: reply.iso, cat: 'reply', re: [k] }, reply.ms);
      }
    }
    for (let i = poisson(rng, 1 + options.volume * 0.12); i > 0; i--) {
      const at = instant(day, Math.floor(rng() * 24 * 60));
      push({ k: key(), dir: 'in', at: at.iso, cat: 'auto' }, at.ms);
    }
    for (let i = poisson(rng, 0.5 + options.volume * 0.08); i > 0; i--) {
      const at = instant(day, Math.floor(rng() * 24 * 60));
      push({ k: key(), dir: 'in', at: at.iso, cat: 'junk' }, at.ms);
    }
    for (let i = working ? poisson(rng, options.volume * 0.1) : 0; i > 0; i--) {
      const at = instant(day, office());
      push({ k: key(), dir: 'out', at: at.iso, cat: 'new' }, at.ms);
    }
  }
  return records.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
