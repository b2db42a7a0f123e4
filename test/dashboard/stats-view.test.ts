// @vitest-environment happy-dom
// Rendering of a stats answer: the figures in the tables and tiles are the JSON's, in French format.
import { describe, expect, it } from 'vitest';
import type { StatsAnswer } from '../../src/core/protocol.ts';
import { FALLBACK_TARGETS, type Api } from '../../src/dashboard/api.ts';
import { formatCount, formatRate, parseCount } from '../../src/dashboard/format.ts';
import { parseHash, type StatsRoute } from '../../src/dashboard/route.ts';
import type { SpotCheckList, SpotCheckRow } from '../../src/dashboard/views/spot-checks.ts';
import { loadStats, renderStatsPage } from '../../src/dashboard/views/stats-page.ts';
import { nationalAnswer } from './fixtures.ts';

const today = new Date(2026, 10, 29);
const route: StatsRoute = {
  page: 'stats',
  level: 'national',
  id: 'national',
  period: { from: '2026-11-01', to: '2026-11-30' },
  granularity: 'week',
  compare: true,
};

const spotCheck: SpotCheckRow = {
  id: '6f1c1d36-3a0e-4d51-9a55-2a4c4d1a8e01',
  balf: 'sip.paris-1er@dgfip.finances.gouv.fr',
  from: '2026-11-02',
  to: '2026-11-13',
  doneAt: '2026-11-20T10:15:00+01:00',
  target: { id: 'marianne-5j', workingDays: 5 },
  population: 412,
  sampleSize: 40,
  verdicts: { conforme: 30, non_conforme: 8, sans_objet: 2 },
  disagreements: 3,
  rate: 30 / 38,
  interval: { lower: 0.64, upper: 0.89 },
};

function render(
  answer: StatsAnswer,
  previous: StatsAnswer | null,
  navigated: StatsRoute[] = [],
  errors: string[] = [],
  spotChecks: SpotCheckList | string = { spotChecks: [spotCheck] },
) {
  const drawn: StatsAnswer[] = [];
  const page = renderStatsPage(
    {
      route,
      targets: FALLBACK_TARGETS,
      today,
      navigate: (r) => navigated.push(r),
      drawChart: (_el, a) => {
        drawn.push(a);
        return () => undefined;
      },
    },
    {
      answer,
      previous,
      crumbs: [{ level: 'national', id: 'national', name: 'France entière' }],
      spotChecks,
    },
    (message) => errors.push(message),
  );
  document.body.replaceChildren(page.content);
  page.drawChart();
  return { page, drawn };
}

const cell = (row: Element, metric: string) =>
  row.querySelector(`[data-metric="${metric}"]`)?.textContent ?? '';

describe('stats page rendering', () => {
  it('shows each child with the JSON figures and a drill-down link', () => {
    const answer = nationalAnswer();
    render(answer, null);
    const rows = [...document.querySelectorAll('#table-children tbody tr')];
    expect(rows).toHaveLength(answer.children.length);
    answer.children.forEach((child, i) => {
      const row = rows[i]!;
      expect(row.querySelector('th')?.textContent).toBe(child.name);
      expect(parseCount(cell(row, 'received'))).toBe(child.received);
      expect(parseCount(cell(row, 'sent'))).toBe(child.sent);
      expect(parseCount(cell(row, 'overdue'))).toBe(child.overdue);
      expect(cell(row, 'complianceRate')).toBe(formatRate(child.complianceRate));
      const href = row.querySelector('a')?.getAttribute('href') ?? '';
      const target = parseHash(href, today);
      expect(target).toMatchObject({
        page: 'stats',
        level: 'department',
        id: child.id,
        period: route.period,
        granularity: 'week',
      });
    });
    // The table is accessible: caption, column and row headers.
    expect(document.querySelector('#table-children caption')?.textContent).toContain('Départements');
    expect(document.querySelectorAll('#table-children th[scope="col"]')).toHaveLength(5);
    expect(document.querySelectorAll('#table-children th[scope="row"]')).toHaveLength(3);
  });

  it('formats in French: separators, « 87,5 % », dash for an undefined rate', () => {
    const answer = nationalAnswer();
    render(answer, null);
    const paris = document.querySelector('#table-children tr[data-id="75"]')!;
    expect(cell(paris, 'received')).toBe('8\u202f000');
    expect(cell(paris, 'complianceRate')).toMatch(/^84,7[\u202f\u00a0]%$/);
    const unattached = document.querySelector('#table-children tr[data-id="unattached"]')!;
    expect(cell(unattached, 'complianceRate')).toBe('—');
    expect(formatRate(0.875)).toMatch(/^87,5[\u202f\u00a0]%$/);
  });

  it('lists every series period (the chart’s text alternative) and draws the chart once', () => {
    const answer = nationalAnswer();
    const { drawn } = render(answer, null);
    const rows = [...document.querySelectorAll('#table-series tbody tr')];
    expect(rows.map((r) => r.getAttribute('data-period'))).toEqual(answer.series.map((s) => s.period));
    answer.series.forEach((point, i) => {
      expect(parseCount(cell(rows[i]!, 'received'))).toBe(point.received);
      expect(parseCount(cell(rows[i]!, 'sent'))).toBe(point.sent);
      expect(parseCount(cell(rows[i]!, 'answeredInTime'))).toBe(point.answeredInTime);
    });
    expect(rows[0]!.querySelector('th')?.textContent).toBe('semaine 44 (lun. 26 oct. 2026)');
    expect(drawn).toEqual([answer]);
  });

  it('shows totals and deltas against the previous period', () => {
    const answer = nationalAnswer(2);
    const previous = { ...nationalAnswer(1), from: '2026-10-01', to: '2026-10-31' };
    render(answer, previous);
    expect(document.querySelector('#comparison-note')?.textContent).toBe(
      'Évolutions par rapport à la période précédente (octobre 2026).',
    );
    const tile = (metric: string) => document.querySelector(`.sb-tile[data-metric="${metric}"]`)!;
    expect(tile('received').querySelector('.sb-tile__value')?.textContent).toBe(formatCount(24690));
    expect(tile('received').querySelector('.sb-tile__delta')?.textContent).toContain(
      '+12\u202f345 (+100,0\u00a0%)',
    );
    expect(tile('complianceRate').querySelector('.sb-tile__delta')?.textContent).toContain('=');
    // Pending mail is a state of today: an older period has none left, so no delta is shown.
    expect(tile('pending').querySelector('.sb-tile__delta')?.textContent).toBe('État à ce jour');
    expect(tile('sent').querySelector('.sb-tile__delta')?.textContent).toMatch(
      /Évolution par rapport à la période précédente \(octobre 2026\)/,
    );
  });

  it('says when the deltas compare with the first days of the period before only', () => {
    render(nationalAnswer(2), { ...nationalAnswer(1), from: '2026-10-01', to: '2026-10-15' });
    expect(document.querySelector('#comparison-note')?.textContent).toBe(
      'Évolutions par rapport au début de la période précédente (du 1 octobre 2026 au 15 octobre 2026) : ' +
        'autant de jours que la période en cours en compte à ce jour.',
    );
    render(nationalAnswer(2), null);
    expect(document.querySelector('#comparison-note')).toBeNull();
    expect(document.querySelector('.sb-tile__delta')).toBeNull();
  });

  it('asks the server for the period and, cut to the days run, the one before', async () => {
    const asked: string[] = [];
    const api = {
      stats: async (query: string) => {
        asked.push(query);
        return nationalAnswer();
      },
      path: async () => [],
      spotChecks: async () => ({ spotChecks: [] }),
    } as unknown as Api;
    const december: StatsRoute = { ...route, period: { from: '2026-12-01', to: '2026-12-31' } };
    const data = await loadStats(api, december, new Date(2026, 11, 15, 10));
    expect(asked.map((q) => Object.fromEntries(new URLSearchParams(q)))).toEqual([
      expect.objectContaining({ from: '2026-12-01', to: '2026-12-31' }),
      expect.objectContaining({ from: '2026-11-01', to: '2026-11-15' }),
    ]);
    expect(data.previous).not.toBeNull();
    asked.length = 0;
    const plain = await loadStats(api, { ...december, compare: false }, new Date(2026, 11, 15));
    expect(asked).toHaveLength(1);
    expect(plain.previous).toBeNull();
  });

  it('links the CSV export to the same query with format=csv', () => {
    render(nationalAnswer(), null);
    const href = document.querySelector('#csv-export')?.getAttribute('href') ?? '';
    const url = new URL(href, 'http://localhost');
    expect(url.pathname).toBe('/api/v1/stats');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      level: 'national',
      id: 'national',
      from: '2026-11-01',
      to: '2026-11-30',
      granularity: 'week',
      format: 'csv',
    });
  });

  it('turns the period form into a new route, and refuses a reversed range', () => {
    const navigated: StatsRoute[] = [];
    const errors: string[] = [];
    render(nationalAnswer(), null, navigated, errors);
    const form = document.querySelector<HTMLFormElement>('#period-form')!;
    const preset = form.querySelector<HTMLSelectElement>('#preset')!;
    expect(preset.value).toBe('this-month');
    preset.value = 'year';
    preset.dispatchEvent(new Event('change'));
    expect(form.querySelector<HTMLInputElement>('#from')!.value).toBe('2026-01-01');
    expect(form.querySelector<HTMLSelectElement>('#granularity')!.value).toBe('month');
    form.querySelector<HTMLSelectElement>('#target')!.value = 'dgfip-2j';
    form.requestSubmit();
    expect(navigated).toEqual([
      {
        ...route,
        period: { from: '2026-01-01', to: '2026-12-31' },
        granularity: 'month',
        target: 'dgfip-2j',
        compare: true,
      },
    ]);
    form.querySelector<HTMLInputElement>('#from')!.value = '2026-12-01';
    form.querySelector<HTMLInputElement>('#to')!.value = '2026-11-01';
    form.requestSubmit();
    expect(navigated).toHaveLength(1);
    expect(errors[0]).toMatch(/Période invalide/);
  });

  it('offers previous and next periods as links', () => {
    render(nationalAnswer(), null);
    const prev = parseHash(document.querySelector('#period-previous')!.getAttribute('href')!, today);
    const next = parseHash(document.querySelector('#period-next')!.getAttribute('href')!, today);
    expect(prev).toMatchObject({ period: { from: '2026-10-01', to: '2026-10-31' } });
    expect(next).toMatchObject({ period: { from: '2026-12-01', to: '2026-12-31' } });
  });

  it('lists the spot-checks of the period with their rate and interval, or says why not', () => {
    render(nationalAnswer(), null);
    const row = document.querySelector('#table-spot-checks tbody tr')!;
    expect(row.querySelector('th')?.textContent).toBe(spotCheck.balf);
    expect(cell(row, 'sampleSize')).toBe('40 / 412');
    expect(cell(row, 'non_conforme')).toBe('8');
    expect(cell(row, 'rate')).toMatch(/^78,9.% \(64,0.% – 89,0.%\)$/);
    render(nationalAnswer(), null, [], [], { spotChecks: [] });
    expect(document.querySelector('#spot-checks-empty')?.textContent).toMatch(/Aucun sondage/);
    render(nationalAnswer(), null, [], [], 'Erreur du serveur (500).');
    expect(document.querySelector('#spot-checks-error')?.textContent).toBe(
      'Sondages indisponibles : Erreur du serveur (500).',
    );
    // The figures are still there.
    expect(document.querySelectorAll('#table-children tbody tr')).toHaveLength(3);
  });
});
