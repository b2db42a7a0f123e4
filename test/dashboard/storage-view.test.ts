// @vitest-environment happy-dom
// The « Stockage » block: the server's figures shown as they are, 80 / 95 % badges from the thresholds
// (80 % or more), « quota inconnu » never shown as 0 %, sorting by days left, the level below, the CSV link.
import { describe, expect, it } from 'vitest';
import { storageViewSchema, type StorageBalf, type StorageView } from '../../src/core/storage-protocol.ts';
import type { Api } from '../../src/dashboard/api.ts';
import {
  formatBytes,
  formatDay,
  formatPercent,
  loadStorage,
  renderStorage,
  sortBalfs,
} from '../../src/dashboard/views/blocks/storage.ts';

const MiB = 1024 * 1024;
/** Drill-down links as the stats page passes them (its own route, another level). */
const formatRoute = (level: string, id: string): string => `#/stats/${level}/${encodeURIComponent(id)}`;
const GiB = 1024 * MiB;

/** A BALF without figures unless `over` gives them (every figure of the wire, null). */
function balf(address: string, over: Partial<StorageBalf>): StorageBalf {
  const figures = ['usedBytes', 'limitBytes', 'percent', 'growthBytesPerDay', 'fullOn', 'daysLeft'] as const;
  const none = Object.fromEntries(figures.map((k) => [k, null])) as Pick<
    StorageBalf,
    (typeof figures)[number]
  >;
  return { balf: address, ...none, sampledAt: '2026-12-07T09:00:00.000Z', unknown: null, ...over };
}

const known = (address: string, percent: number, over: Partial<StorageBalf> = {}) =>
  balf(address, {
    usedBytes: Math.round((percent / 100) * 10 * GiB),
    limitBytes: 10 * GiB,
    percent,
    growthBytesPerDay: 20 * MiB,
    history: [
      { day: '2026-12-03', percent: percent - 2 },
      { day: '2026-12-04', percent: percent - 1 },
      { day: '2026-12-07', percent },
    ],
    ...over,
  });

/** A service: one BALF at each side of both thresholds, one full, one without quota, one not reported. */
const service: StorageView = storageViewSchema.parse({
  level: 'service',
  id: '750001',
  label: 'SIP Paris 1er',
  today: '2026-12-07',
  above80: 4,
  above95: 2,
  unknown: 2,
  total: 7,
  balfs: [
    known('plein@dgfip.finances.gouv.fr', 100, { daysLeft: 0, fullOn: '2026-12-07' }),
    known('seuil95@dgfip.finances.gouv.fr', 95, { daysLeft: 12, fullOn: '2026-12-23' }),
    known('seuil80@dgfip.finances.gouv.fr', 80, { daysLeft: 40, fullOn: '2027-02-02' }),
    known('presque@dgfip.finances.gouv.fr', 79.9, { daysLeft: 6, fullOn: '2026-12-15' }),
    known('stable@dgfip.finances.gouv.fr', 41.2, { growthBytesPerDay: 0 }),
    balf('sansquota@dgfip.finances.gouv.fr', { unknown: 'not_given' }),
    balf('muette@dgfip.finances.gouv.fr', { unknown: 'no_report', sampledAt: null }),
  ],
});

const row = (address: string) => document.querySelector(`#table-storage tr[data-balf="${address}"]`)!;
const metric = (address: string, name: string) =>
  row(address).querySelector(`[data-metric="${name}"]`)?.textContent ?? '';
const order = (table = '#table-storage') =>
  [...document.querySelectorAll(`${table} tbody tr`)].map((r) => r.getAttribute('data-balf'));

function show(view: StorageView | string): HTMLElement {
  const section = renderStorage(view, formatRoute);
  document.body.replaceChildren(section);
  return section;
}

describe('storage block', () => {
  it('shows each BALF with the server’s bytes and percent, a gauge and the projected day', () => {
    show(service);
    const b = service.balfs![1]!;
    expect(metric(b.balf, 'use')).toContain(formatPercent(95));
    expect(metric(b.balf, 'use')).toContain(`${formatBytes(b.usedBytes!)} sur ${formatBytes(10 * GiB)}`);
    expect(formatBytes(10 * GiB)).toBe('10,0\u00a0Go');
    expect(row(b.balf).querySelector('meter')?.getAttribute('value')).toBe('95');
    expect(metric(b.balf, 'saturation')).toBe(
      `saturation prévue le ${formatDay('2026-12-23')} (dans 12 jours ouvrés)`,
    );
    expect(formatDay('2026-12-23')).toBe('23 décembre 2026');
    expect(metric(b.balf, 'growth')).toBe('+20,0\u00a0Mo par jour ouvré');
    expect(metric('plein@dgfip.finances.gouv.fr', 'saturation')).toBe('quota atteint');
    expect(metric('stable@dgfip.finances.gouv.fr', 'saturation')).toBe('pas de saturation prévue');
    // The 90-day line, described for screen readers.
    const line = row(b.balf).querySelector('[data-metric="history"] svg');
    expect(line?.getAttribute('role')).toBe('img');
    expect(line?.getAttribute('aria-label')).toContain(formatPercent(95));
    expect(line?.querySelector('polyline')?.getAttribute('points')?.split(' ')).toHaveLength(3);
  });

  it('puts the 80 % badge from 80 % and the 95 % badge from 95 %, none below', () => {
    show(service);
    const bandOf = (address: string) =>
      row(address).querySelector('[data-band]')?.getAttribute('data-band') ?? null;
    expect(bandOf('plein@dgfip.finances.gouv.fr')).toBe('critical');
    expect(bandOf('seuil95@dgfip.finances.gouv.fr')).toBe('critical');
    expect(bandOf('seuil80@dgfip.finances.gouv.fr')).toBe('warning');
    expect(bandOf('presque@dgfip.finances.gouv.fr')).toBeNull();
    expect(row('seuil95@dgfip.finances.gouv.fr').querySelector('.fr-badge--error')?.textContent).toBe(
      '95 % ou plus',
    );
    expect(document.querySelector('#storage-summary')?.textContent).toBe(
      '4 BALF sur 5 au quota connu à 80 % ou plus, dont 2 à 95 % ou plus ; 2 au quota inconnu.',
    );
  });

  it('judges the badge on the bytes, not on the rounded percent shown', () => {
    // 79.96 % is shown « 80,0 % » but is below the threshold the server counts by (core storageBand).
    const below = balf('arrondi@dgfip.finances.gouv.fr', {
      usedBytes: 7996,
      limitBytes: 10_000,
      percent: 80,
    });
    show({ ...service, balfs: [below] });
    expect(row('arrondi@dgfip.finances.gouv.fr').querySelector('[data-band]')).toBeNull();
  });

  it('says « quota inconnu » with its reason, never 0 %', () => {
    show(service);
    for (const address of ['sansquota@dgfip.finances.gouv.fr', 'muette@dgfip.finances.gouv.fr']) {
      expect(metric(address, 'use')).toMatch(/^quota inconnu : /);
      expect(row(address).textContent).not.toMatch(/0[,.]?0?\s?%/);
      expect(row(address).querySelector('meter')).toBeNull();
    }
    expect(metric('sansquota@dgfip.finances.gouv.fr', 'use')).toContain('ne le donne pas');
    expect(metric('muette@dgfip.finances.gouv.fr', 'use')).toContain('aucun relevé');
  });

  it('sorts by days left (fewest first, none last) or by use, and says which in aria-sort', () => {
    show(service);
    const byDays = [
      'plein@dgfip.finances.gouv.fr',
      'presque@dgfip.finances.gouv.fr',
      'seuil95@dgfip.finances.gouv.fr',
      'seuil80@dgfip.finances.gouv.fr',
      'stable@dgfip.finances.gouv.fr',
      'muette@dgfip.finances.gouv.fr',
      'sansquota@dgfip.finances.gouv.fr',
    ];
    expect(order()).toEqual(byDays);
    const sortButton = (key: string) =>
      document.querySelector<HTMLButtonElement>(`#table-storage button[data-sort="${key}"]`)!;
    expect(sortButton('daysLeft').closest('th')?.getAttribute('aria-sort')).toBe('ascending');
    sortButton('percent').click();
    expect(order().slice(0, 5)).toEqual([
      'plein@dgfip.finances.gouv.fr',
      'seuil95@dgfip.finances.gouv.fr',
      'seuil80@dgfip.finances.gouv.fr',
      'presque@dgfip.finances.gouv.fr',
      'stable@dgfip.finances.gouv.fr',
    ]);
    expect(sortButton('percent').closest('th')?.getAttribute('aria-sort')).toBe('descending');
    expect(sortButton('daysLeft').closest('th')?.getAttribute('aria-sort')).toBe('none');
    sortButton('daysLeft').click();
    expect(order()).toEqual(byDays);
    expect(sortBalfs([], 'percent')).toEqual([]);
  });

  it('above the service level: counts per child, its worst BALF, the closest ones and the 90-day line', () => {
    const worst = known('seuil95@dgfip.finances.gouv.fr', 96.5, { daysLeft: 3, fullOn: '2026-12-10' });
    const national = storageViewSchema.parse({
      level: 'national',
      id: 'national',
      label: 'National',
      today: '2026-12-07',
      above80: 3,
      above95: 1,
      unknown: 1,
      total: 12,
      children: [
        {
          level: 'department',
          id: '75',
          label: 'Paris',
          above80: 3,
          above95: 1,
          unknown: 0,
          total: 9,
          worst,
        },
        {
          level: 'department',
          id: '13',
          label: 'Bouches-du-Rhône',
          above80: 0,
          above95: 0,
          unknown: 1,
          total: 3,
          worst: null,
        },
      ],
      closest: [worst, known('seuil80@dgfip.finances.gouv.fr', 81, { daysLeft: 30, fullOn: '2027-01-19' })],
      series: [
        { day: '2026-12-03', known: 11, above80: 1, above95: 0 },
        { day: '2026-12-04', known: 11, above80: 2, above95: 1 },
        { day: '2026-12-07', known: 11, above80: 3, above95: 1 },
      ],
    });
    show(national);
    expect(document.querySelector('#table-storage')).toBeNull();
    const paris = document.querySelector('#table-storage-children tr[data-child="75"]')!;
    const cell = (name: string) => paris.querySelector(`[data-metric="${name}"]`)?.textContent;
    expect([cell('above80'), cell('above95'), cell('unknown'), cell('total')]).toEqual(['3', '1', '0', '9']);
    expect(cell('worst')).toContain(`seuil95@dgfip.finances.gouv.fr — ${formatPercent(96.5)}`);
    expect(cell('worst')).toContain('saturation prévue le 10 décembre 2026');
    expect(paris.querySelector('a')?.getAttribute('href')).toBe(formatRoute('department', '75'));
    expect(
      document.querySelector('#table-storage-children tr[data-child="13"] [data-metric="worst"]')
        ?.textContent,
    ).toBe('—');
    expect(order('#table-storage-closest')).toEqual([
      'seuil95@dgfip.finances.gouv.fr',
      'seuil80@dgfip.finances.gouv.fr',
    ]);
    expect(document.querySelector('#storage-series svg')?.getAttribute('aria-label')).toBe(
      'BALF à 80 % ou plus sur 90 jours : de 1 à 3',
    );
    const csv = new URL(document.querySelector('#storage-csv')!.getAttribute('href')!, 'http://x');
    expect(csv.pathname).toBe('/api/v1/storage');
    expect(Object.fromEntries(csv.searchParams)).toEqual({
      level: 'national',
      id: 'national',
      format: 'csv',
    });
  });

  it('says why the block is missing when the server cannot answer, without hiding the page', async () => {
    const failing = {
      storage: async () => Promise.reject(new Error('Vous n’avez pas accès à ces données.')),
    };
    const view = await loadStorage(failing as unknown as Api, 'service', '750001');
    show(view);
    expect(document.querySelector('#storage-error')?.textContent).toBe(
      'Stockage indisponible : Vous n’avez pas accès à ces données.',
    );
    // An API object without the route at all (an older server in front): the same, not a broken page.
    expect(await loadStorage({} as Api, 'service', '750001')).toMatch(/storage/);
  });
});
