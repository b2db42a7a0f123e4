// The wire schemas refuse what the databases cannot store faithfully (control characters, NUL above all).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseTallyBatch,
  receivedCategories,
  sentCategories,
  spotCheckSummarySchema,
  tallyBatchSchema,
  vias,
} from '../../src/core/protocol.ts';

const batch = (over: Record<string, unknown> = {}) => ({
  schema: 1,
  batchId: '0b0f6a3e-7c55-4c2a-9a77-1d2b3c4d5e6f',
  client: { id: 'poste-1', addon: '0.1.0', thunderbird: '153.0' },
  balf: 'SIP.Paris@dgfip.finances.gouv.fr',
  records: [{ k: 'AAAAAAAAAAAAAAAAAAAAAA', dir: 'in', at: '2025-03-10T09:00:00Z', cat: 'usager' }],
  ...over,
});

describe('tallyBatchSchema', () => {
  it('accepts a well-formed batch and lower-cases the BALF', () => {
    expect(tallyBatchSchema.parse(batch()).balf).toBe('sip.paris@dgfip.finances.gouv.fr');
  });

  it.each([
    [
      'a NUL in the client id',
      { client: { id: 'poste\u0000', addon: '0.1.0', thunderbird: '153.0' } },
      'client',
    ],
    ['a NUL in the BALF address', { balf: 'sip\u0000@dgfip.finances.gouv.fr' }, 'balf'],
    [
      'a line feed in the add-on version',
      { client: { id: 'p', addon: '0.1\n', thunderbird: '153.0' } },
      'client',
    ],
  ])('refuses %s', (_why, over, path) => {
    const result = tallyBatchSchema.safeParse(batch(over));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe(path);
  });

  it('accepts schema 2 with hdr on received mail and hre on sent mail, and schema 1 without them', () => {
    const K = 'BBBBBBBBBBBBBBBBBBBBBB';
    const v2 = tallyBatchSchema.safeParse(
      batch({
        schema: 2,
        records: [
          { k: K, dir: 'in', at: '2025-03-10T09:00:00Z', cat: 'auto', hdr: true },
          {
            k: 'C'.repeat(22),
            dir: 'out',
            at: '2025-03-11T09:00:00Z',
            cat: 'reply',
            re: [K],
            hre: ['D'.repeat(22)],
          },
        ],
      }),
    );
    expect(v2.success).toBe(true);
    expect(tallyBatchSchema.safeParse(batch({ schema: 1 })).success).toBe(true);
    expect(tallyBatchSchema.safeParse(batch({ schema: 3 })).success).toBe(false);
  });

  it('accepts via on a sent reply, from the personal address or another BALF', () => {
    for (const via of vias) {
      const record = {
        k: 'C'.repeat(22),
        dir: 'out',
        at: '2025-03-11T09:00:00Z',
        cat: 'reply',
        re: ['B'.repeat(22)],
        via,
      };
      const parsed = parseTallyBatch(batch({ schema: 2, records: [record] }));
      expect(parsed.success, via).toBe(true);
      expect(parsed.data?.records[0]?.via).toBe(via);
    }
  });

  it.each([
    ['via on a received record', { via: 'personal' }, 'via'],
    ['via on a sent forward (only replies answer)', { dir: 'out', cat: 'forward', via: 'personal' }, 'via'],
    ['an unknown via', { dir: 'out', cat: 'reply', via: 'agent' }, 'via'],
    ['hdr on a sent record', { dir: 'out', cat: 'reply', hdr: true }, 'hdr'],
    ['hre on a received record', { hre: ['D'.repeat(22)] }, 'hre'],
    ['a non-boolean hdr', { hdr: 'yes' }, 'hdr'],
    [
      'more than 50 hre keys',
      { dir: 'out', cat: 'reply', hre: Array.from({ length: 51 }, () => 'D'.repeat(22)) },
      'hre',
    ],
  ])('refuses %s', (_why, over, field) => {
    const record = { k: 'A'.repeat(22), dir: 'in', at: '2025-03-10T09:00:00Z', cat: 'usager', ...over };
    const result = tallyBatchSchema.safeParse(batch({ schema: 2, records: [record] }));
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toContain(field);
    expect(parseTallyBatch(batch({ schema: 2, records: [record] })).success).toBe(false);
  });

  it('refuses a sent category on a received record', () => {
    const result = tallyBatchSchema.safeParse(
      batch({
        records: [{ k: 'AAAAAAAAAAAAAAAAAAAAAA', dir: 'in', at: '2025-03-10T09:00:00Z', cat: 'reply' }],
      }),
    );
    expect(result.success).toBe(false);
  });
});

describe('spotCheckSummarySchema', () => {
  it('refuses a seed with control characters', () => {
    const result = spotCheckSummarySchema.safeParse({
      schema: 1,
      id: '0b0f6a3e-7c55-4c2a-9a77-1d2b3c4d5e6f',
      client: { id: 'p', addon: '0.1.0', thunderbird: '153.0' },
      balf: 'sip@dgfip.finances.gouv.fr',
      from: '2025-03-01',
      to: '2025-03-31',
      doneAt: '2025-04-02T10:00:00Z',
      seed: 'AB\u0000',
      target: { id: 'marianne', workingDays: 5 },
      population: 10,
      sampleSize: 5,
      verdicts: { conforme: 4, non_conforme: 1, sans_objet: 0 },
      automatic: { answered_in_time: 4, answered_late: 1, pending: 0, overdue: 0 },
      disagreements: 0,
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path[0]).toBe('seed');
  });
});

describe("parseTallyBatch (the fast reading of the add-on's batches)", () => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const validKey = fc.string({ unit: fc.constantFrom(...alphabet), minLength: 22, maxLength: 22 });
  const anyKey = fc.oneof(
    { weight: 6, arbitrary: validKey },
    { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom(...alphabet), minLength: 21, maxLength: 23 }) },
    { weight: 1, arbitrary: validKey.map((k) => `${k.slice(0, 21)}+`) },
    { weight: 1, arbitrary: fc.constantFrom(42, null, ['x']) },
  );
  const canonical = fc
    .integer({ min: Date.UTC(1, 0, 1), max: Date.UTC(9999, 11, 31) })
    .map((ms) => new Date(ms).toISOString());
  const instant = fc.oneof(
    { weight: 6, arbitrary: canonical },
    { weight: 1, arbitrary: canonical.map((t) => t.replace('Z', '+01:00')) },
    { weight: 1, arbitrary: canonical.map((t) => `${t.slice(0, 19)}Z`) },
    { weight: 1, arbitrary: canonical.map((t) => t.replace(/-\d\dT/, '-30T').replace(/-\d\d-/, '-02-')) },
    { weight: 1, arbitrary: canonical.map((t) => t.replace(/T\d\d/, 'T24')) },
    { weight: 1, arbitrary: fc.constantFrom(0, '', '2025-03-10', '0000-01-01T00:00:00.000Z') },
  );
  type Rec = Record<string, unknown>;
  const valid: fc.Arbitrary<Rec> = fc.oneof(
    fc.record(
      {
        k: validKey,
        dir: fc.constant('in'),
        at: canonical,
        cat: fc.constantFrom(...receivedCategories),
        re: fc.constant([]),
        heuristic: fc.boolean(),
        hdr: fc.boolean(),
        hre: fc.constant([]),
      },
      { requiredKeys: ['k', 'dir', 'at', 'cat'] },
    ),
    fc.record(
      {
        k: validKey,
        dir: fc.constant('out'),
        at: canonical,
        cat: fc.constantFrom(...sentCategories),
        re: fc.array(validKey, { maxLength: 20 }),
        heuristic: fc.boolean(),
        hre: fc.array(validKey, { maxLength: 50 }),
        via: fc.constantFrom(...vias),
      },
      { requiredKeys: ['k', 'dir', 'at', 'cat'] },
    ),
  );
  /** One change that may or may not make a record invalid (zod is the judge). */
  const mutation: fc.Arbitrary<(r: Rec) => Rec> = fc.oneof(
    anyKey.map((k) => (r: Rec) => ({ ...r, k })),
    instant.map((at) => (r: Rec) => ({ ...r, at })),
    fc.constantFrom('in', 'out', 'sideways').map((dir) => (r: Rec) => ({ ...r, dir })),
    fc
      .constantFrom(...receivedCategories, ...sentCategories, 'bogus')
      .map((cat) => (r: Rec) => ({ ...r, cat })),
    fc.array(anyKey, { minLength: 0, maxLength: 22 }).map((re) => (r: Rec) => ({ ...r, re })),
    fc.array(validKey, { minLength: 19, maxLength: 22 }).map((re) => (r: Rec) => ({ ...r, re })),
    fc.constantFrom('yes', 1, null).map((heuristic) => (r: Rec) => ({ ...r, heuristic })),
    fc.constantFrom(true, false, 'yes', null).map((hdr) => (r: Rec) => ({ ...r, hdr })),
    fc.array(anyKey, { minLength: 0, maxLength: 52 }).map((hre) => (r: Rec) => ({ ...r, hre })),
    fc.constantFrom('personal', 'other-balf', 'agent', true, null).map((via) => (r: Rec) => ({ ...r, via })),
    fc.constant((r: Rec) => ({ ...r, extra: 1 })),
    fc.constant((r: Rec) => Object.assign(Object.create(null) as Rec, r)),
    fc.constant((r: Rec) => [r] as unknown as Rec),
  );
  const records = fc
    .tuple(
      fc.array(valid, { minLength: 1, maxLength: 4 }),
      fc.option(fc.tuple(fc.nat(), mutation), { freq: 2 }),
    )
    .map(([list, change]) => {
      if (change === null) return list;
      const [at, apply] = change;
      return list.map((r, i) => (i === at % list.length ? apply(r) : r));
    });
  const envelope: fc.Arbitrary<Rec> = fc.oneof(
    { weight: 6, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constant({ extra: true }) },
    { weight: 1, arbitrary: fc.constant({ schema: 2 }) },
    { weight: 1, arbitrary: fc.constant({ schema: 3 }) },
    { weight: 1, arbitrary: fc.constant({ balf: 'pas une adresse' }) },
    { weight: 1, arbitrary: fc.constant({ records: [] }) },
  );
  const body = fc.tuple(records, envelope).map(([list, over]) => ({ records: list, ...over }));

  it('accepts exactly what tallyBatchSchema accepts, with the same value', () => {
    fc.assert(
      fc.property(body, (over) => {
        const input = batch(over);
        const fast = parseTallyBatch(input);
        const reference = tallyBatchSchema.safeParse(input);
        expect(fast.success).toBe(reference.success);
        if (fast.success) expect(fast.data).toEqual(reference.data);
        else expect(fast.error.issues).toEqual(reference.error?.issues);
      }),
      { numRuns: 4000 },
    );
  });

  it("reads the add-on's own form without falling back, and still names a bad record's path", () => {
    const good = parseTallyBatch(
      batch({ records: [{ k: 'A'.repeat(22), dir: 'in', at: '2025-03-10T09:00:00.000Z', cat: 'usager' }] }),
    );
    expect(good.success && good.data.balf).toBe('sip.paris@dgfip.finances.gouv.fr');
    const bad = parseTallyBatch(
      batch({
        records: [
          { k: 'A'.repeat(22), dir: 'in', at: '2025-03-10T09:00:00.000Z', cat: 'usager' },
          { k: 'B'.repeat(22), dir: 'in', at: '2025-03-10T09:00:00.000Z', cat: 'reply' },
        ],
      }),
    );
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path)).toEqual([['records', 1, 'cat']]);
  });
});
