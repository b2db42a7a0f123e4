// Spot-check statistics: Wilson interval, sample size for a margin of error, seeded reproducible draws.
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** A 2-tuple `[lower, upper]` that also exposes `.lower` and `.upper`. */
export type Interval = readonly [number, number] & { readonly lower: number; readonly upper: number };

const DEFAULT_Z = 1.96;

function checkZ(z: number): void {
  if (!Number.isFinite(z) || z <= 0) throw new RangeError(`z doit être un nombre positif (reçu ${z})`);
}

/**
 * Wilson score interval of a proportion `successes / n` at `z` (1.96 → 95 %).
 * Throws a RangeError for n ≤ 0, non-integers, negative successes or successes > n.
 */
export function wilsonInterval(successes: number, n: number, z: number = DEFAULT_Z): Interval {
  if (!Number.isInteger(n) || n <= 0)
    throw new RangeError(`n doit être un entier strictement positif (reçu ${n})`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`le nombre de succès doit être un entier entre 0 et n = ${n} (reçu ${successes})`);
  }
  checkZ(z);
  const p = successes / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  // Clamp: at p = 0 or 1 the formula gives the bound up to rounding error.
  const lower = successes === 0 ? 0 : Math.max(0, (centre - spread) / denominator);
  const upper = successes === n ? 1 : Math.min(1, (centre + spread) / denominator);
  return Object.freeze(Object.assign([lower, upper] as [number, number], { lower, upper }));
}

/**
 * Sample size for a margin of error `margin` (0.05 = ±5 points) at p = 0.5, with the finite-population
 * correction when `population` is given, rounded up and never more than the population.
 */
export function sampleSize(margin: number, population?: number, z: number = DEFAULT_Z): number {
  if (!Number.isFinite(margin) || margin <= 0 || margin >= 1) {
    throw new RangeError(`la marge d'erreur doit être comprise strictement entre 0 et 1 (reçu ${margin})`);
  }
  checkZ(z);
  if (population !== undefined && (!Number.isInteger(population) || population < 0)) {
    throw new RangeError(`la population doit être un entier positif ou nul (reçu ${population})`);
  }
  if (population === 0) return 0;
  const n0 = (z * z * 0.25) / (margin * margin);
  const n = population === undefined ? n0 : n0 / (1 + (n0 - 1) / population);
  // The tolerance keeps an exact integer computed as 97.00000000000001 from becoming 98.
  const rounded = Math.ceil(n - 1e-9);
  return population === undefined ? rounded : Math.min(rounded, population);
}

/**
 * cyrb128: a small, well-mixed 128-bit string hash, used only to turn a seed into a generator
 * state (pure-rand's own 32-bit seeding leaves nearby seeds correlated in their first outputs).
 */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (const byte of new TextEncoder().encode(text)) {
    h1 = h2 ^ Math.imul(h1 ^ byte, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ byte, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ byte, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ byte, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 | 0, h2 | 0, h3 | 0, h4 | 0];
}

/** Seeds are compared trimmed and case-insensitively: a chef retyping "k7p2" gets the same draw as "K7P2". */
export function normalizeSeed(seed: string | number): string {
  const text = typeof seed === 'number' ? String(seed) : seed.trim().toUpperCase();
  if (text === '' || (typeof seed === 'number' && !Number.isFinite(seed))) {
    throw new RangeError('la graine du tirage est vide ou invalide');
  }
  return text;
}

/** The random generator of a seed (exported for tests and for callers needing more draws). */
export function seededGenerator(seed: string | number): RandomGenerator {
  const state = hash128(`suivi-balf/sample/${normalizeSeed(seed)}`);
  if (state.every((word) => word === 0)) state[0] = 1; // the all-zero state is a fixed point
  return xoroshiro128plusFromState(state);
}

/** Picks `k` items uniformly without replacement (partial Fisher–Yates), then sorts them back. */
function pick<T>(sorted: readonly { key: string; item: T }[], k: number, rng: RandomGenerator) {
  const pool = sorted.slice();
  for (let i = 0; i < k; i += 1) {
    const j = uniformInt(rng, i, pool.length - 1);
    const chosen = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = chosen;
  }
  return pool.slice(0, k).sort((a, b) => compareKeys(a.key, b.key));
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function defaultKey(item: unknown): string {
  if (typeof item === 'object' && item !== null && 'key' in item) {
    const { key } = item as { key: unknown };
    if (typeof key === 'string' || typeof key === 'number') return String(key);
  }
  return String(item);
}

/**
 * Proportional allocation of `n` over stratum sizes by the largest remainder method. Exact integer
 * arithmetic; remainder ties go to the larger stratum, then to the stratum that sorts first.
 */
export function allocate(sizes: ReadonlyMap<string, number>, n: number): Map<string, number> {
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  const rows = [...sizes].map(([stratum, size]) => ({
    stratum,
    size,
    quota: Math.floor((n * size) / total),
    remainder: (n * size) % total,
  }));
  let left = n - rows.reduce((a, r) => a + r.quota, 0);
  const byRemainder = rows
    .slice()
    .sort((a, b) => b.remainder - a.remainder || b.size - a.size || compareKeys(a.stratum, b.stratum));
  for (const row of byRemainder) {
    if (left === 0) break;
    if (row.remainder > 0) {
      row.quota += 1;
      left -= 1;
    }
  }
  return new Map(rows.map((r) => [r.stratum, r.quota]));
}

export interface DrawOptions<T> {
  /** Stable identity of an item (default: `item.key` if present, else `String(item)`); must be unique. */
  key?: (item: T) => string;
  /** Stratum of an item (e.g. its ISO week); the sample is allocated proportionally to stratum sizes. */
  strata?: (item: T) => string;
}

/**
 * Draws `n` items, reproducibly from `seed` and independently of the input order (items are sorted
 * by key first; duplicate keys are an error). When n ≥ the number of items, all are returned.
 * Output order: by key; with `strata`, by stratum then key.
 */
export function drawSample<T>(
  items: readonly T[],
  n: number,
  seed: string | number,
  options: DrawOptions<T> = {},
): T[] {
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(`la taille de l'échantillon doit être un entier strictement positif (reçu ${n})`);
  }
  const rng = seededGenerator(seed);
  const keyOf = options.key ?? defaultKey;
  const keyed = items.map((item) => ({ key: keyOf(item), item })).sort((a, b) => compareKeys(a.key, b.key));
  for (let i = 1; i < keyed.length; i += 1) {
    if (keyed[i]!.key === keyed[i - 1]!.key) {
      throw new Error(`tirage impossible : clé en double « ${keyed[i]!.key} »`);
    }
  }
  const take = Math.min(n, keyed.length);
  const strataOf = options.strata;
  if (strataOf === undefined) return pick(keyed, take, rng).map((k) => k.item);

  const groups = new Map<string, { key: string; item: T }[]>();
  for (const entry of keyed) {
    const stratum = strataOf(entry.item);
    const group = groups.get(stratum);
    if (group) group.push(entry);
    else groups.set(stratum, [entry]);
  }
  const names = [...groups.keys()].sort(compareKeys);
  const quotas = allocate(new Map(names.map((s) => [s, groups.get(s)!.length])), take);
  // Strata are drawn in name order from one generator, so the result depends only on (items, n, seed).
  return names.flatMap((s) => pick(groups.get(s)!, quotas.get(s)!, rng).map((k) => k.item));
}

/** Unambiguous characters (no 0/O, 1/I): 32 symbols, so a byte modulo 32 stays uniform. */
const SEED_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** A short, human-typable random seed (8 characters, 40 bits). */
export function newSeed(length = 8): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return Array.from(bytes, (b) => SEED_ALPHABET[b % SEED_ALPHABET.length]).join('');
}
