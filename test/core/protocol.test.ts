// The wire schemas refuse what the databases cannot store faithfully (control characters, NUL above all).
import { describe, expect, it } from 'vitest';
import { spotCheckSummarySchema, tallyBatchSchema } from '../../src/core/protocol.ts';

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
