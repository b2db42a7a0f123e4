// GET /api/v1/stats on SQLite and PostgreSQL: periods, time zones, targets, scopes, bad params, CSV = JSON.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { statsAnswerSchema, type StatsAnswer } from '../../src/core/protocol.ts';
import { addUser } from '../../src/server/auth/users.ts';
import { saveTargets } from '../../src/server/config.ts';
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
const PARIS_2 = 'sie.paris2@dgfip.finances.gouv.fr';
const GPE = 'sip.pointe-a-pitre@dgfip.finances.gouv.fr';
const UNKNOWN = 'inconnue@dgfip.finances.gouv.fr';

/** Parses our CSV back into rows of cells (no quoted separators in these fixtures). */
export function parseCsv(text: string): string[][] {
  expect(text.startsWith('\uFEFF')).toBe(true);
  return text
    .slice(1)
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => l.split(';'));
}

describe.each(databaseKinds)('stats on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  beforeEach(async () => {
    h = await harness(kind, { now: '2025-06-30T10:00:00Z' });
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [PARIS] },
      { department: '75', region: 'metropole', service: 'SIE-PARIS-2', balfs: [PARIS_2] },
      { department: '971', region: 'guadeloupe', service: 'SIP-PAP', balfs: [GPE] },
    ]);
    write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
  });
  afterEach(async () => h.close());

  const stats = async (query: Record<string, string>, bearer = read): Promise<StatsAnswer> => {
    const res = await getStats(h.app, bearer, query);
    expect(res.statusCode, res.body).toBe(200);
    return statsAnswerSchema.parse(res.json());
  };

  it('puts Sunday night and Monday morning (Paris time) in different ISO weeks, and month edges by local day', async () => {
    await post(
      h.app,
      write,
      batch(PARIS, [
        { k: newKey(), dir: 'in', at: '2025-06-01T21:30:00Z', cat: 'usager' }, // Sunday 23:30 Paris
        { k: newKey(), dir: 'in', at: '2025-06-01T22:30:00Z', cat: 'interne' }, // Monday 00:30 Paris
        { k: newKey(), dir: 'in', at: '2025-05-31T21:59:00Z', cat: 'auto' }, // 31 May 23:59 Paris
        { k: newKey(), dir: 'out', at: '2025-05-31T22:01:00Z', cat: 'new' }, // 1 June 00:01 Paris
      ]),
    );
    const week = await stats({
      level: 'national',
      from: '2025-05-26',
      to: '2025-06-08',
      granularity: 'week',
    });
    expect(week.series.map((s) => [s.period, s.received, s.sent])).toEqual([
      ['2025-05-26', 2, 1],
      ['2025-06-02', 1, 0],
    ]);
    const month = await stats({
      level: 'national',
      from: '2025-05-01',
      to: '2025-06-30',
      granularity: 'month',
    });
    expect(month.series.map((s) => [s.period, s.received, s.sent])).toEqual([
      ['2025-05-01', 1, 0],
      ['2025-06-01', 2, 1],
    ]);
    expect(month.totals.receivedByCategory).toEqual({ usager: 1, interne: 1, auto: 1, junk: 0 });
    expect(month.totals.sentByCategory).toEqual({ reply: 0, forward: 0, new: 1, auto: 0 });
    // Zero periods are listed too; a week series starts on the Monday before `from`.
    const days = await stats({
      level: 'service',
      id: 'SIP-PARIS-1',
      from: '2025-05-30',
      to: '2025-06-03',
      granularity: 'day',
    });
    expect(days.series.map((s) => [s.period, s.received])).toEqual([
      ['2025-05-30', 0],
      ['2025-05-31', 1],
      ['2025-06-01', 1],
      ['2025-06-02', 1],
      ['2025-06-03', 0],
    ]);
    const partial = await stats({
      level: 'national',
      from: '2025-06-04',
      to: '2025-06-10',
      granularity: 'week',
    });
    expect(partial.series.map((s) => s.period)).toEqual(['2025-06-02', '2025-06-09']);
  });

  it('uses the Guadeloupe day for a message at 2025-03-10T02:30Z', async () => {
    await post(
      h.app,
      write,
      batch(GPE, [{ k: newKey(), dir: 'in', at: '2025-03-10T02:30:00Z', cat: 'usager' }]),
    );
    const s = await stats({
      level: 'department',
      id: '971',
      from: '2025-03-09',
      to: '2025-03-10',
      granularity: 'day',
    });
    expect(s.series.map((x) => [x.period, x.received])).toEqual([
      ['2025-03-09', 1],
      ['2025-03-10', 0],
    ]);
    expect(s.children).toEqual([expect.objectContaining({ level: 'service', id: 'SIP-PAP', received: 1 })]);
  });

  it('derives statuses from the target, and a target change recomputes history', async () => {
    const late = newKey(); // answered after 3 working days
    const quick = newKey(); // answered the same day
    const old = newKey(); // unanswered since 2 June: overdue on 30 June
    const recent = newKey(); // unanswered since Friday 27 June: 1 working day on Monday 30 June
    await post(
      h.app,
      write,
      batch(PARIS, [
        { k: late, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
        { k: quick, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
        { k: old, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
        { k: recent, dir: 'in', at: '2025-06-27T08:00:00Z', cat: 'usager' },
        { k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'auto' },
        { k: newKey(), dir: 'out', at: '2025-06-05T08:00:00Z', cat: 'reply', re: [late] },
        { k: newKey(), dir: 'out', at: '2025-06-02T12:00:00Z', cat: 'reply', re: [quick] },
      ]),
    );
    const q = { level: 'balf', id: PARIS, from: '2025-06-01', to: '2025-06-30', granularity: 'month' };
    const primary = await stats(q);
    expect(primary.target).toEqual({ id: expect.any(String), workingDays: 5 });
    expect(primary.totals).toMatchObject({
      answeredInTime: 2,
      answeredLate: 0,
      pending: 1,
      overdue: 1,
      complianceRate: 2 / 3,
    });
    await saveTargets(h.db, {
      targets: [
        { id: 'j2', label: '2 jours ouvrés', workingDays: 2 },
        { id: 'j0', label: 'le jour même', workingDays: 0 },
      ],
      primary: 'j2',
    });
    const strict = await stats(q);
    expect(strict.target).toEqual({ id: 'j2', workingDays: 2 });
    expect(strict.totals).toMatchObject({
      answeredInTime: 1,
      answeredLate: 1,
      pending: 1,
      overdue: 1,
      complianceRate: 1 / 3,
    });
    const sameDay = await stats({ ...q, target: 'j0' });
    expect(sameDay.totals).toMatchObject({
      answeredInTime: 1,
      answeredLate: 1,
      pending: 0,
      overdue: 2,
      complianceRate: 1 / 4,
    });
    const targets = await h.app.inject({
      method: 'GET',
      url: '/api/v1/targets',
      headers: { authorization: `Bearer ${read}` },
    });
    expect(targets.json()).toEqual([
      { id: 'j2', label: '2 jours ouvrés', workingDays: 2, primary: true },
      { id: 'j0', label: 'le jour même', workingDays: 0, primary: false },
    ]);
  });

  it('lists children: departments and the unattached at national level, services, then BALFs', async () => {
    await post(
      h.app,
      write,
      batch(PARIS, [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
    );
    await post(
      h.app,
      write,
      batch(UNKNOWN, [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
    );
    const national = await stats({ level: 'national', from: '2025-06-01', to: '2025-06-30' });
    expect(national.id).toBe('national');
    expect(national.children.map((c) => [c.level, c.id, c.name, c.received])).toEqual([
      ['department', '75', 'Département 75', 1],
      ['department', '971', 'Département 971', 0],
      ['department', 'unattached', 'Non rattachées', 1],
    ]);
    const unattached = await stats({
      level: 'department',
      id: 'unattached',
      from: '2025-06-01',
      to: '2025-06-30',
    });
    expect(unattached.children.map((c) => [c.level, c.id, c.received])).toEqual([['balf', UNKNOWN, 1]]);
    const dep = await stats({ level: 'department', id: '75', from: '2025-06-01', to: '2025-06-30' });
    expect(dep.children.map((c) => [c.id, c.received])).toEqual([
      ['SIE-PARIS-2', 0],
      ['SIP-PARIS-1', 1],
    ]);
    const svc = await stats({ level: 'service', id: 'SIP-PARIS-1', from: '2025-06-01', to: '2025-06-30' });
    expect(svc.children.map((c) => [c.level, c.id, c.received])).toEqual([['balf', PARIS, 1]]);
    const balf = await stats({
      level: 'balf',
      id: PARIS.toUpperCase(),
      from: '2025-06-01',
      to: '2025-06-30',
    });
    expect([balf.id, balf.totals.received, balf.children]).toEqual([PARIS, 1, []]);
  });

  it('shows a principal only its scope', async () => {
    const dep75 = await token(h.db, { level: 'department', code: '75' }, false);
    const range = { from: '2025-06-01', to: '2025-06-30' };
    expect((await getStats(h.app, dep75, { level: 'national', ...range })).statusCode).toBe(403);
    // A node out of scope answers as an unknown one (404); the national view and « non rattachées » always exist.
    expect((await getStats(h.app, dep75, { level: 'department', id: '971', ...range })).statusCode).toBe(404);
    expect(
      (await getStats(h.app, dep75, { level: 'department', id: 'unattached', ...range })).statusCode,
    ).toBe(403);
    expect((await getStats(h.app, dep75, { level: 'balf', id: GPE, ...range })).statusCode).toBe(404);
    expect((await getStats(h.app, dep75, { level: 'balf', id: UNKNOWN, ...range })).statusCode).toBe(404);
    expect(
      (await getStats(h.app, dep75, { level: 'department', id: '971', ...range })).json(),
      'same answer as a department that does not exist',
    ).toEqual({
      ...(await getStats(h.app, dep75, { level: 'department', id: '999', ...range })).json(),
      message: 'Département 971 : introuvable ou hors de votre périmètre.',
    });
    expect((await getStats(h.app, dep75, { level: 'department', id: '75', ...range })).statusCode).toBe(200);
    expect((await getStats(h.app, dep75, { level: 'service', id: 'SIE-PARIS-2', ...range })).statusCode).toBe(
      200,
    );
    // Ingest tokens do not read; no credentials → 401.
    expect((await getStats(h.app, write, { level: 'national', ...range })).statusCode).toBe(403);
    const anonymous = await h.app.inject({
      method: 'GET',
      url: '/api/v1/stats',
      query: { level: 'national', ...range },
    });
    expect(anonymous.statusCode).toBe(401);
    // A service user through the session cookie.
    await addUser(h.db, {
      login: 'chef.sip',
      password: 'correct horse battery staple',
      scope: { level: 'service', code: 'SIP-PARIS-1' },
    });
    const login = await h.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { login: 'chef.sip', password: 'correct horse battery staple' },
    });
    expect(login.statusCode, login.body).toBeLessThan(300);
    const cookie = login.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const asUser = (query: Record<string, string>) =>
      h.app.inject({ method: 'GET', url: '/api/v1/stats', query, headers: { cookie } });
    expect((await asUser({ level: 'service', id: 'SIP-PARIS-1', ...range })).statusCode).toBe(200);
    expect((await asUser({ level: 'balf', id: PARIS, ...range })).statusCode).toBe(200);
    expect((await asUser({ level: 'service', id: 'SIE-PARIS-2', ...range })).statusCode).toBe(404);
    expect((await asUser({ level: 'department', id: '75', ...range })).statusCode).toBe(404);
  });

  it('answers 400 for bad parameters and 404 for unknown nodes', async () => {
    const bad = async (query: Record<string, string>, path: string) => {
      const res = await getStats(h.app, read, query);
      expect(res.statusCode, JSON.stringify(query)).toBe(400);
      expect(res.json().details.map((d: { path: string }) => d.path)).toContain(path);
    };
    await bad({ level: 'national', from: '2025-06-30', to: '2025-06-01' }, 'to');
    await bad({ level: 'national', from: '2020-01-01', to: '2025-06-01' }, 'to');
    await bad({ level: 'planet', from: '2025-06-01', to: '2025-06-30' }, 'level');
    await bad({ level: 'national', from: '2025-02-30', to: '2025-06-30' }, 'from');
    await bad({ level: 'national', from: '2025-06-01' }, 'to');
    await bad({ level: 'department', from: '2025-06-01', to: '2025-06-30' }, 'id');
    await bad(
      { level: 'national', from: '2025-06-01', to: '2025-06-30', granularity: 'hour' },
      'granularity',
    );
    await bad({ level: 'national', from: '2025-06-01', to: '2025-06-30', target: 'j99' }, 'target');
    await bad({ level: 'national', from: '2025-06-01', to: '2025-06-30', color: 'blue' }, '(racine)');
    expect(
      (await getStats(h.app, read, { level: 'department', id: '99', from: '2025-06-01', to: '2025-06-30' }))
        .statusCode,
    ).toBe(404);
  });

  it('exports the same numbers as CSV (BOM, ;, CRLF, French headers)', async () => {
    const q = newKey();
    await post(
      h.app,
      write,
      batch(PARIS, [
        { k: q, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
        { k: newKey(), dir: 'in', at: '2025-06-03T08:00:00Z', cat: 'usager' },
        { k: newKey(), dir: 'out', at: '2025-06-10T08:00:00Z', cat: 'reply', re: [q] },
      ]),
    );
    const query = { level: 'national', from: '2025-06-01', to: '2025-06-30', granularity: 'week' };
    const json = await stats(query);
    const res = await getStats(h.app, read, { ...query, format: 'csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(
      /attachment; filename="suivi-balf-national-national-2025-06-01-2025-06-30.csv"/,
    );
    const rows = parseCsv(res.body);
    const header = rows[0]!;
    expect(header.slice(0, 6)).toEqual(['Ligne', 'Niveau', 'Identifiant', 'Nom', 'Période', 'Reçus']);
    const col = (name: string) => header.indexOf(name);
    const num = (cell: string | undefined) =>
      cell === '' || cell === undefined ? null : Number(cell.replace(',', '.'));
    // The figures, then (after an empty line) the spot-checks section: none here, its header only.
    const body = rows.slice(1, -1);
    expect(rows[rows.length - 1]![0]).toBe('Sondage');
    expect(body.length).toBe(1 + json.series.length + json.children.length);
    const expected = [json.totals, ...json.series, ...json.children];
    body.forEach((row, i) => {
      const m = expected[i]!;
      expect(num(row[col('Reçus')]), `row ${i}`).toBe(m.received);
      expect(num(row[col('Reçus usagers')])).toBe(m.receivedByCategory.usager);
      expect(num(row[col('Réponses')])).toBe(m.sentByCategory.reply);
      expect(num(row[col('Répondus dans le délai')])).toBe(m.answeredInTime);
      expect(num(row[col('Répondus hors délai')])).toBe(m.answeredLate);
      expect(num(row[col('En attente')])).toBe(m.pending);
      expect(num(row[col('En retard')])).toBe(m.overdue);
      expect(num(row[col('Taux de conformité (%)')])).toBe(
        m.complianceRate === null ? null : Math.round(m.complianceRate * 1000) / 10,
      );
      expect(num(row[col('Délai médian (jours ouvrés)')])).toBe(m.medianDelayDays);
    });
    expect(body.map((r) => r[0])).toEqual([
      'total',
      ...json.series.map(() => 'période'),
      ...json.children.map(() => 'sous-niveau'),
    ]);
  });
});
