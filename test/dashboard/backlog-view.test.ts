// @vitest-environment happy-dom
// The « À traiter » block: the day asked, tiles and children as in the JSON, withheld aggregates, sorting by lateness.
import { describe, expect, it } from 'vitest';
import type { BacklogAnswer } from '../../src/core/backlog.ts';
import type { StatsRoute } from '../../src/dashboard/route.ts';
import { backlogQuery, renderBacklog } from '../../src/dashboard/views/blocks/backlog.ts';

const route: StatsRoute = {
  page: 'stats',
  level: 'national',
  id: 'national',
  period: { from: '2026-11-01', to: '2026-11-30' },
  granularity: 'day',
  compare: false,
  compareYear: false,
};

const answer: BacklogAnswer = {
  level: 'national',
  id: 'national',
  label: 'National',
  asOf: '2026-11-20',
  target: { id: 'marianne', workingDays: 5 },
  buckets: { inTime: 1200, dueSoon: 30, overdue: 7 },
  oldestAgeDays: 41,
  withheld: false,
  children: [
    {
      level: 'department',
      id: '13',
      label: 'Bouches-du-Rhône',
      buckets: { inTime: 5, dueSoon: 1, overdue: 2 },
      oldestAgeDays: 9,
      withheld: false,
    },
    { level: 'department', id: '67', label: 'Bas-Rhin', buckets: null, oldestAgeDays: null, withheld: true },
    {
      level: 'department',
      id: '75',
      label: 'Paris',
      buckets: { inTime: 1195, dueSoon: 29, overdue: 5 },
      oldestAgeDays: 41,
      withheld: false,
    },
    {
      level: 'department',
      id: '974',
      label: 'La Réunion',
      buckets: { inTime: 0, dueSoon: 0, overdue: 0 },
      oldestAgeDays: null,
      withheld: false,
    },
  ],
};

async function shown(api: { backlog(query: string): Promise<BacklogAnswer> }) {
  const section = renderBacklog(route, new Date(2026, 11, 7), api);
  document.body.replaceChildren(section);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return section;
}

const ids = (section: HTMLElement) =>
  [...section.querySelectorAll('#table-backlog tbody tr')].map((r) => r.getAttribute('data-id'));

describe('« À traiter » block', () => {
  it('asks for the end of a past period, for today otherwise, with the chosen target', () => {
    expect(backlogQuery(route, new Date(2026, 11, 7))).toBe('level=national&id=national&asOf=2026-11-30');
    expect(backlogQuery(route, new Date(2026, 10, 30, 23))).toBe('level=national&id=national');
    expect(backlogQuery({ ...route, target: 'dgfip-48h' }, new Date(2026, 10, 15), 'csv')).toBe(
      'level=national&id=national&target=dgfip-48h&format=csv',
    );
  });

  it('shows the JSON’s figures, the withheld aggregate, and sorts children by lateness and back', async () => {
    const queries: string[] = [];
    const section = await shown({
      backlog: async (q) => {
        queries.push(q);
        return answer;
      },
    });
    expect(queries).toEqual(['level=national&id=national&asOf=2026-11-30']);
    expect(section.querySelector('#backlog-as-of')?.textContent).toContain('le 20/11/2026');
    const tile = (b: string) => section.querySelector(`[data-bucket="${b}"] .sb-tile__value`)?.textContent;
    expect([tile('inTime'), tile('dueSoon'), tile('overdue'), tile('oldest')]).toEqual([
      '1\u202f200',
      '30',
      '7',
      '41 jours ouvrés',
    ]);
    expect(section.querySelector('tr[data-id="67"] [data-metric="withheld"]')?.textContent).toBe(
      'Non publié : moins de deux BALF',
    );
    expect(section.querySelector('tr[data-id="974"] [data-metric="oldest"]')?.textContent).toBe('—');
    expect(ids(section)).toEqual(['13', '67', '75', '974']);
    const sort = section.querySelector<HTMLButtonElement>('#backlog-sort-overdue')!;
    sort.click();
    expect(ids(section)).toEqual(['75', '13', '974', '67']);
    expect(sort.closest('th')?.getAttribute('aria-sort')).toBe('descending');
    sort.click();
    expect(ids(section)).toEqual(['13', '67', '75', '974']);
    expect(section.querySelector('#backlog-csv')?.getAttribute('href')).toBe(
      '/api/v1/backlog?level=national&id=national&asOf=2026-11-30&format=csv',
    );
  });

  it('says why the figures are missing when the server refuses', async () => {
    const section = await shown({ backlog: () => Promise.reject(new Error('Données introuvables.')) });
    expect(section.querySelector('#backlog-error')?.textContent).toBe(
      'File à traiter indisponible : Données introuvables.',
    );
    expect(section.querySelector('[aria-busy]')?.getAttribute('aria-busy')).toBe('false');
  });

  it('shows a withheld subject without tiles', async () => {
    const section = await shown({
      backlog: async () => ({ ...answer, buckets: null, withheld: true, children: [] }),
    });
    expect(section.querySelector('#backlog-withheld')?.textContent).toBe('Non publié : moins de deux BALF');
    expect(section.querySelector('#table-backlog')).toBeNull();
  });
});
