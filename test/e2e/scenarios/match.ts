// Deep partial match of a scenario's expected.json against the runner's out.json; lists every difference.

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The element of `actual` an expected array item stands for: same `period` (series) or `id` (children). */
function counterpart(actual: readonly unknown[], item: unknown): unknown {
  if (isObject(item)) {
    for (const key of ['period', 'id'] as const) {
      if (key in item) return actual.find((a) => isObject(a) && a[key] === item[key]);
    }
  }
  return undefined;
}

/**
 * Differences between `expected` (a subset) and `actual`, as `path: expected …, got …` lines.
 * Objects: only the keys of `expected` are checked. Arrays: each expected item is compared with the
 * actual item of the same `period`/`id`. Numbers: equal within 1e-9 (rates are fractions).
 */
export function subsetDifferences(actual: unknown, expected: unknown, path = ''): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path} : tableau attendu, obtenu ${JSON.stringify(actual)}`];
    return expected.flatMap((item, i) => {
      const match = counterpart(actual, item);
      const label = isObject(item) ? String(item['period'] ?? item['id'] ?? i) : String(i);
      if (match === undefined && isObject(item)) return [`${path}[${label}] : absent de la réponse`];
      return subsetDifferences(match ?? actual[i], item, `${path}[${label}]`);
    });
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return [`${path} : objet attendu, obtenu ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([key, value]) =>
      subsetDifferences(actual[key], value, path ? `${path}.${key}` : key),
    );
  }
  if (typeof expected === 'number' && typeof actual === 'number' && Math.abs(expected - actual) <= 1e-9)
    return [];
  if (Object.is(expected, actual)) return [];
  return [`${path} : attendu ${JSON.stringify(expected)}, obtenu ${JSON.stringify(actual)}`];
}
