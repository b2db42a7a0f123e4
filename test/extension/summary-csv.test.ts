// Popup figures from the ledger (local days and ISO weeks in the service's time zone, pending and
// overdue against the primary target) and the CSV export format.
import { describe, expect, it } from 'vitest';
import { cell, ledgerCsv } from '../../src/extension/csv.ts';
import { Up } from '../../src/extension/ledger.ts';
import { summarizeBalf } from '../../src/extension/summary.ts';
import { BALF, fakeKey, freshLedger, row, testConfig } from './helpers.ts';

describe('popup summary', () => {
  it('counts today and this week in local time and finds pending and overdue usager mail', async () => {
    const ledger = await freshLedger();
    const answered = fakeKey();
    await ledger.addIfAbsent([
      // Wednesday 25 Nov 2026, 00:30 in Paris = 23:30 UTC the day before: counts as today.
      row({ at: '2026-11-24T23:30:00.000Z' }),
      // Monday of this ISO week.
      row({ at: '2026-11-23T09:00:00.000Z' }),
      // Last week, answered late but answered: neither pending nor overdue.
      row({ key: answered, at: '2026-11-02T09:00:00.000Z' }),
      row({ dir: 'out', cat: 'reply', re: [answered], at: '2026-11-24T10:00:00.000Z' }),
      // Received 13 Nov, never answered: overdue. An auto message never is.
      row({ at: '2026-11-13T09:00:00.000Z' }),
      row({ at: '2026-11-13T09:00:00.000Z', cat: 'auto' }),
      row({ dir: 'out', cat: 'new', at: '2026-11-25T08:00:00.000Z' }),
    ]);
    const summary = await summarizeBalf(ledger, testConfig(), BALF, new Date('2026-11-25T10:00:00Z'));
    expect(summary).toEqual({
      balf: BALF,
      today: { received: 1, sent: 1 },
      week: { received: 2, sent: 2 },
      pending: 2,
      overdue: 1,
      // The three unanswered usager messages, oldest first (waiting.test.ts checks their details).
      waiting: [
        expect.objectContaining({ receivedAt: '2026-11-13T09:00:00.000Z', ageDays: 8, bucket: 'overdue' }),
        expect.objectContaining({ receivedAt: '2026-11-23T09:00:00.000Z', ageDays: 2, bucket: 'inTime' }),
        expect.objectContaining({ receivedAt: '2026-11-24T23:30:00.000Z', ageDays: 0, bucket: 'inTime' }),
      ],
    });
  });
});

describe('CSV export', () => {
  it('writes a BOM, semicolons, quoted cells and defused formulas', () => {
    const csv = ledgerCsv([
      row({
        key: 'k1',
        subject: 'Objet; avec "guillemets"',
        correspondent: '=HYPERLINK("x")',
        up: Up.acknowledged,
      }),
    ]);
    expect(csv.startsWith('\uFEFFbalf;cle;sens;date;categorie;re;heuristique;etat_envoi;')).toBe(true);
    const line = csv.split('\r\n')[1] ?? '';
    expect(line).toContain(';"Objet; avec ""guillemets""";');
    expect(line).toContain(`;"'=HYPERLINK(""x"")";`);
    expect(line).toContain(';envoye;');
    expect(cell('-2')).toBe("'-2");
    expect(cell('simple')).toBe('simple');
  });
});
