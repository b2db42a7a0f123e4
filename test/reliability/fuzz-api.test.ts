// Fuzz of POST /api/v1/tallies and GET /api/v1/stats: every bad request gets a 4xx with a message, never a 5xx, and changes nothing.
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tallyBatchSchema } from '../../src/core/protocol.ts';
import { createToken, revokeToken } from '../../src/server/auth/tokens.ts';
import {
  batch,
  databaseKinds,
  harness,
  newKey,
  post,
  seedDirectory,
  token,
  type Harness,
} from '../server/support.ts';
import { DATA_TABLES, snapshot, type DbSnapshot } from './db-snapshot.ts';

const BALF = 'sip.strasbourg@dgfip.finances.gouv.fr';
const OTHER_BALF = 'sip.paris1@dgfip.finances.gouv.fr';
const RUNS = { sqlite: 200, postgres: 60 } as const;

/** A value meant to break a parser or a column: wrong types, huge, deep, unicode, NUL, bad dates, negatives. */
const nasty: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    'x'.repeat(200_000),
    '\ud800@x.fr',
    '<script>alert(1)</script>@x.fr',
    '=HYPERLINK("http://x")',
    '2025-02-30T08:00:00Z',
    '2025-13-01T08:00:00Z',
    '2025-06-02T25:00:00Z',
    '2025-06-02',
    '0000-01-01T00:00:00Z',
    '-271821-04-20T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    'NaN',
    -1,
    -0,
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    -1e308,
    null,
    true,
    [],
    {},
  ),
  fc.integer({ min: -1_000_000, max: -1 }),
  fc.nat({ max: 20 }).map((depth) => deepNest(depth * 50)),
);

function deepNest(depth: number): unknown {
  let v: unknown = 'fond';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

const validRecord = fc
  .record({
    key: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    dir: fc.constantFrom('in', 'out'),
    minute: fc.integer({ min: 0, max: 20 * 24 * 60 }),
  })
  .map(({ key, dir, minute }) => ({
    k: Buffer.from(key).toString('base64url').slice(0, 22),
    dir,
    at: new Date(Date.parse('2025-06-02T00:00:00Z') + minute * 60_000).toISOString(),
    cat: dir === 'in' ? 'usager' : 'reply',
  }));

const PATHS = [
  [],
  ['schema'],
  ['batchId'],
  ['seq'],
  ['client'],
  ['client', 'id'],
  ['client', 'addon'],
  ['balf'],
  ['records'],
  ['records', 0],
  ['records', 0, 'k'],
  ['records', 0, 'dir'],
  ['records', 0, 'at'],
  ['records', 0, 'cat'],
  ['records', 0, 're'],
  ['records', 0, 'heuristic'],
  ['records', 0, 'extra'],
  ['extra'],
] as const;

function setPath(
  target: Record<string, unknown>,
  path: readonly (string | number)[],
  value: unknown,
): unknown {
  if (path.length === 0) return value;
  let node: Record<string | number, unknown> = target;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return target;
}

/** A valid batch with one field replaced by a nasty value (sometimes valid by chance: then it must be 200). */
const mutatedBatch = fc
  .record({
    records: fc.array(validRecord, { minLength: 1, maxLength: 5 }),
    path: fc.constantFrom(...PATHS),
    value: nasty,
  })
  .map(({ records, path, value }) => {
    const body = batch(BALF, records as never) as unknown as Record<string, unknown>;
    return JSON.stringify(setPath(body, path, value)) ?? 'undefined';
  });

/** Raw bodies: not JSON, truncated JSON, duplicate keys, very deep arrays. */
const rawBody = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 4 }),
  fc.nat({ max: 200_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.nat({ max: 100_000 }).map((n) => '{"a":'.repeat(n)),
  fc.constantFrom('', ' ', 'null', '[]', '"x"', '{', '{"schema":1,}', '\ufeff{}'),
  validRecord.map((r) => {
    const b = JSON.stringify(batch(BALF, [r as never]));
    // Duplicate keys: the last one wins in JSON.parse; here the last is invalid.
    return b.replace('{"schema":1', '{"schema":1,"balf":"ok@x.fr","records":[]');
  }),
);

const contentTypes = fc.constantFrom(
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json-patch+json',
  'application/jsonx',
  'text/json',
  '',
);

function expectRefusal(res: LightMyRequestResponse): void {
  expect(res.statusCode, res.body.slice(0, 300)).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
  const body = res.json<{ error?: unknown; message?: unknown }>();
  expect(typeof body.error).toBe('string');
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(0);
}

describe.each(databaseKinds)('fuzz on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  let revoked: string;
  let baseline: DbSnapshot;
  const numRuns = RUNS[kind];

  beforeAll(async () => {
    h = await harness(kind, { now: '2025-06-30T10:00:00Z' });
    await seedDirectory(h.db, [
      { department: '67', region: 'metropole', service: 'SIP-STRASBOURG', balfs: [BALF] },
      { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [OTHER_BALF] },
    ]);
    write = await token(h.db, { level: 'department', code: '67' });
    read = await token(h.db, { level: 'national' }, false);
    const r = await createToken(h.db, {
      scope: { level: 'department', code: '67' },
      canWrite: true,
      label: 'r',
    });
    await revokeToken(h.db, r.id);
    revoked = r.token;
    // Some data, so "unchanged" is about real rows.
    for (let i = 0; i < 3; i++) {
      const res = await post(
        h.app,
        write,
        batch(BALF, [
          { k: newKey(), dir: 'in', at: `2025-06-0${i + 2}T08:00:00Z`, cat: 'usager' },
          { k: newKey(), dir: 'out', at: `2025-06-0${i + 2}T09:00:00Z`, cat: 'new' },
        ]),
      );
      expect(res.statusCode, res.body).toBe(200);
    }
    baseline = await snapshot(h.db);
  });
  afterAll(async () => h?.close());

  /** Sends a body; a 200 is allowed only for a schema-valid batch (the baseline then moves). */
  async function check(res: LightMyRequestResponse, sent: string | undefined): Promise<void> {
    expect(res.statusCode, `${sent?.slice(0, 300)} → ${res.body.slice(0, 300)}`).not.toBeGreaterThanOrEqual(
      500,
    );
    if (res.statusCode === 200 && sent !== undefined) {
      expect(tallyBatchSchema.safeParse(JSON.parse(sent)).success, sent.slice(0, 300)).toBe(true);
      baseline = await snapshot(h.db);
      return;
    }
    expectRefusal(res);
    expect(await snapshot(h.db)).toEqual(baseline);
  }

  const send = (payload: string | Buffer, headers: Record<string, string>) =>
    h.app.inject({ method: 'POST', url: '/api/v1/tallies', headers, payload });

  it('mutated batches: 4xx with a message or a valid batch stored; nothing half-written', async () => {
    await fc.assert(
      fc.asyncProperty(mutatedBatch, async (body) => {
        await check(
          await send(body, { 'content-type': 'application/json', authorization: `Bearer ${write}` }),
          body,
        );
      }),
      { numRuns, seed: 20251129 },
    );
    // Every field with a lone surrogate or other odd unicode: deterministic.
    for (const path of PATHS.filter((p) => p.length > 0))
      for (const value of ['\ud800@x.fr', '\ud800', 'é@ü.fr', '\u202e@x.fr', '👩‍👩‍👧@x.fr'] as const) {
        const body = JSON.stringify(
          setPath(
            batch(BALF, [{ k: newKey(), dir: 'out', at: '2025-06-03T08:00:00Z', cat: 'new' }]) as never,
            path,
            value,
          ),
        );
        await check(
          await send(body, { 'content-type': 'application/json', authorization: `Bearer ${write}` }),
          body,
        );
      }
  });

  it('raw bodies, wrong content types and wrong credentials are refused with 4xx', async () => {
    const auth = fc.constantFrom<string | undefined>(
      undefined,
      'Bearer ',
      'Bearer x',
      'Basic YTpi',
      'bearer ' + 'z'.repeat(5000),
    );
    await fc.assert(
      fc.asyncProperty(rawBody, contentTypes, fc.boolean(), async (body, type, jsonType) => {
        const headers = {
          'content-type': jsonType ? 'application/json' : type,
          authorization: `Bearer ${write}`,
        };
        await check(await send(body, headers), body);
      }),
      { numRuns: Math.ceil(numRuns / 2), seed: 7 },
    );
    const valid = JSON.stringify(
      batch(BALF, [{ k: newKey(), dir: 'in', at: '2025-06-03T08:00:00Z', cat: 'usager' }]),
    );
    await fc.assert(
      fc.asyncProperty(auth, async (authorization) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (authorization !== undefined) headers['authorization'] = authorization;
        await check(await send(valid, headers), undefined);
      }),
      { numRuns: 20 },
    );
    for (const bearer of [read, revoked])
      await check(await post(h.app, bearer, JSON.parse(valid)), undefined);
    // A department token's batch for another department's BALF is held: the quarantine changes, no count does.
    const held = await post(
      h.app,
      write,
      batch(OTHER_BALF, [{ k: newKey(), dir: 'in', at: '2025-06-03T08:00:00Z', cat: 'usager' }]),
    );
    expect(held.json()).toEqual({ accepted: 0, duplicates: 0, rejected: 0, quarantined: 1 });
    const after = await snapshot(h.db);
    for (const table of DATA_TABLES)
      expect(after.counts[table], table).toBe(baseline.counts[table]! + (table === 'quarantine' ? 1 : 0));
    baseline = after;
  });

  it('a 10 MB body is refused with 413 before it is parsed', async () => {
    const huge = JSON.stringify(
      batch(BALF, [{ k: newKey(), dir: 'in', at: '2025-06-03T08:00:00Z', cat: 'usager' }]),
    ).replace('"client-a"', JSON.stringify('x'.repeat(10 * 1024 * 1024)));
    const res = await send(huge, { 'content-type': 'application/json', authorization: `Bearer ${write}` });
    expect(res.statusCode).toBe(413);
    await check(res, undefined);
  });

  it('a gzip bomb (Content-Encoding: gzip) is not inflated', async () => {
    // 200 MB of JSON-looking spaces inside a ~200 kB gzip: Fastify does not decode bodies, so it stays 200 kB.
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const before = process.memoryUsage().rss;
    const res = await send(bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      authorization: `Bearer ${write}`,
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    await check(res, undefined);
    // A correct batch sent gzipped is refused too (never silently half-read).
    const zipped = gzipSync(
      JSON.stringify(batch(BALF, [{ k: newKey(), dir: 'in', at: '2025-06-03T08:00:00Z', cat: 'usager' }])),
    );
    await check(
      await send(zipped, {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${write}`,
      }),
      undefined,
    );
  });

  it('stats: any query string answers 200 or a 4xx with a message, never 5xx', async () => {
    const keys = fc.constantFrom(
      'level',
      'id',
      'from',
      'to',
      'granularity',
      'target',
      'format',
      'x',
      '__proto__',
      'constructor',
    );
    const values = fc.oneof(
      fc.constantFrom(
        'national',
        'department',
        'service',
        'balf',
        '67',
        'SIP-STRASBOURG',
        BALF,
        'day',
        'week',
        'month',
        'csv',
        'json',
      ),
      fc.constantFrom(
        '2025-06-01',
        '2025-06-30',
        '2025-02-30',
        '1900-01-01',
        '9999-12-31',
        '2025-6-1',
        '-2025-01-01',
        '',
      ),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.constant('x'.repeat(5000)),
    );
    const query = fc.array(fc.tuple(keys, values), { maxLength: 9 });
    await fc.assert(
      fc.asyncProperty(query, fc.boolean(), async (pairs, wellFormed) => {
        const base: [string, string][] = wellFormed
          ? [
              ['level', 'department'],
              ['id', '67'],
              ['from', '2025-06-01'],
              ['to', '2025-06-30'],
            ]
          : [];
        const qs = [...base, ...pairs]
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
          .join('&');
        const res = await h.app.inject({
          method: 'GET',
          url: `/api/v1/stats?${qs}`,
          headers: { authorization: `Bearer ${read}` },
        });
        expect(res.statusCode, `${qs.slice(0, 200)} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode !== 200) expectRefusal(res);
      }),
      { numRuns, seed: 42 },
    );
    for (const raw of [
      '%',
      '%E0%A4%A',
      'level=%00',
      'from[a]=1',
      'level=national&from=2025-06-01&to=2025-06-30&from=2025-06-02',
      '&&&',
      'a'.repeat(9000),
    ]) {
      const res = await h.app.inject({
        method: 'GET',
        url: `/api/v1/stats?${raw}`,
        headers: { authorization: `Bearer ${read}` },
      });
      expect(res.statusCode, `${raw.slice(0, 50)} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
      if (res.statusCode !== 200) expectRefusal(res);
    }
    expect(await snapshot(h.db)).toEqual(baseline);
  });
});
