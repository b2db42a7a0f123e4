// Calendar overlays on SQLite and PostgreSQL: declare, recompute (history and new uploads), withdraw,
// presets, pending/overdue with declared days, who may declare and who sees what.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/server/auth/scope.ts';
import {
  batch,
  databaseKinds,
  getStats,
  harness,
  newKey,
  post,
  seedDirectory,
  token,
  userSession,
  type Harness,
} from './support.ts';

const PARIS = 'sip.paris@dgfip.finances.gouv.fr';
const LYON = 'sip.lyon@dgfip.finances.gouv.fr';
const FDF = 'sip.fort-de-france@dgfip.finances.gouv.fr';

describe.each(databaseKinds)('calendar overlays on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  beforeEach(async () => {
    h = await harness(kind);
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'S75', balfs: [PARIS] },
      { department: '69', region: 'metropole', service: 'S69', balfs: [LYON] },
      { department: '972', region: 'martinique', service: 'S972', balfs: [FDF] },
    ]);
    write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
    for (const balf of [PARIS, LYON]) {
      // Received Monday 2 June 2025, answered Thursday 5 June: 3 working days by law.
      const k = newKey();
      const res = await post(
        h.app,
        write,
        batch(balf, [
          { k, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
          { k: newKey(), dir: 'out', at: '2025-06-05T08:00:00Z', cat: 'reply', re: [k] },
        ]),
      );
      expect(res.statusCode, res.body).toBe(200);
    }
    // Martinique: received Monday 3 March 2025, answered Thursday 6 March (carnival in between).
    const k = newKey();
    await post(
      h.app,
      write,
      batch(FDF, [
        { k, dir: 'in', at: '2025-03-03T13:00:00Z', cat: 'usager' },
        { k: newKey(), dir: 'out', at: '2025-03-06T13:00:00Z', cat: 'reply', re: [k] },
      ]),
    );
  });
  afterEach(async () => h.close());

  const session = (login: string, scope: Scope) => userSession(h, login, scope);

  /** `<balf> <delay>×<count>` summed over days, for the BALF and the department rollups. */
  const tally = (rows: { who: string; delay: unknown; count: unknown }[]) => {
    const sums = new Map<string, number>();
    for (const r of rows) {
      const k = `${r.who} ${Number(r.delay)}`;
      sums.set(k, (sums.get(k) ?? 0) + Number(r.count));
    }
    return [...sums].map(([k, n]) => `${k}×${n}`).sort();
  };
  const delays = async () => ({
    balf: tally(
      (await h.db.selectFrom('daily_replies').select(['balf', 'delay', 'count']).execute()).map((r) => ({
        ...r,
        who: r.balf.split('@')[0]!,
      })),
    ),
    department: tally(
      (
        await h.db.selectFrom('department_daily_replies').select(['department', 'delay', 'count']).execute()
      ).map((r) => ({ ...r, who: r.department })),
    ),
  });
  const closure = (scope: string, day: string) => ({
    scope,
    day,
    state: 'closed',
    label: 'Déménagement du service',
    source: 'Note du directeur du 2 mai 2025',
  });

  it('a service closure recomputes that service only, history and rollups; withdrawing restores the law', async () => {
    const national = await session('admin', { level: 'national' });
    const before = await delays();
    expect(before.balf).toEqual(['sip.fort-de-france 3×1', 'sip.lyon 3×1', 'sip.paris 3×1']);
    const declared = await national.send('POST', '/api/v1/calendar/overlays', {
      overlays: [closure('service:S75', '2025-06-03'), closure('service:S75', '2025-06-04')],
    });
    expect(declared.statusCode, declared.body).toBe(200);
    expect(declared.json().recomputed).toBe(1);
    expect(await delays()).toEqual({
      balf: ['sip.fort-de-france 3×1', 'sip.lyon 3×1', 'sip.paris 1×1'],
      department: ['69 3×1', '75 1×1', '972 3×1'],
    });
    // A new upload is judged with the declared days too: received Tuesday 3 (closed), answered Friday 6:
    // Wednesday 4 closed, Thursday 5 and Friday 6 count.
    const k = newKey();
    await post(
      h.app,
      write,
      batch(PARIS, [
        { k, dir: 'in', at: '2025-06-03T08:00:00Z', cat: 'usager' },
        { k: newKey(), dir: 'out', at: '2025-06-06T08:00:00Z', cat: 'reply', re: [k] },
      ]),
    );
    expect((await delays()).balf).toEqual([
      'sip.fort-de-france 3×1',
      'sip.lyon 3×1',
      'sip.paris 1×1',
      'sip.paris 2×1',
    ]);
    const id = (declared.json().overlays as { id: string }[])[0]!.id;
    const withdrawn = await national.send('DELETE', `/api/v1/calendar/overlays?id=${id}`);
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    // 4 June still closed: Monday 2 → Thursday 5 is 2 days, Tuesday 3 → Friday 6 is 2 days.
    expect((await delays()).balf).toEqual(['sip.fort-de-france 3×1', 'sip.lyon 3×1', 'sip.paris 2×2']);
    expect((await national.send('DELETE', `/api/v1/calendar/overlays?id=${id}`)).statusCode).toBe(404);
    const history = await national.get('/api/v1/calendar/overlays?withdrawn=1');
    expect(history.json().overlays).toHaveLength(2);
    expect((await national.get('/api/v1/calendar/overlays')).json().overlays).toHaveLength(1);
  });

  it('a more specific open day wins over a national closure; same day redeclared replaces the old one', async () => {
    const national = await session('admin', { level: 'national' });
    await national.send('POST', '/api/v1/calendar/overlays', {
      overlays: [{ ...closure('nation', '2025-06-03'), label: 'Pont' }],
    });
    expect((await delays()).balf).toEqual(['sip.fort-de-france 3×1', 'sip.lyon 2×1', 'sip.paris 2×1']);
    await national.send('POST', '/api/v1/calendar/overlays', {
      overlays: [{ ...closure('department:75', '2025-06-03'), state: 'open', label: 'Permanence' }],
    });
    expect((await delays()).balf).toEqual(['sip.fort-de-france 3×1', 'sip.lyon 2×1', 'sip.paris 3×1']);
    const again = await national.send('POST', '/api/v1/calendar/overlays', {
      overlays: [closure('department:75', '2025-06-03')],
    });
    expect(again.statusCode).toBe(200);
    const active = (await national.get('/api/v1/calendar/overlays')).json().overlays as {
      scope: string;
      state: string;
    }[];
    expect(active.map((o) => `${o.scope} ${o.state}`)).toEqual(['department:75 closed', 'nation closed']);
    expect((await delays()).balf).toContain('sip.paris 2×1');
  });

  it('applies the Martinique customs preset only on request, to Martinique only', async () => {
    const national = await session('admin', { level: 'national' });
    const r = await national.send('POST', '/api/v1/calendar/presets', {
      region: 'martinique',
      years: [2025],
    });
    expect(r.statusCode, r.body).toBe(200);
    expect((r.json().overlays as { day: string }[]).map((o) => o.day)).toEqual([
      '2025-03-04',
      '2025-03-05',
      '2025-04-18',
      '2025-11-02',
    ]);
    expect(r.json().recomputed).toBe(1);
    expect((await delays()).balf).toEqual(['sip.fort-de-france 1×1', 'sip.lyon 3×1', 'sip.paris 3×1']);
    expect(
      (await national.send('POST', '/api/v1/calendar/presets', { region: 'mayotte', years: [2040] }))
        .statusCode,
    ).toBe(400);
  });

  it('counts unanswered mail overdue or pending with the declared days', async () => {
    // Received Monday 23 June, nothing sent; today Monday 30 June: 5 working days, the target: pending.
    await post(
      h.app,
      write,
      batch(LYON, [{ k: newKey(), dir: 'in', at: '2025-06-23T08:00:00Z', cat: 'usager' }]),
    );
    const status = async (level: string, id?: string) => {
      const r = await getStats(h.app, read, {
        level,
        ...(id ? { id } : {}),
        from: '2025-06-23',
        to: '2025-06-23',
        granularity: 'day',
      });
      expect(r.statusCode, r.body).toBe(200);
      const t = r.json().totals as { pending: number; overdue: number };
      return `${t.pending}/${t.overdue}`;
    };
    expect(await status('national')).toBe('1/0');
    const national = await session('admin', { level: 'national' });
    await national.send('POST', '/api/v1/calendar/overlays', {
      overlays: [{ ...closure('department:69', '2025-06-28'), state: 'open', label: 'Samedi ouvert' }],
    });
    expect(await status('national')).toBe('0/1');
    expect(await status('department', '69')).toBe('0/1');
    expect(await status('service', 'S69')).toBe('0/1');
    expect(await status('department', '75')).toBe('0/0');
  });

  it('lets national and departmental users declare within their scope only; everyone reads their scope', async () => {
    const coord69 = await session('coord69', { level: 'department', code: '69' });
    const chef = await session('chef75', { level: 'service', code: 'S75' });
    const national = await session('admin', { level: 'national' });
    const declare = (who: typeof national, scope: string) =>
      who.send('POST', '/api/v1/calendar/overlays', { overlays: [closure(scope, '2025-06-03')] });
    expect((await declare(coord69, 'nation')).statusCode).toBe(403);
    expect((await declare(coord69, 'region:metropole')).statusCode).toBe(403);
    expect((await declare(coord69, 'department:75')).statusCode).toBe(404);
    expect((await declare(coord69, 'service:S75')).statusCode).toBe(404);
    expect((await declare(coord69, 'service:INCONNU')).statusCode).toBe(404);
    expect((await declare(chef, 'service:S75')).statusCode).toBe(403);
    expect((await declare(coord69, 'service:S69')).statusCode).toBe(200);
    expect((await declare(national, 'service:S75')).statusCode).toBe(200);
    expect((await declare(national, 'nation')).statusCode).toBe(200);
    expect(
      (await national.send('POST', '/api/v1/calendar/presets', { region: 'guadeloupe', years: [2025] }))
        .statusCode,
    ).toBe(200);
    expect(
      (await coord69.send('POST', '/api/v1/calendar/presets', { region: 'guadeloupe', years: [2025] }))
        .statusCode,
    ).toBe(403);
    // Tokens never declare (read tokens read).
    const byToken = await h.app.inject({
      method: 'POST',
      url: '/api/v1/calendar/overlays',
      headers: { authorization: `Bearer ${read}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ overlays: [closure('nation', '2025-06-04')] }),
    });
    expect(byToken.statusCode).toBe(403);
    const seen = async (who: typeof national) =>
      ((await who.get('/api/v1/calendar/overlays')).json().overlays as { scope: string }[])
        .map((o) => o.scope)
        .sort();
    expect(await seen(coord69)).toEqual(['nation', 'service:S69']);
    expect(await seen(chef)).toEqual(['nation', 'service:S75']);
    expect((await seen(national)).length).toBe(7);
    // A departmental user withdraws neither another department's declaration nor a national one.
    const list = (await national.get('/api/v1/calendar/overlays')).json().overlays as {
      id: string;
      scope: string;
    }[];
    const s75 = list.find((o) => o.scope === 'service:S75')!;
    expect((await coord69.send('DELETE', `/api/v1/calendar/overlays?id=${s75.id}`)).statusCode).toBe(404);
  });

  it('refuses malformed declarations with a clear message and stores nothing', async () => {
    const national = await session('admin', { level: 'national' });
    for (const overlay of [
      closure('balf:x', '2025-06-03'),
      closure('region:paris', '2025-06-03'),
      closure('nation', '2025-02-30'),
      closure('nation', '2301-01-01'),
      { ...closure('nation', '2025-06-03'), state: 'ferme' },
      { ...closure('nation', '2025-06-03'), label: ' ' },
      { ...closure('nation', '2025-06-03'), extra: 1 },
    ]) {
      const r = await national.send('POST', '/api/v1/calendar/overlays', {
        overlays: [closure('nation', '2025-06-04'), overlay],
      });
      expect(r.statusCode, JSON.stringify(overlay)).toBe(400);
      expect(r.json().message).toMatch(/overlays/);
    }
    expect((await national.get('/api/v1/calendar/overlays?withdrawn=1')).json().overlays).toEqual([]);
    expect((await national.get('/api/v1/calendar/overlays?from=2025-13-01')).statusCode).toBe(400);
  });
});
