// « À traiter » of the popup from ledger rows: only unanswered usager mail, oldest first, age and due day
// in working days of the BALF's region (core/backlog.ts, core/targets.ts), the bucket against the target.
import { describe, expect, it } from 'vitest';
import { backlogBucket } from '../../src/core/backlog.ts';
import { summarizeBalf } from '../../src/extension/summary.ts';
import { Refine, type LedgerRow } from '../../src/extension/ledger.ts';
import { BALF, freshLedger, row, testConfig } from './helpers.ts';

const NOW = new Date('2026-04-07T14:00:00Z'); // Tuesday after Easter Monday (6 April 2026)

/** A row whose message had no Subject header. */
function withoutSubject(r: LedgerRow): LedgerRow {
  const { subject: _subject, ...rest } = r;
  return rest;
}

describe('waiting messages of the popup', () => {
  it('ages by the region: Good Friday is a holiday in Alsace-Moselle only', async () => {
    const ledger = await freshLedger();
    // Thursday 2 April, the day before Good Friday.
    await ledger.addIfAbsent([row({ key: 'thursday', at: '2026-04-02T08:00:00.000Z' })]);
    const target = { id: 'dgfip-48h', label: '48 h', workingDays: 2 };
    const ages = async (region: 'metropole' | 'alsace-moselle') =>
      (await summarizeBalf(ledger, testConfig({ region, primaryTarget: target }), BALF, NOW)).waiting.map(
        (m) => [m.ageDays, m.dueOn, m.bucket],
      );
    // Metropole: Friday 3 and Tuesday 7 are worked → 2 days, due today (Tuesday 7), « à échéance ».
    expect(await ages('metropole')).toEqual([[2, '2026-04-07', 'dueSoon']]);
    // Alsace-Moselle: Friday 3 is off → 1 day, due on Wednesday 8, « à échéance » (due tomorrow).
    expect(await ages('alsace-moselle')).toEqual([[1, '2026-04-08', 'dueSoon']]);
  });

  it('lists unanswered usager mail only, oldest first, with the bucket core gives its age', async () => {
    const ledger = await freshLedger();
    await ledger.addIfAbsent([
      row({ key: 'recent', at: '2026-04-07T07:00:00.000Z', refine: Refine.waiting }),
      withoutSubject(row({ key: 'old', at: '2026-03-20T09:00:00.000Z' })),
      row({ key: 'answered', at: '2026-03-19T09:00:00.000Z' }),
      row({ key: 'reply', dir: 'out', cat: 'reply', re: ['answered'], at: '2026-03-20T10:00:00.000Z' }),
      row({ key: 'newsletter', cat: 'auto', at: '2026-03-18T09:00:00.000Z' }),
      row({ key: 'colleague', cat: 'interne', at: '2026-03-18T09:00:00.000Z' }),
      row({ key: 'middle', at: '2026-04-01T09:00:00.000Z' }),
    ]);
    const config = testConfig();
    const { waiting, pending, overdue } = await summarizeBalf(ledger, config, BALF, NOW);
    expect(waiting.map((m) => [m.key, m.ageDays, m.bucket, m.provisional])).toEqual([
      ['old', 11, 'overdue', false],
      ['middle', 3, 'inTime', false],
      ['recent', 0, 'inTime', true],
    ]);
    // The same messages and verdicts as the popup's counts.
    expect(waiting.filter((m) => m.bucket === 'overdue')).toHaveLength(overdue);
    expect(waiting.length - overdue).toBe(pending);
    for (const m of waiting) expect(m.bucket).toBe(backlogBucket(m.ageDays, config.primaryTarget));
    expect(waiting[0]).toMatchObject({ subject: null, correspondent: 'jean.usager@example.org' });
    expect(waiting[0]?.headerMessageId).toBe('old@example.org');
  });
});
