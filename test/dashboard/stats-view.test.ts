// @vitest-environment happy-dom
// The statistics page from a stats answer: figures as the JSON says, in French; what each figure rests on and how it
// reads against the target; days after today; compared periods; the blocks of each role; sortable tables.
import { describe, expect, it } from 'vitest';
import { emptyMetrics, type StatsAnswer } from '../../src/core/protocol.ts';
import {
  FALLBACK_TARGETS,
  type Api,
  type Crumb,
  type SpotCheckList,
  type SpotCheckRow,
} from '../../src/dashboard/api.ts';
import { formatCount, formatRate, parseCount } from '../../src/dashboard/format.ts';
import { parseHash, type Scope, type StatsRoute } from '../../src/dashboard/route.ts';
import type { ChartSpec } from '../../src/dashboard/views/chart.ts';
import {
  loadStats,
  renderStatsPage,
  renderStatsProblem,
  scopedCrumbs,
  type StatsData,
} from '../../src/dashboard/views/stats-page.ts';
import { nationalAnswer } from './fixtures.ts';

const today = new Date(2026, 10, 29);
const route: StatsRoute = {
  page: 'stats',
  level: 'national',
  id: 'national',
  period: { from: '2026-11-01', to: '2026-11-30' },
  granularity: 'week',
  compare: true,
  compareYear: true,
};

const spotCheck: SpotCheckRow = {
  id: '6f1c1d36-3a0e-4d51-9a55-2a4c4d1a8e01',
  balf: 'sip.paris-1er@dgfip.finances.gouv.fr',
  from: '2026-11-02',
  to: '2026-11-13',
  doneAt: '2026-11-20T10:15:00+01:00',
  target: { id: 'marianne', workingDays: 5 },
  population: 412,
  sampleSize: 40,
  verdicts: { conforme: 30, non_conforme: 8, sans_objet: 2 },
  automatic: { answered_in_time: 33, answered_late: 3, pending: 0, overdue: 2 },
  disagreements: 3,
  rate: 30 / 38,
  interval: { lower: 0.64, upper: 0.89 },
};

const crumbs: Crumb[] = [{ level: 'national', id: 'national', name: 'France entière' }];

interface Options {
  route?: StatsRoute;
  previous?: StatsAnswer | null;
  lastYear?: StatsAnswer | null;
  spotChecks?: SpotCheckList | string;
  spotAutomatic?: StatsData['spotAutomatic'];
  week?: StatsData['week'];
  storage?: StatsData['storage'];
  crumbs?: Crumb[];
  scope?: Scope | null;
  day?: Date;
}

function render(
  answer: StatsAnswer,
  options: Options = {},
  navigated: StatsRoute[] = [],
  errors: string[] = [],
) {
  const drawn: ChartSpec[] = [];
  const page = renderStatsPage(
    {
      route: options.route ?? route,
      targets: FALLBACK_TARGETS,
      today: options.day ?? today,
      scope: options.scope === undefined ? { level: 'national', id: 'national' } : options.scope,
      navigate: (r) => navigated.push(r),
      drawChart: (_el, spec) => {
        drawn.push(spec);
        return () => undefined;
      },
    },
    {
      answer,
      previous: options.previous ?? null,
      lastYear: options.lastYear ?? null,
      crumbs: options.crumbs ?? crumbs,
      spotChecks: options.spotChecks ?? { spotChecks: [spotCheck] },
      spotAutomatic: options.spotAutomatic ?? new Map(),
      week: options.week ?? null,
      ...(options.storage === undefined ? {} : { storage: options.storage }),
    },
    (message) => errors.push(message),
  );
  document.body.replaceChildren(page.content);
  page.drawChart();
  return { page, drawn };
}

const cell = (row: Element, metric: string) =>
  row.querySelector(`[data-metric="${metric}"]`)?.textContent ?? '';
const tile = (metric: string) =>
  document.querySelector(`#bloc-chiffres-cles .sb-tile[data-metric="${metric}"]`)!;
const ids = (selector: string) =>
  [...document.querySelectorAll(selector)].map((r) => r.getAttribute('data-id'));

describe('stats page rendering', () => {
  it('shows each child with the JSON figures, a drill-down link and its reading against the target', () => {
    const answer = nationalAnswer();
    render(answer);
    const rows = [...document.querySelectorAll('#table-children tbody tr')];
    expect(rows).toHaveLength(answer.children.length);
    answer.children.forEach((child, i) => {
      const row = rows[i]!;
      expect(row.querySelector('th')?.textContent).toBe(child.name);
      expect(parseCount(cell(row, 'received'))).toBe(child.received);
      expect(parseCount(cell(row, 'receivedUsager'))).toBe(child.receivedByCategory.usager);
      expect(parseCount(cell(row, 'sent'))).toBe(child.sent);
      expect(parseCount(cell(row, 'overdue'))).toBe(child.overdue);
      expect(parseCount(cell(row, 'decided'))).toBe(
        child.answeredInTime + child.answeredLate + child.overdue,
      );
      expect(cell(row, 'complianceRate')).toBe(formatRate(child.complianceRate));
      const target = parseHash(row.querySelector('a')?.getAttribute('href') ?? '', today);
      expect(target).toMatchObject({
        page: 'stats',
        level: 'department',
        id: child.id,
        period: route.period,
      });
    });
    // 84,7 % and 70,2 % are under the 90 % reference; nothing decided is no verdict.
    expect(rows.map((r) => r.querySelector('[data-verdict]')?.getAttribute('data-verdict'))).toEqual([
      'non-conforme',
      'non-conforme',
      'sans-objet',
    ]);
    // Numbers are right-aligned through the DSFR's own cell class; headers are scoped.
    expect(rows[0]!.querySelector('[data-metric="received"]')?.className).toContain('fr-cell--right');
    expect(document.querySelector('#table-children caption')?.textContent).toBe('Départements (3)');
    expect(document.querySelectorAll('#table-children th[scope="row"]')).toHaveLength(3);
  });

  it('sorts the children by any column, the « Repère » putting the furthest from the target first', () => {
    render(nationalAnswer());
    const sort = (key: string) =>
      document.querySelector<HTMLButtonElement>(`#table-children button[data-sort="${key}"]`)!.click();
    sort('verdict');
    // Ascending gap: La Réunion (70,2 %) before Paris (84,7 %); the unrated row last whatever the direction.
    expect(ids('#table-children tbody tr')).toEqual(['974', '75', 'unattached']);
    const header = document.querySelector('#table-children button[data-sort="verdict"]')!.closest('th')!;
    expect(header.getAttribute('aria-sort')).toBe('ascending');
    sort('verdict');
    expect(ids('#table-children tbody tr')).toEqual(['75', '974', 'unattached']);
    expect(header.getAttribute('aria-sort')).toBe('descending');
    sort('received');
    expect(ids('#table-children tbody tr')).toEqual(['unattached', '974', '75']);
    expect(header.hasAttribute('aria-sort')).toBe(false);
    expect(document.querySelector('#table-children button[data-sort="received"]')?.textContent).toBe(
      'Trier par « Reçus (tous) », ordre décroissant',
    );
  });

  it('ranks the departments furthest below the reference rate', () => {
    render(nationalAnswer());
    expect(ids('#table-ranking tbody tr')).toEqual(['974', '75']);
    const first = document.querySelector('#table-ranking tbody tr')!;
    expect(cell(first, 'gap')).toMatch(/^-19,8\u00a0pts$/);
    // The pseudo-department of unattached BALFs answers to nobody: never ranked.
    expect(document.querySelector('#table-ranking tr[data-id="unattached"]')).toBeNull();
  });

  it('shows what the rate rests on, and greys a rate resting on few decided messages', () => {
    const answer = nationalAnswer();
    render(answer);
    expect(tile('complianceRate').querySelector('[data-detail="decided"]')?.textContent).toBe(
      `sur ${formatCount(8750)} décidés, 120 en attente`,
    );
    expect(tile('complianceRate').classList.contains('sb-tile--weak')).toBe(false);
    const few = {
      ...answer,
      totals: {
        ...answer.totals,
        answeredInTime: 16,
        answeredLate: 0,
        overdue: 0,
        pending: 157,
        complianceRate: 1,
      },
    };
    render(few);
    expect(tile('complianceRate').querySelector('.sb-tile__value')?.textContent).toMatch(/^100,0.%$/);
    expect(tile('complianceRate').querySelector('[data-detail="decided"]')?.textContent).toBe(
      'sur 16 décidés, 157 en attente',
    );
    expect(tile('complianceRate').classList.contains('sb-tile--weak')).toBe(true);
    expect(tile('complianceRate').querySelector('[data-verdict]')?.textContent).toBe('Indicatif');
  });

  it('says that received counts all mail while rates and delays are usager mail, with the category split', () => {
    render(nationalAnswer());
    expect(tile('received').querySelector('.sb-tile__label')?.textContent).toBe(
      'Messages reçus (toutes catégories)',
    );
    expect(tile('received').querySelector('[data-detail="categories"]')?.textContent).toBe(
      'dont 12\u202f335 d’usagers, 6 internes, 3 automatiques, 1 indésirables',
    );
    expect(document.querySelector('#usager-note')?.textContent).toMatch(
      /portent sur les seuls courriels d’usagers \(12\u202f335 des 12\u202f345 reçus\)/,
    );
  });

  it('cues the delays against the target', () => {
    render(nationalAnswer());
    // Median 2 d and 90th centile 6 d against 5 working days.
    expect(tile('medianDelayDays').querySelector('[data-verdict]')?.textContent).toBe(
      'Dans l’objectif (5 j)',
    );
    expect(tile('p90DelayDays').querySelector('[data-verdict]')?.textContent).toBe(
      'Au-delà de l’objectif (5 j)',
    );
    expect(cell(document.querySelector('#table-children tr[data-id="75"]')!, 'p90DelayDays')).toMatch(
      /hors objectif/,
    );
  });

  it('lists and draws only the days that happened, and marks the running one', () => {
    const answer = { ...nationalAnswer(), granularity: 'day' as const };
    answer.series = Array.from({ length: 30 }, (_, i) => ({
      period: `2026-11-${String(i + 1).padStart(2, '0')}`,
      ...emptyMetrics(),
      received: i < 16 ? 10 + i : 0,
    }));
    const { drawn } = render(answer, { day: new Date(2026, 10, 16, 10) });
    const rows = [...document.querySelectorAll('#table-series tbody tr')];
    expect(rows.map((r) => r.getAttribute('data-period'))).toEqual(
      answer.series.slice(0, 16).map((p) => p.period),
    );
    expect(rows[15]!.getAttribute('data-running')).toBe('true');
    expect(rows[15]!.querySelector('th')?.textContent).toMatch(/en cours$/);
    expect(document.querySelector('#period-lead')?.textContent).toMatch(
      /^novembre 2026 \(période en cours, au lundi 16 novembre 2026\)/,
    );
    expect(document.querySelector('#running-notice')?.textContent).toMatch(
      /les jours à venir ne sont ni comptés ni tracés/,
    );
    // Two charts: flows, and delays with the target line; one label per point, none repeated.
    expect(drawn.map((d) => d.name)).toEqual([
      'Graphique des flux de messages',
      'Graphique des délais de réponse',
    ]);
    expect(drawn[0]!.labels).toHaveLength(16);
    expect(new Set(drawn[0]!.labels).size).toBe(16);
    expect(drawn[0]!.lines.map((l) => l.label)).toEqual(['Reçus (tous)', 'Reçus d’usagers', 'Envoyés']);
    expect(drawn[1]!.threshold).toEqual({ value: 5, label: 'Objectif : 5 j ouvrés' });
    expect(drawn[0]!.longLabels[15]).toBe('lun. 16 nov. 2026 (en cours)');
    // « Période suivante » does not walk into December, which has not begun.
    const next = document.querySelector('#period-next')!;
    expect(next.hasAttribute('href')).toBe(false);
    expect(next.getAttribute('aria-disabled')).toBe('true');
  });

  it('shows the deltas against the period before and the same period a year earlier', () => {
    const answer = nationalAnswer(2);
    const previous = { ...nationalAnswer(1), from: '2026-10-01', to: '2026-10-31' };
    const lastYear = { ...nationalAnswer(1), from: '2025-11-01', to: '2025-11-30' };
    render(answer, { previous, lastYear });
    expect(document.querySelector('#comparison-note')?.textContent).toBe(
      'Évolutions par rapport à la période précédente (octobre 2026) et à la même période un an plus tôt (novembre 2025).',
    );
    const deltas = (metric: string) =>
      [...tile(metric).querySelectorAll('.sb-tile__delta')].map((d) => [
        d.getAttribute('data-compare'),
        d.textContent,
      ]);
    expect(deltas('received')).toEqual([
      [
        'previous',
        'Évolution par rapport à octobre 2026 : Période précédente : +12\u202f345 (+100,0\u00a0%)',
      ],
      ['lastYear', 'Évolution par rapport à novembre 2025 : Un an plus tôt : +12\u202f345 (+100,0\u00a0%)'],
    ]);
    // Pending mail is a state of today: no delta.
    expect(deltas('pending')).toEqual([]);
    expect(tile('pending').textContent).toContain('État à ce jour');
    const row = document.querySelector('#table-children tr[data-id="75"]')!;
    expect(cell(row, 'receivedDelta')).toBe('=');
    expect(cell(row, 'rateDeltaYear')).toBe('=');
  });

  it('says when a compared period has no data instead of showing a rise from zero', () => {
    const empty = {
      ...nationalAnswer(),
      from: '2025-11-01',
      to: '2025-11-30',
      totals: emptyMetrics(),
      children: [],
    };
    render(nationalAnswer(), { lastYear: empty });
    expect(tile('received').querySelector('[data-compare="lastYear"]')?.textContent).toMatch(
      /aucune donnée$/,
    );
    expect(document.querySelector('#comparison-note')?.textContent).toMatch(
      /\(novembre 2025 : aucune donnée\)/,
    );
    expect(document.querySelector('#table-children [data-metric="rateDeltaYear"]')).toBeNull();
  });

  it('says when the deltas compare with the first days of the period before only', () => {
    render(nationalAnswer(2), { previous: { ...nationalAnswer(1), from: '2026-10-01', to: '2026-10-15' } });
    expect(document.querySelector('#comparison-note')?.textContent).toBe(
      'Évolutions par rapport au début de la période précédente (du 1er octobre 2026 au 15 octobre 2026) : ' +
        'autant de jours que la période en cours en compte à ce jour.',
    );
    render(nationalAnswer(2));
    expect(document.querySelector('#comparison-note')).toBeNull();
    expect(document.querySelector('.sb-tile__delta')).toBeNull();
  });

  it('links the CSV export to the same query with the compared periods', () => {
    render(nationalAnswer());
    const url = new URL(
      document.querySelector('#csv-export')?.getAttribute('href') ?? '',
      'http://localhost',
    );
    expect(url.pathname).toBe('/api/v1/stats');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      level: 'national',
      id: 'national',
      from: '2026-11-01',
      to: '2026-11-30',
      granularity: 'week',
      format: 'csv',
      previous: '2026-10-01..2026-10-29',
      lastYear: '2025-11-01..2025-11-29',
    });
  });

  it('turns the period form into a new route, and refuses a reversed range', () => {
    const navigated: StatsRoute[] = [];
    const errors: string[] = [];
    render(nationalAnswer(), {}, navigated, errors);
    const form = document.querySelector<HTMLFormElement>('#period-form')!;
    const preset = form.querySelector<HTMLSelectElement>('#preset')!;
    expect(preset.value).toBe('this-month');
    form.querySelector<HTMLSelectElement>('#granularity')!.value = 'day';
    preset.value = 'year';
    preset.dispatchEvent(new Event('change'));
    expect(form.querySelector<HTMLInputElement>('#from')!.value).toBe('2026-01-01');
    // A new preset lets the grouping follow its length again.
    expect(form.querySelector<HTMLSelectElement>('#granularity')!.value).toBe('auto');
    form.querySelector<HTMLSelectElement>('#target')!.value = 'dgfip-2j';
    form.querySelector<HTMLInputElement>('#compare-year')!.checked = false;
    form.requestSubmit();
    expect(navigated).toEqual([
      {
        ...route,
        period: { from: '2026-01-01', to: '2026-12-31' },
        granularity: 'month',
        autoGranularity: true,
        target: 'dgfip-2j',
        compare: true,
        compareYear: false,
      },
    ]);
    form.querySelector<HTMLInputElement>('#from')!.value = '2026-12-01';
    form.querySelector<HTMLInputElement>('#to')!.value = '2026-11-01';
    form.requestSubmit();
    expect(navigated).toHaveLength(1);
    expect(errors[0]).toMatch(/Période invalide/);
  });

  it('offers the previous period, and the next once it has begun', () => {
    render(nationalAnswer(), { route: { ...route, period: { from: '2026-10-01', to: '2026-10-31' } } });
    const prev = parseHash(document.querySelector('#period-previous')!.getAttribute('href')!, today);
    const next = parseHash(document.querySelector('#period-next')!.getAttribute('href')!, today);
    expect(prev).toMatchObject({ period: { from: '2026-09-01', to: '2026-09-30' } });
    expect(next).toMatchObject({ period: { from: '2026-11-01', to: '2026-11-30' } });
  });

  it('puts each spot-check’s sampled rate beside the automatic ones, with the target each used', () => {
    const balf = {
      ...nationalAnswer(),
      level: 'balf' as const,
      totals: { ...emptyMetrics(), answeredInTime: 95, overdue: 5, complianceRate: 0.95 },
    };
    render(nationalAnswer(), {
      spotAutomatic: new Map([
        [
          spotCheck.id,
          { answer: balf, target: { id: 'dgfip-2j', label: '2 j', workingDays: 2, primary: false } },
        ],
      ]),
    });
    const row = document.querySelector('#table-spot-checks tbody tr')!;
    expect(row.querySelector('th')?.textContent).toMatch(/^sip\.paris-1er@dgfip\.finances\.gouv\.fr/);
    expect(cell(row, 'rate')).toMatch(/^78,9.%IC 95 % : 64,0.% – 89,0.%$/);
    // 33 in time of 38 decided automatically: inside the sample's interval; the whole BALF at 95 % is not.
    expect(cell(row, 'sampleAutomatic')).toMatch(/^86,8.%dans l’intervalle$/);
    expect(cell(row, 'balfAutomatic')).toMatch(/^95,0.%hors de l’intervalle$/);
    expect(cell(row, 'targets')).toBe('sondage : 5 j ouvréscalcul : 2 j ouvrés');
    expect(cell(row, 'sampleSize')).toBe('40 / 412');
    render(nationalAnswer(), { spotChecks: { spotChecks: [] } });
    expect(document.querySelector('#spot-checks-empty')?.textContent).toMatch(/Aucun sondage/);
    render(nationalAnswer(), { spotChecks: 'Erreur du serveur (500).' });
    expect(document.querySelector('#spot-checks-error')?.textContent).toBe(
      'Sondages indisponibles : Erreur du serveur (500).',
    );
    expect(document.querySelectorAll('#table-children tbody tr')).toHaveLength(3);
  });

  it('lays out a chef de service’s page: this week first, then the figures and the spot-checks', () => {
    const service = { ...nationalAnswer(), level: 'service' as const, id: '0750115', children: [] };
    const week = {
      ...nationalAnswer(),
      level: 'service' as const,
      from: '2026-10-05',
      to: '2026-11-29',
      series: [
        { period: '2026-10-05', ...emptyMetrics(), overdue: 2 },
        { period: '2026-11-16', ...emptyMetrics(), pending: 1, overdue: 4 },
        {
          period: '2026-11-23',
          ...emptyMetrics(),
          receivedByCategory: { usager: 9, interne: 0, auto: 0, junk: 0 },
          answeredInTime: 1,
          pending: 7,
        },
      ],
      totals: { ...emptyMetrics(), pending: 8, overdue: 6 },
    };
    render(service, {
      route: { ...route, level: 'service', id: '0750115' },
      week: { monday: '2026-11-23', answer: week },
      scope: { level: 'service', id: '0750115' },
      storage: {
        level: 'service',
        id: '0750115',
        label: 'SIP Paris 15e',
        today: '2026-11-29',
        above80: 0,
        above95: 0,
        unknown: 1,
        total: 1,
        balfs: [
          {
            balf: 'sip.paris-15@dgfip.finances.gouv.fr',
            ...{ usedBytes: null, limitBytes: null, percent: null, growthBytesPerDay: null },
            ...{ fullOn: null, daysLeft: null, sampledAt: null },
            unknown: 'no_report',
          },
        ],
      },
      crumbs: [
        { level: 'national', id: 'national', name: 'National' },
        { level: 'department', id: '75', name: 'Paris' },
        { level: 'service', id: '0750115', name: 'SIP Paris 15e' },
      ],
    });
    expect([...document.querySelectorAll('#blocks > section')].map((s) => s.id)).toEqual([
      'bloc-cette-semaine',
      'bloc-chiffres-cles',
      'bloc-sondages',
      'bloc-a-traiter',
      'bloc-flux',
      'bloc-delais',
      'bloc-detail',
      'bloc-hors-identite',
      'bloc-stockage',
      'bloc-exporter',
    ]);
    expect([...document.querySelectorAll('#sidemenu a')].map((a) => a.textContent)).toEqual([
      'Cette semaine',
      'Chiffres clés',
      'Sondages ponctuels',
      'À traiter',
      'Flux de messages',
      'Délais de réponse',
      'Boîtes aux lettres fonctionnelles',
      'Réponses hors identité de la BALF',
      'Stockage',
      'Exporter',
    ]);
    // A BALF never reported reads « quota inconnu » with its reason, never 0 %.
    expect(document.querySelector('#bloc-stockage [data-metric="use"]')?.textContent).toBe(
      'quota inconnu : aucun relevé reçu ces 90 derniers jours',
    );
    const weekTile = (metric: string) =>
      document.querySelector(`#bloc-cette-semaine [data-metric="${metric}"] .sb-tile__value`)?.textContent;
    expect([weekTile('weekPending'), weekTile('weekOverdue'), weekTile('weekReceived')]).toEqual([
      '8',
      '6',
      '9',
    ]);
    expect(
      document.querySelector('#bloc-cette-semaine [data-metric="weekReceived"] .sb-tile__details')
        ?.textContent,
    ).toBe('dont 1 déjà répondu');
    expect(
      [...document.querySelectorAll('#table-week tbody tr')].map((r) => r.getAttribute('data-period')),
    ).toEqual(['2026-10-05', '2026-11-16', '2026-11-23']);
    expect(document.querySelector('#week-oldest')?.textContent).toMatch(
      /la plus ancienne des 8 semaines affichées/,
    );
    // The breadcrumb offers nothing above the chef de service's own service.
    expect([...document.querySelectorAll('#breadcrumbs li')].map((li) => li.textContent)).toEqual([
      'SIP Paris 15e',
    ]);
  });

  it('never offers a scoped user a level above their scope', () => {
    const trail: Crumb[] = [
      { level: 'national', id: 'national', name: 'National' },
      { level: 'department', id: '75', name: 'Paris' },
      { level: 'service', id: 'S', name: 'SIP' },
      { level: 'balf', id: 'b@x.fr', name: 'b@x.fr' },
    ];
    expect(scopedCrumbs(trail, { level: 'national', id: 'national' })).toEqual(trail);
    expect(scopedCrumbs(trail, { level: 'department', id: '75' }).map((c) => c.id)).toEqual([
      '75',
      'S',
      'b@x.fr',
    ]);
    expect(scopedCrumbs(trail, { level: 'service', id: 'S' }).map((c) => c.id)).toEqual(['S', 'b@x.fr']);
  });

  it('keeps the form with the server’s reason next to it when a period is refused, and says when one has not begun', () => {
    const ctx = {
      route: { ...route, period: { from: '2020-01-01', to: '2026-11-30' } },
      targets: FALLBACK_TARGETS,
      today,
      scope: { level: 'national', id: 'national' } as Scope,
      navigate: () => undefined,
      drawChart: () => () => undefined,
    };
    document.body.replaceChildren(
      renderStatsProblem(
        ctx,
        crumbs,
        {
          kind: 'refused',
          message: 'Paramètres de statistiques invalides.',
          reasons: ['période trop longue (2526 jours ; au plus 1098)'],
        },
        () => undefined,
      ),
    );
    expect(document.querySelector<HTMLInputElement>('#from')?.value).toBe('2020-01-01');
    expect(document.querySelector('#form-error .fr-alert--error')?.textContent).toBe(
      'Période refusée par le serveurParamètres de statistiques invalides. période trop longue (2526 jours ; au plus 1098)',
    );
    expect(document.querySelector('h1')?.textContent).toBe('Vue nationale');
    document.body.replaceChildren(
      renderStatsProblem(
        { ...ctx, route: { ...route, period: { from: '2027-01-01', to: '2027-01-31' } } },
        crumbs,
        { kind: 'future' },
        () => undefined,
      ),
    );
    expect(document.querySelector('#future-notice')?.textContent).toMatch(/n’a pas encore commencé/);
    expect(document.querySelector('#period-form')).not.toBeNull();
  });
});

describe('loading', () => {
  it('asks for the period, the period before and the same period a year earlier, cut to the days run', async () => {
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
    const data = await loadStats(api, december, FALLBACK_TARGETS, new Date(2026, 11, 15, 10));
    expect(asked.map((q) => Object.fromEntries(new URLSearchParams(q)))).toEqual([
      expect.objectContaining({ from: '2026-12-01', to: '2026-12-31' }),
      expect.objectContaining({ from: '2026-11-01', to: '2026-11-15' }),
      expect.objectContaining({ from: '2025-12-01', to: '2025-12-15' }),
    ]);
    expect(data.previous).not.toBeNull();
    expect(data.week).toBeNull();
    asked.length = 0;
    const plain = await loadStats(
      api,
      { ...december, compare: false, compareYear: false },
      FALLBACK_TARGETS,
      today,
    );
    expect(asked).toHaveLength(1);
    expect(plain.previous).toBeNull();
    expect(plain.lastYear).toBeNull();
  });

  it('asks a service for its last weeks, and each spot-check’s BALF with the target of the same delay', async () => {
    const asked: Record<string, string>[] = [];
    const api = {
      stats: async (query: string) => {
        asked.push(Object.fromEntries(new URLSearchParams(query)));
        return nationalAnswer();
      },
      path: async () => [],
      spotChecks: async () => ({
        spotChecks: [{ ...spotCheck, target: { id: 'deux-jours', workingDays: 2 } }],
      }),
    } as unknown as Api;
    const service: StatsRoute = {
      ...route,
      level: 'service',
      id: '0750115',
      compare: false,
      compareYear: false,
    };
    const data = await loadStats(api, service, FALLBACK_TARGETS, new Date(2026, 10, 18, 10));
    expect(asked).toEqual([
      expect.objectContaining({ level: 'service', from: '2026-11-01', to: '2026-11-30' }),
      // Eight weeks up to today, by week.
      expect.objectContaining({
        level: 'service',
        from: '2026-09-28',
        to: '2026-11-18',
        granularity: 'week',
      }),
      {
        level: 'balf',
        id: spotCheck.balf,
        from: '2026-11-02',
        to: '2026-11-13',
        granularity: 'month',
        target: 'dgfip-2j',
      },
    ]);
    expect(data.week?.monday).toBe('2026-11-16');
    expect(data.spotAutomatic.get(spotCheck.id)?.target.workingDays).toBe(2);
  });
});
