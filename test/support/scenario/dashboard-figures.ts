// Reads the figures a stats view of the dashboard shows (tiles and series table) back into numbers,
// and the same figures taken from a stats answer, so a test can compare what Chromium shows with the API.
import type { Page } from 'playwright-core';

/** « 1 234 » → 1234. */
export const shownCount = (text: string): number => Number(text.replace(/[\s\u00a0\u202f]/g, ''));

/** « 66,7 % » → 66.7; « — » → null. A table cell may go on after the rate (« 3 décidés », « (indicatif) »). */
export const shownPercent = (text: string): number | null => {
  const t = text.trim();
  if (t.startsWith('—')) return null;
  const rate = /^([\d\s\u00a0\u202f]+(?:,\d+)?)[\s\u00a0\u202f]*%/.exec(t);
  return rate === null ? Number.NaN : Number(rate[1]!.replace(/[\s\u00a0\u202f]/g, '').replace(',', '.'));
};

/** « 1,5 j » → 1.5; « — » → null. */
export const shownDelay = (text: string): number | null =>
  text.trim() === '—' ? null : Number(text.replace(/[\s\u00a0\u202fj]/g, '').replace(',', '.'));

/** A rate as the dashboard rounds it (one decimal of a percentage). */
export const roundedRate = (rate: number | null): number | null =>
  rate === null ? null : Math.round(rate * 1000) / 10;
/** A delay as the dashboard rounds it (one decimal). */
export const roundedDelay = (days: number | null): number | null =>
  days === null ? null : Math.round(days * 10) / 10;

export interface TileFigures {
  received: number;
  sent: number;
  complianceRate: number | null;
  overdue: number;
  pending: number;
  medianDelayDays: number | null;
  p90DelayDays: number | null;
}

export interface SeriesRow {
  period: string;
  received: number;
  sent: number;
  answeredInTime: number;
  answeredLate: number;
  overdue: number;
  complianceRate: number | null;
}

interface MetricsLike {
  received: number;
  sent: number;
  answeredInTime: number;
  answeredLate: number;
  overdue: number;
  pending: number;
  complianceRate?: number | null;
  medianDelayDays?: number | null;
  p90DelayDays?: number | null;
}

/** The summary tiles of the view shown. */
export async function readTiles(page: Page): Promise<TileFigures> {
  const tile = async (metric: string) =>
    (await page.textContent(`.sb-tile[data-metric="${metric}"] .sb-tile__value`)) ?? '';
  return {
    received: shownCount(await tile('received')),
    sent: shownCount(await tile('sent')),
    complianceRate: shownPercent(await tile('complianceRate')),
    overdue: shownCount(await tile('overdue')),
    pending: shownCount(await tile('pending')),
    medianDelayDays: shownDelay(await tile('medianDelayDays')),
    p90DelayDays: shownDelay(await tile('p90DelayDays')),
  };
}

/** The series table of the view shown, one row per period. */
export async function readSeries(page: Page): Promise<SeriesRow[]> {
  const rows = await page.$$eval('#table-series tbody tr', (trs) =>
    trs.map((tr) => {
      const cell = (metric: string) => tr.querySelector(`[data-metric="${metric}"]`)?.textContent ?? '';
      return {
        period: tr.getAttribute('data-period') ?? '',
        cells: ['received', 'sent', 'answeredInTime', 'answeredLate', 'overdue', 'complianceRate'].map(cell),
      };
    }),
  );
  return rows.map(({ period, cells }) => ({
    period,
    received: shownCount(cells[0]!),
    sent: shownCount(cells[1]!),
    answeredInTime: shownCount(cells[2]!),
    answeredLate: shownCount(cells[3]!),
    overdue: shownCount(cells[4]!),
    complianceRate: shownPercent(cells[5]!),
  }));
}

/** What the tiles should show for these totals. */
export function tilesOf(totals: MetricsLike): TileFigures {
  return {
    received: totals.received,
    sent: totals.sent,
    complianceRate: roundedRate(totals.complianceRate ?? null),
    overdue: totals.overdue,
    pending: totals.pending,
    medianDelayDays: roundedDelay(totals.medianDelayDays ?? null),
    p90DelayDays: roundedDelay(totals.p90DelayDays ?? null),
  };
}

/** What the series table should show for these points. */
export function seriesOf(points: readonly (MetricsLike & { period: string })[]): SeriesRow[] {
  return points.map((p) => ({
    period: p.period,
    received: p.received,
    sent: p.sent,
    answeredInTime: p.answeredInTime,
    answeredLate: p.answeredLate,
    overdue: p.overdue,
    complianceRate: roundedRate(p.complianceRate ?? null),
  }));
}
