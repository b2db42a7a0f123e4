// @vitest-environment happy-dom
// The sampling table says why a reply is linked to a message it does not reference: the subject
// heuristic, or its request (the reply answers a later reminder of the same correspondent).
import { describe, expect, it } from 'vitest';
import type { SampleRow } from '../../src/extension/sampling/draw.ts';
import { renderSampleRow } from '../../src/extension/sampling/sample-view.ts';
import { tFr } from './sampling-fixtures.ts';

const ctx = { doc: document, t: tFr, region: 'metropole' as const, locale: 'fr-FR' };
const sampled = (reply: SampleRow['reply']): SampleRow => ({
  key: 'k1',
  headerMessageId: 'q1@example.org',
  at: '2026-11-02T09:00:00.000Z',
  correspondent: 'jean.usager@example.org',
  subject: 'Demande de remise',
  category: 'usager',
  week: '2026-11-02',
  reply,
  status: 'answered_late',
  delayDays: 6,
});
const reply = { key: 's1', at: '2026-11-11T10:00:00.000Z', headerMessageId: 's1@dgfip.finances.gouv.fr' };
const reasonOf = (row: SampleRow) => renderSampleRow(ctx, row, 1, {}).querySelector('.reason')?.textContent;

describe('sampling table: why a reply is linked', () => {
  it.each([
    { why: 'by its own headers: no reason shown', row: sampled({ ...reply, heuristic: false }), key: null },
    {
      why: 'by subject and correspondent',
      row: sampled({ ...reply, heuristic: true }),
      key: 'sampling_heuristicReason',
    },
    {
      why: 'by its request (a reminder answered)',
      row: sampled({ ...reply, heuristic: true, byRequest: true }),
      key: 'sampling_requestReason',
    },
  ])('$why', ({ row, key }) => {
    expect(reasonOf(row) ?? null).toBe(key === null ? null : tFr(key));
  });
});
