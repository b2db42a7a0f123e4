// The stats CSV as the dashboard offers it, on SQLite and PostgreSQL: rates rounded as displayed, no periods
// after today, the compared periods' totals and children, the spot-checks section; scope errors in plain French.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statsAnswerSchema } from '../../src/core/protocol.ts';
import { login, user } from './auth-support.ts';
import {
  batch,
  databaseKinds,
  getStats,
  harness,
  newKey,
  post,
  seedDirectory,
  token,
  type Harness,
} from './support.ts';

const PARIS = 'sip.paris1@dgfip.finances.gouv.fr';
const GPE = 'sip.pointe-a-pitre@dgfip.finances.gouv.fr';

/** The file's sections (split on the empty line), each as rows of cells. */
function sections(text: string): string[][][] {
  expect(text.startsWith('\uFEFF')).toBe(true);
  return text
    .slice(1)
    .split('\r\n\r\n')
    .map((part) =>
      part
        .split('\r\n')
        .filter((line) => line !== '')
        .map((line) => line.split(';')),
    );
}

describe.each(databaseKinds)('stats CSV on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  beforeEach(async () => {
    // Wednesday 18 November 2026, in the middle of the month exported.
    h = await harness(kind, { now: '2026-11-18T10:00:00Z' });
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [PARIS] },
      { department: '971', region: 'guadeloupe', service: 'SIP-PAP', balfs: [GPE] },
    ]);
    write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
  });
  afterEach(async () => h.close());

  const usager = (at: string, key = newKey()) => ({ k: key, dir: 'in' as const, at, cat: 'usager' as const });
  const reply = (at: string, to: string) => ({
    k: newKey(),
    dir: 'out' as const,
    at,
    cat: 'reply' as const,
    re: [to],
  });

  it('writes rates as shown, stops at today, adds the compared periods and the spot-checks', async () => {
    // November 2026: 3 usager messages, 2 answered in time, 1 never (overdue by the 18th) → 66,7 %.
    const a = newKey();
    const b = newKey();
    await post(
      h.app,
      write,
      batch(PARIS, [
        usager('2026-11-02T08:00:00Z', a),
        usager('2026-11-03T08:00:00Z', b),
        usager('2026-11-04T08:00:00Z'),
        reply('2026-11-03T09:00:00Z', a),
        reply('2026-11-04T09:00:00Z', b),
      ]),
    );
    // October (the period before) and November 2025 (a year earlier): one message each.
    await post(h.app, write, batch(PARIS, [usager('2026-10-05T08:00:00Z'), usager('2025-11-05T08:00:00Z')]));
    const spotCheck = {
      schema: 1,
      id: randomUUID(),
      client: { id: 'client-a', addon: '0.1.0', thunderbird: '128.5' },
      balf: PARIS,
      from: '2026-11-02',
      to: '2026-11-13',
      doneAt: '2026-11-17T09:00:00+01:00',
      seed: 'abc123',
      target: { id: 'marianne', workingDays: 5 },
      population: 40,
      sampleSize: 10,
      verdicts: { conforme: 7, non_conforme: 2, sans_objet: 1 },
      automatic: { answered_in_time: 6, answered_late: 1, pending: 0, overdue: 2 },
      disagreements: 1,
    };
    expect((await post(h.app, write, spotCheck, '/api/v1/spot-checks')).statusCode).toBe(201);

    const query = { level: 'department', id: '75', from: '2026-11-01', to: '2026-11-30', granularity: 'day' };
    const json = statsAnswerSchema.parse((await getStats(h.app, read, query)).json());
    expect(json.series).toHaveLength(30);
    const res = await getStats(h.app, read, {
      ...query,
      format: 'csv',
      previous: '2026-10-01..2026-10-18',
      lastYear: '2025-11-01..2025-11-18',
    });
    expect(res.statusCode, res.body).toBe(200);
    const [figures, spots] = sections(res.body);
    const header = figures![0]!;
    const col = (name: string) => header.indexOf(name);
    const rows = figures!.slice(1);
    const total = rows[0]!;
    expect(total[col('Taux de conformité (%)')]).toBe('66,7');
    expect(total[col('Décidés')]).toBe('3');
    // Days after the 18th have not happened: no rows of zeros for them.
    const days = rows.filter((r) => r[0] === 'période').map((r) => r[col('Période')]);
    expect(days[0]).toBe('2026-11-01');
    expect(days[days.length - 1]).toBe('2026-11-18');
    expect(days).toHaveLength(18);
    // Every rate cell holds at most one decimal.
    for (const r of rows) expect(r[col('Taux de conformité (%)')]).toMatch(/^(\d+(,\d)?)?$/);
    const compared = rows.filter((r) => r[0]!.startsWith('comparaison'));
    expect(compared.map((r) => [r[0], r[1], r[2], r[col('Période')], r[col('Reçus')]])).toEqual([
      ['comparaison : période précédente', 'département', '75', '2026-10-01 au 2026-10-18', '1'],
      ['comparaison : période précédente', 'service', 'SIP-PARIS-1', '2026-10-01 au 2026-10-18', '1'],
      ['comparaison : même période un an plus tôt', 'département', '75', '2025-11-01 au 2025-11-18', '1'],
      [
        'comparaison : même période un an plus tôt',
        'service',
        'SIP-PARIS-1',
        '2025-11-01 au 2025-11-18',
        '1',
      ],
    ]);
    // The spot-checks section: rates in percent, with the interval and the automatic rate of the same messages.
    expect(spots![0]!.slice(0, 3)).toEqual(['Sondage', 'BALF', 'Du']);
    const s = Object.fromEntries(spots![0]!.map((name, i) => [name, spots![1]![i]]));
    expect(s).toMatchObject({
      Sondage: spotCheck.id,
      BALF: PARIS,
      'Cible du sondage (jours ouvrés)': '5',
      Conformes: '7',
      'Taux sondé (%)': '77,8',
      'IC 95 % bas (%)': '45,3',
      'IC 95 % haut (%)': '93,7',
      'Taux automatique des messages tirés (%)': '66,7',
    });
  });

  it('refuses a malformed comparison with its reason', async () => {
    const bad = await getStats(h.app, read, {
      level: 'national',
      from: '2026-11-01',
      to: '2026-11-30',
      format: 'csv',
      previous: '2026-10-31..2026-10-01',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details).toEqual([
      { path: 'previous', message: expect.stringContaining('précède') as string },
    ]);
    const worse = await getStats(h.app, read, {
      level: 'national',
      from: '2026-11-01',
      to: '2026-11-30',
      lastYear: 'hier',
    });
    expect(worse.statusCode).toBe(400);
  });

  it('says in words which scope a refused view is outside of; a real node out of scope answers as an unknown one', async () => {
    const dep75 = await token(h.db, { level: 'department', code: '75' }, false);
    await user(h.db, 'chef.sip', { level: 'service', code: 'SIP-PARIS-1' });
    const chef = await login(h.app, 'chef.sip');
    const range = { from: '2026-11-01', to: '2026-11-30' };
    const message = async (bearer: string, query: Record<string, string>) => {
      const res = await getStats(h.app, bearer, { ...query, ...range });
      expect(res.statusCode).toBe(403);
      return (res.json() as { message: string }).message;
    };
    expect(await message(dep75, { level: 'national' })).toBe(
      'La vue nationale n’est pas dans votre périmètre (le département 75).',
    );
    expect(await message(dep75, { level: 'department', id: 'unattached' })).toBe(
      'Les BALF non rattachées ne sont pas dans votre périmètre (le département 75).',
    );
    const refused = await h.app.inject({
      method: 'GET',
      url: '/api/v1/stats',
      query: { level: 'department', id: '75', ...range },
      headers: { cookie: chef.cookie },
    });
    expect(refused.statusCode).toBe(404);
    expect(refused.json().message).toBe('Département 75 : introuvable ou hors de votre périmètre.');
  });
});
