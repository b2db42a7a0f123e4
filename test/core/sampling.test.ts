// Tests of the spot-check statistics: published figures, reproducibility, uniformity, stratification.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import {
  allocate,
  drawSample,
  newSeed,
  sampleSize,
  seededGenerator,
  wilsonInterval,
} from '../../src/core/sampling.ts';

const round3 = (x: number) => Math.round(x * 1000) / 1000;

describe('wilsonInterval', () => {
  it.each([
    { s: 87, n: 97, lo: 0.821, hi: 0.943, why: 'the figure of domain-rules.md (82.1 %–94.3 %)' },
    { s: 0, n: 10, lo: 0, hi: 0.278, why: 'no success: lower bound exactly 0' },
    { s: 10, n: 10, lo: 0.722, hi: 1, why: 'all successes: upper bound exactly 1' },
    { s: 5, n: 10, lo: 0.237, hi: 0.763, why: 'symmetric around one half' },
    { s: 1, n: 1, lo: 0.207, hi: 1, why: 'a single observation' },
  ])('$s/$n → [$lo, $hi] ($why)', ({ s, n, lo, hi }) => {
    const interval = wilsonInterval(s, n);
    expect([round3(interval.lower), round3(interval.upper)]).toEqual([lo, hi]);
    const [a, b] = interval;
    expect([a, b]).toEqual([interval.lower, interval.upper]);
    expect(Object.isFrozen(interval)).toBe(true);
  });

  it('a larger z widens the interval', () => {
    const narrow = wilsonInterval(30, 60);
    const wide = wilsonInterval(30, 60, 2.576);
    expect(wide.lower).toBeLessThan(narrow.lower);
    expect(wide.upper).toBeGreaterThan(narrow.upper);
  });

  it.each([
    { s: 1, n: 0, why: 'n = 0' },
    { s: 11, n: 10, why: 'successes > n' },
    { s: -1, n: 10, why: 'negative successes' },
    { s: 1.5, n: 10, why: 'non-integer successes' },
    { s: 1, n: 2.5, why: 'non-integer n' },
    { s: 1, n: Number.NaN, why: 'NaN n' },
  ])('rejects $why with a RangeError', ({ s, n }) => {
    expect(() => wilsonInterval(s, n)).toThrow(RangeError);
  });

  it('rejects a non-positive z', () => {
    expect(() => wilsonInterval(1, 2, 0)).toThrow(RangeError);
  });

  it('property: 0 ≤ lower ≤ p̂ ≤ upper ≤ 1', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 100_000 })
          .chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))),
        ([s, n]) => {
          const { lower, upper } = wilsonInterval(s, n);
          const p = s / n;
          return 0 <= lower && lower <= p + 1e-12 && p - 1e-12 <= upper && upper <= 1;
        },
      ),
    );
  });
});

describe('sampleSize', () => {
  it.each([
    { margin: 0.1, population: undefined, expected: 97, why: '±10 points, infinite population' },
    { margin: 0.05, population: undefined, expected: 385, why: '±5 points, infinite population' },
    { margin: 0.1, population: 100, expected: 50, why: '±10 points, N = 100' },
    { margin: 0.1, population: 500, expected: 81, why: '±10 points, N = 500' },
    { margin: 0.1, population: 1000, expected: 88, why: '±10 points, N = 1000' },
    { margin: 0.05, population: 30, expected: 28, why: 'small population: close to N' },
    { margin: 0.1, population: 1, expected: 1, why: 'a single message: never more than N' },
    { margin: 0.1, population: 0, expected: 0, why: 'nothing to sample' },
  ])('$why → $expected', ({ margin, population, expected }) => {
    expect(sampleSize(margin, population)).toBe(expected);
  });

  it.each([0, -0.1, 1, 1.5, Number.NaN])('rejects margin %s with a RangeError', (margin) => {
    expect(() => sampleSize(margin)).toThrow(RangeError);
  });

  it('rejects a negative or fractional population', () => {
    expect(() => sampleSize(0.1, -1)).toThrow(RangeError);
    expect(() => sampleSize(0.1, 10.5)).toThrow(RangeError);
  });

  it('property: never more than N, and grows with N', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (margin, population) => {
          const n = sampleSize(margin, population);
          return (
            n >= 1 && n <= population && n <= sampleSize(margin) && n <= sampleSize(margin, population + 1)
          );
        },
      ),
    );
  });
});

interface Item {
  key: string;
  week: string;
}

function makeItems(count: number, weeks = 1): Item[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `k${String(i).padStart(4, '0')}`,
    week: `2026-W${String((i % weeks) + 1).padStart(2, '0')}`,
  }));
}

function shuffled<T>(items: readonly T[], seed: string): T[] {
  const rng = seededGenerator(`shuffle-${seed}`);
  const copy = items.slice();
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = uniformInt(rng, 0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

describe('drawSample', () => {
  it('is reproducible: same items and seed in any order → same sample', () => {
    const items = makeItems(200);
    const first = drawSample(items, 20, 'K7P2QX9M');
    expect(first).toHaveLength(20);
    expect(drawSample(shuffled(items, 'a'), 20, 'K7P2QX9M')).toEqual(first);
    expect(drawSample(items.slice().reverse(), 20, 'k7p2qx9m ')).toEqual(first); // trimmed, case-insensitive
    expect(drawSample(items, 20, 'K7P2QX9N')).not.toEqual(first);
  });

  it('returns everything, sorted by key, when n ≥ the number of items', () => {
    const items = shuffled(makeItems(7), 'b');
    expect(drawSample(items, 7, 1).map((i) => i.key)).toEqual(makeItems(7).map((i) => i.key));
    expect(drawSample(items, 50, 1)).toHaveLength(7);
    expect(drawSample([], 5, 1)).toEqual([]);
  });

  it('uses String(item) as the key of plain values, or the given key function', () => {
    expect(drawSample(['c', 'a', 'b'], 3, 's')).toEqual(['a', 'b', 'c']);
    const objects = [{ id: 'z' }, { id: 'y' }];
    expect(drawSample(objects, 2, 's', { key: (o) => o.id })).toEqual([{ id: 'y' }, { id: 'z' }]);
  });

  it.each([0, -1, 2.5, Number.NaN])('rejects n = %s with a RangeError', (n) => {
    expect(() => drawSample(makeItems(5), n, 's')).toThrow(RangeError);
  });

  it('rejects duplicate keys and an empty seed', () => {
    expect(() => drawSample([{ key: 'a' }, { key: 'a' }], 1, 's')).toThrow(/clé en double/);
    expect(() => drawSample(makeItems(3), 1, '  ')).toThrow(RangeError);
  });

  it('allocates proportionally across strata and sorts by stratum then key', () => {
    const items = [
      ...makeItems(50).map((i) => ({ ...i, key: `a-${i.key}`, week: 'W1' })),
      ...makeItems(30).map((i) => ({ ...i, key: `b-${i.key}`, week: 'W2' })),
      ...makeItems(20).map((i) => ({ ...i, key: `c-${i.key}`, week: 'W3' })),
    ];
    const sample = drawSample(shuffled(items, 'c'), 10, 'seed', { strata: (i) => i.week });
    expect(sample.map((i) => i.week)).toEqual(['W1', 'W1', 'W1', 'W1', 'W1', 'W2', 'W2', 'W2', 'W3', 'W3']);
    const w1 = sample.filter((i) => i.week === 'W1').map((i) => i.key);
    expect(w1).toEqual(w1.slice().sort());
  });

  it('largest remainder: ties go to the larger stratum, then the first name', () => {
    expect(
      Object.fromEntries(
        allocate(
          new Map([
            ['a', 7],
            ['b', 7],
            ['c', 6],
          ]),
          10,
        ),
      ),
    ).toEqual({ a: 4, b: 3, c: 3 });
    expect(
      Object.fromEntries(
        allocate(
          new Map([
            ['a', 6],
            ['b', 7],
            ['c', 7],
          ]),
          10,
        ),
      ),
    ).toEqual({ a: 3, b: 4, c: 3 });
    expect(
      Object.fromEntries(
        allocate(
          new Map([
            ['x', 1],
            ['y', 99],
          ]),
          10,
        ),
      ),
    ).toEqual({ x: 0, y: 10 });
  });

  it('property: a sample is a subset of the right size, unique, sorted, independent of input order', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 70 }),
        fc.string({ minLength: 1, maxLength: 10 }).filter((s) => s.trim() !== ''),
        fc.integer({ min: 0, max: 1000 }),
        (keys, n, seed, perm) => {
          const items = keys.map((key) => ({ key, week: String(key.length % 3) }));
          for (const strata of [undefined, (i: Item) => i.week]) {
            const options = strata ? { strata } : {};
            const sample = drawSample(items, n, seed, options);
            const again = drawSample(shuffled(items, String(perm)), n, seed, options);
            expect(again).toEqual(sample);
            expect(sample).toHaveLength(Math.min(n, items.length));
            expect(new Set(sample.map((i) => i.key)).size).toBe(sample.length);
            for (const item of sample) expect(items).toContain(item);
            const order = sample.map((i) => (strata ? `${i.week}\u0000${i.key}` : i.key));
            expect(order).toEqual(order.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: stratum quotas sum to n and stay within one of the exact proportional share', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 1, max: 6000 }),
        (sizes, wanted) => {
          const total = sizes.reduce((a, b) => a + b, 0);
          const n = Math.min(wanted, total);
          const quotas = allocate(new Map(sizes.map((s, i) => [`s${i}`, s])), n);
          let sum = 0;
          sizes.forEach((size, i) => {
            const q = quotas.get(`s${i}`)!;
            const exact = (n * size) / total;
            expect(q).toBeGreaterThanOrEqual(Math.floor(exact));
            expect(q).toBeLessThanOrEqual(Math.ceil(exact));
            expect(q).toBeLessThanOrEqual(size);
            sum += q;
          });
          expect(sum).toBe(n);
        },
      ),
    );
  });
});

/**
 * Chi-square check of uniform inclusion. With S draws of n among N, the inclusion counts O_i have
 * mean E = S·n/N and covariance S·p(1−p)·N/(N−1)·(I − J/N) (p = n/N, sampling without replacement),
 * so Σ(O_i − E)² / (S·p(1−p)·N/(N−1)) follows a chi-square law with N − 1 degrees of freedom.
 */
function inclusionChiSquare(sampler: (items: readonly Item[], n: number, seed: string) => Item[]): number {
  const N = 20;
  const n = 5;
  const S = 4000;
  const items = makeItems(N);
  const counts = new Map(items.map((i) => [i.key, 0]));
  for (let s = 0; s < S; s += 1) {
    for (const picked of sampler(items, n, `seed-${s}`)) counts.set(picked.key, counts.get(picked.key)! + 1);
  }
  const p = n / N;
  const expected = S * p;
  const variance = S * p * (1 - p) * (N / (N - 1));
  return [...counts.values()].reduce((acc, o) => acc + (o - expected) ** 2 / variance, 0);
}

/** χ² critical value for 19 degrees of freedom at α = 0.001 (tables: 43.820). */
const CHI2_19_999 = 43.82;

/** A plausible bug: an off-by-one partial Fisher–Yates that can never pick the last item. */
function offByOneSampler(items: readonly Item[], n: number, seed: string): Item[] {
  const rng = seededGenerator(seed);
  const pool = items.slice();
  for (let i = 0; i < n; i += 1) {
    const j = uniformInt(rng, i, pool.length - 2);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

/** A subtler bug: modulo bias from drawing a byte and reducing it modulo the remaining count. */
function moduloBiasedSampler(items: readonly Item[], n: number, seed: string): Item[] {
  const rng = seededGenerator(seed);
  const pool = items.slice();
  for (let i = 0; i < n; i += 1) {
    const j = i + ((rng.next() & 0x3f) % (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, n);
}

describe('drawSample uniformity (chi-square over 4000 seeds)', () => {
  it('includes every item equally often', () => {
    const statistic = inclusionChiSquare((items, n, seed) => drawSample(items, n, seed));
    expect(statistic).toBeLessThan(CHI2_19_999);
  });

  it('the same check rejects biased samplers, so it can fail', () => {
    expect(inclusionChiSquare(offByOneSampler)).toBeGreaterThan(CHI2_19_999);
    expect(inclusionChiSquare(moduloBiasedSampler)).toBeGreaterThan(CHI2_19_999);
  });
});

describe('newSeed', () => {
  it('gives 8 unambiguous characters, different each time', () => {
    const seeds = Array.from({ length: 50 }, () => newSeed());
    for (const seed of seeds) expect(seed).toMatch(/^[2-9A-HJ-NP-Z]{8}$/);
    expect(new Set(seeds).size).toBe(50);
  });
});
