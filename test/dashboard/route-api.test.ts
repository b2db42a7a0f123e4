// @vitest-environment happy-dom
// URL state (hash ↔ route), scope parsing, the API client's CSRF header and French errors, formatting.
import { describe, expect, it } from 'vitest';
import { Api, FALLBACK_TARGETS } from '../../src/dashboard/api.ts';
import { formatCountDelta, formatDelay, formatRateDelta } from '../../src/dashboard/format.ts';
import {
  csvQuery,
  formatHash,
  homeRoute,
  neighbour,
  parseHash,
  parseScope,
  statsQuery,
  type StatsRoute,
} from '../../src/dashboard/route.ts';
import { renderUnattached } from '../../src/dashboard/views/directory.ts';

const today = new Date(2026, 10, 29);

describe('hash routes', () => {
  it('round-trips a stats view through the URL', () => {
    const route: StatsRoute = {
      page: 'stats',
      level: 'service',
      id: 'SIP 75 001',
      period: { from: '2026-10-01', to: '2026-10-31' },
      granularity: 'week',
      target: 'dgfip-2j',
      compare: false,
      compareYear: false,
    };
    const hash = formatHash(route);
    expect(hash).toBe(
      '#/stats?level=service&id=SIP+75+001&from=2026-10-01&to=2026-10-31&g=week&target=dgfip-2j&cmp=0&an=0',
    );
    expect(parseHash(hash, today)).toEqual(route);
  });

  it('leaves the grouping out of the URL until the user chooses one, and follows the period then', () => {
    const auto = parseHash('#/stats?level=national&id=national&from=2026-01-01&to=2026-12-31', today);
    expect(auto).toMatchObject({
      granularity: 'month',
      autoGranularity: true,
      compare: true,
      compareYear: true,
    });
    expect(formatHash(auto as StatsRoute)).toBe(
      '#/stats?level=national&id=national&from=2026-01-01&to=2026-12-31',
    );
    // A year by the day would be 365 rows: the automatic grouping of a year is the month, of a month the day.
    const custom = parseHash('#/stats?level=national&id=national&from=2026-01-01&to=2026-12-15', today);
    expect(custom).toMatchObject({ granularity: 'month', autoGranularity: true });
    const month = {
      ...(auto as StatsRoute),
      period: { from: '2026-11-01', to: '2026-11-30' },
      granularity: 'day' as const,
    };
    expect(neighbour({ ...month, period: { from: '2026-01-01', to: '2026-03-31' } }, 1)).toMatchObject({
      period: { from: '2026-04-01', to: '2026-06-30' },
      granularity: 'week',
    });
    // A chosen grouping stays, in the URL and on the neighbours.
    const chosen = parseHash('#/stats?level=national&id=national&from=2026-01-01&to=2026-12-31&g=day', today);
    expect(chosen).toMatchObject({ granularity: 'day' });
    expect(chosen).not.toHaveProperty('autoGranularity');
    expect(neighbour(chosen as StatsRoute, -1)).toMatchObject({ granularity: 'day' });
  });

  it('exports with the compared periods the page shows', () => {
    const route = homeRoute({ level: 'department', id: '75' }, new Date(2026, 10, 16, 10));
    expect(Object.fromEntries(new URLSearchParams(csvQuery(route, new Date(2026, 10, 16, 10))))).toEqual({
      level: 'department',
      id: '75',
      from: '2026-11-01',
      to: '2026-11-30',
      granularity: 'day',
      format: 'csv',
      previous: '2026-10-01..2026-10-16',
      lastYear: '2025-11-01..2025-11-16',
    });
    const plain = { ...route, compare: false, compareYear: false };
    expect(new URLSearchParams(csvQuery(plain, new Date(2026, 10, 16))).has('previous')).toBe(false);
    expect(new URLSearchParams(csvQuery(plain, new Date(2026, 10, 16))).has('lastYear')).toBe(false);
  });

  it('keeps stepping a custom range by its length, even onto a whole month, and back', () => {
    const custom: StatsRoute = {
      page: 'stats',
      level: 'national',
      id: 'national',
      period: { from: '2026-06-01', to: '2026-07-01' },
      granularity: 'week',
      compare: true,
      compareYear: true,
    };
    const previous = neighbour(custom, -1);
    expect(previous.period).toEqual({ from: '2026-05-01', to: '2026-05-31' });
    expect(previous.byDays).toBe(true);
    expect(formatHash(previous)).toContain('&pas=jours');
    const back = neighbour(parseHash(formatHash(previous), today) as StatsRoute, 1);
    expect(back.period).toEqual(custom.period);
    // A whole month steps by months.
    expect(neighbour({ ...custom, period: { from: '2026-05-01', to: '2026-05-31' } }, 1).period).toEqual({
      from: '2026-06-01',
      to: '2026-06-30',
    });
  });

  it('fills a missing or broken period with the home period and its granularity', () => {
    expect(parseHash('#/stats?level=department&id=75&from=2026-13-01&to=x', today)).toEqual({
      page: 'stats',
      level: 'department',
      id: '75',
      period: { from: '2026-11-01', to: '2026-11-30' },
      granularity: 'day',
      autoGranularity: true,
      compare: true,
      compareYear: true,
    });
  });

  it('knows the other pages and leaves in-page anchors alone', () => {
    expect(parseHash('', today)).toEqual({ page: 'home' });
    expect(parseHash('#/stats?level=planet&id=1', today)).toEqual({ page: 'home' });
    expect(parseHash('#/annuaire', today)).toEqual({ page: 'directory' });
    const login = formatHash({ page: 'login', next: '#/stats?level=department&id=75' });
    expect(parseHash(login, today)).toEqual({ page: 'login', next: '#/stats?level=department&id=75' });
    expect(parseHash('#contenu', today)).toBeNull();
  });

  it('starts a user at the top of their scope', () => {
    expect(parseScope({ level: 'national' })).toEqual({ level: 'national', id: 'national' });
    expect(parseScope({ level: 'department', code: '974' })).toEqual({ level: 'department', id: '974' });
    expect(parseScope('service:SIE-75-01')).toEqual({ level: 'service', id: 'SIE-75-01' });
    expect(parseScope({ level: 'department' })).toBeNull();
    expect(parseScope(42)).toBeNull();
    const home = homeRoute({ level: 'department', id: '974' }, today);
    expect(statsQuery(home)).toBe('level=department&id=974&from=2026-11-01&to=2026-11-30&granularity=day');
    // In the first week of December, the month just ended.
    expect(statsQuery(homeRoute({ level: 'department', id: '974' }, new Date(2026, 11, 1)))).toBe(
      'level=department&id=974&from=2026-11-01&to=2026-11-30&granularity=day',
    );
    expect(statsQuery(homeRoute({ level: 'national', id: 'national' }, new Date(2026, 11, 8)))).toBe(
      'level=national&id=national&from=2026-12-01&to=2026-12-31&granularity=day',
    );
  });
});

describe('API client', () => {
  function fakeFetch(answers: Record<string, [number, unknown]>) {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const fetchImpl = async (url: string, init?: RequestInit) => {
      calls.push({ url, init });
      const key = `${init?.method ?? 'GET'} ${url.split('?')[0]}`;
      const answer = answers[key];
      if (answer === undefined) throw new Error(`no fake for ${key}`);
      return new Response(answer[1] === undefined ? '' : JSON.stringify(answer[1]), { status: answer[0] });
    };
    return { calls, fetchImpl };
  }

  it('sends the CSRF token of the session on state-changing requests only', async () => {
    const { calls, fetchImpl } = fakeFetch({
      'POST /api/v1/session': [200, { login: 'a', scope: { level: 'national' }, csrfToken: 'jeton-csrf' }],
      'GET /api/v1/stats': [200, {}],
      'POST /api/v1/directory/import': [200, { departments: 1, services: 2, balfs: 3 }],
      'POST /api/v1/directory/preview': [200, { changes: { fingerprint: 'empreinte' } }],
      'DELETE /api/v1/session': [204, undefined],
    });
    const api = new Api(fetchImpl);
    await api.login('a', 'secret-secret');
    await api.stats('level=national&id=national');
    // The file goes as bytes (its encoding is the server's to detect), the import with the preview's fingerprint.
    const bytes = new Uint8Array([0x64, 0xe9]).buffer;
    await api.previewDirectory(bytes);
    expect(await api.importDirectory(bytes, 'empreinte')).toEqual({ departments: 1, services: 2, balfs: 3 });
    await api.logout();
    const header = (i: number) => (calls[i]!.init?.headers as Record<string, string>)['x-csrf-token'];
    expect(header(1)).toBeUndefined();
    expect(header(2)).toBe('jeton-csrf');
    expect(header(3)).toBe('jeton-csrf');
    expect(header(4)).toBe('jeton-csrf');
    expect((calls[2]!.init?.headers as Record<string, string>)['content-type']).toBe('text/csv');
    expect(calls[2]!.init?.body).toBe(bytes);
    expect(calls[3]!.url).toBe('/api/v1/directory/import?expect=empreinte');
  });

  it('surfaces the server’s French message, and a clear one when there is none', async () => {
    const { fetchImpl } = fakeFetch({
      'POST /api/v1/session': [
        429,
        { error: 'rate_limited', message: 'Trop de tentatives : réessayez dans 15 minutes.' },
      ],
      'GET /api/v1/stats': [502, undefined],
      'GET /api/v1/session': [401, { message: 'Non connecté.' }],
      'GET /api/v1/targets': [404, { message: 'Ressource introuvable' }],
    });
    const api = new Api(fetchImpl);
    await expect(api.login('a', 'b')).rejects.toMatchObject({
      status: 429,
      message: 'Trop de tentatives : réessayez dans 15 minutes.',
    });
    await expect(api.stats('x')).rejects.toThrow('Erreur du serveur (502).');
    expect(await api.session()).toBeNull();
    expect(await api.targets()).toEqual(FALLBACK_TARGETS);
    const offline = new Api(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(offline.stats('x')).rejects.toThrow(/Le serveur ne répond pas/);
  });
});

describe('formatting and directory', () => {
  it('formats deltas in French', () => {
    expect(formatCountDelta(110, 100)).toBe('+10 (+10,0\u00a0%)');
    expect(formatCountDelta(5, 0)).toBe('+5');
    expect(formatCountDelta(7, 7)).toBe('=');
    expect(formatRateDelta(0.8, 0.9)).toBe('-10,0\u00a0pts');
    expect(formatRateDelta(null, 0.9)).toBe('—');
    expect(formatDelay(1.5)).toBe('1,5\u00a0j');
  });

  it('lists unattached BALFs', () => {
    document.body.replaceChildren(
      renderUnattached([
        {
          balf: 'sip.nouveau@dgfip.finances.gouv.fr',
          firstDay: '2026-11-02',
          lastDay: '2026-11-27',
          records: 1234,
        },
      ]),
    );
    const row = document.querySelector('#table-unattached tbody tr')!;
    expect(row.querySelector('th')?.textContent).toBe('sip.nouveau@dgfip.finances.gouv.fr');
    expect([...row.querySelectorAll('td')].map((td) => td.textContent)).toEqual([
      '2 novembre 2026',
      '27 novembre 2026',
      '1\u202f234',
    ]);
  });
});
