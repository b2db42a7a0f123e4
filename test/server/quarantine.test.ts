// A token writes only BALFs of its scope, on SQLite and PostgreSQL: a department token's uploads for an
// address outside its department wait in a quarantine that no total counts, until the directory places
// the address in that department; « non rattachées » answers one bounded page.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/server/auth/scope.ts';
import { addUser } from '../../src/server/auth/users.ts';
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
const LYON = 'sip.lyon3@dgfip.finances.gouv.fr';
const NEW_PARIS = 'sie.paris20@dgfip.finances.gouv.fr';
const RANGE = { from: '2025-06-01', to: '2025-06-30' };

const records = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    k: newKey(),
    dir: 'in' as const,
    at: `2025-06-${String(2 + (i % 20)).padStart(2, '0')}T08:00:00Z`,
    cat: 'usager' as const,
  }));

function spotCheck(balf: string) {
  return {
    schema: 1,
    id: crypto.randomUUID(),
    client: { id: 'client-a', addon: '0.1.0', thunderbird: '128.5' },
    balf,
    from: '2025-06-01',
    to: '2025-06-30',
    doneAt: '2025-06-30T09:00:00Z',
    seed: 'graine',
    target: { id: 'marianne', workingDays: 5 },
    population: 10,
    sampleSize: 5,
    verdicts: { conforme: 4, non_conforme: 1, sans_objet: 0 },
    automatic: { answered_in_time: 4, answered_late: 1, pending: 0, overdue: 0 },
    disagreements: 0,
  };
}

describe.each(databaseKinds)('quarantine on %s', (kind) => {
  let h: Harness;
  let write75: string;
  let writeNational: string;
  let readNational: string;
  beforeEach(async () => {
    h = await harness(kind, { rateLimit: false });
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP75', balfs: [PARIS] },
      { department: '69', region: 'metropole', service: 'SIP69', balfs: [] },
    ]);
    write75 = await token(h.db, { level: 'department', code: '75' });
    writeNational = await token(h.db, { level: 'national' });
    readNational = await token(h.db, { level: 'national' }, false);
  });
  afterEach(async () => h.close());

  async function session(login: string, scope: Scope) {
    await addUser(h.db, { login, password: 'mot de passe assez long', scope });
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/v1/session',
      payload: { login, password: 'mot de passe assez long' },
    });
    expect(r.statusCode, r.body).toBe(200);
    const cookie = `suivi_session=${r.cookies.find((c) => c.name === 'suivi_session')!.value}`;
    const headers = { cookie, 'x-csrf-token': r.json().csrfToken as string };
    return {
      headers,
      get: (url: string) => h.app.inject({ method: 'GET', url, headers }),
      send: (method: 'POST' | 'DELETE', url: string, payload?: unknown) =>
        h.app.inject({
          method,
          url,
          headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json' },
          ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
        }),
    };
  }

  const received = async (query: Record<string, string>) => {
    const r = await getStats(h.app, readNational, { ...query, ...RANGE });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().totals.received as number;
  };

  it("never counts a department token's records for an address the directory later gives another department", async () => {
    const held = batch(LYON, records(500));
    const answer = await post(h.app, write75, held);
    expect([answer.statusCode, answer.json()]).toEqual([
      200,
      { accepted: 0, duplicates: 0, rejected: 0, quarantined: 500 },
    ]);
    const replay = await post(h.app, write75, held);
    expect(replay.json(), 'a replay answers the same').toEqual(answer.json());
    expect(await received({ level: 'national' }), 'no total counts them, national included').toBe(0);

    const national = await session('admin', { level: 'national' });
    const unattached = await national.get('/api/v1/directory/unattached');
    expect(unattached.json()).toEqual({ total: 0, balfs: [] });
    const csv =
      'department_code;department_name;service_code;service_name;service_kind;balf_address\n' +
      `69;Rhône;SIP69;SIP Lyon 3;SIP;${LYON}\n`;
    const imported = await h.app.inject({
      method: 'POST',
      url: '/api/v1/directory/import',
      headers: { ...national.headers, 'content-type': 'text/csv' },
      payload: csv,
    });
    expect(imported.statusCode, imported.body).toBe(200);
    expect(await received({ level: 'department', id: '69' }), 'not moved into department 69').toBe(0);
    expect(await received({ level: 'national' })).toBe(0);

    const list = await national.get('/api/v1/directory/quarantine');
    expect(list.json()).toEqual({
      total: 1,
      balfs: [
        {
          balf: LYON,
          uploads: 1,
          records: 500,
          firstReceived: '2025-06-30T10:00:00.000Z',
          lastReceived: '2025-06-30T10:00:00.000Z',
          tokenScopes: ['department:75'],
        },
      ],
    });
    const dep69 = await session('coord69', { level: 'department', code: '69' });
    expect((await dep69.get('/api/v1/directory/quarantine')).json()).toEqual({ total: 0, balfs: [] });
    expect(
      (await dep69.send('POST', '/api/v1/directory/attach', { balf: LYON, service: 'SIP69' })).statusCode,
    ).toBe(404);
    const dropped = await national.send('DELETE', `/api/v1/directory/quarantine?balf=${LYON}`);
    expect([dropped.statusCode, dropped.json()]).toEqual([200, { balf: LYON, discarded: 1 }]);
  });

  it('counts held uploads once a department user attaches the address to one of its services', async () => {
    const first = batch(NEW_PARIS.toUpperCase(), records(300));
    expect((await post(h.app, write75, first)).json().quarantined).toBe(300);
    const check = spotCheck(NEW_PARIS);
    const heldCheck = await post(h.app, write75, check, '/api/v1/spot-checks');
    expect(heldCheck.statusCode).toBe(202);
    expect(await received({ level: 'national' })).toBe(0);

    const coord = await session('coord75', { level: 'department', code: '75' });
    const mine = await coord.get('/api/v1/directory/quarantine');
    expect(mine.json()).toMatchObject({ total: 1, balfs: [{ balf: NEW_PARIS, uploads: 2, records: 301 }] });
    // A service of another department, or a service user: refused.
    expect(
      (await coord.send('POST', '/api/v1/directory/attach', { balf: NEW_PARIS, service: 'SIP69' }))
        .statusCode,
    ).toBe(404);
    const chef = await session('chef75', { level: 'service', code: 'SIP75' });
    expect(
      (await chef.send('POST', '/api/v1/directory/attach', { balf: NEW_PARIS, service: 'SIP75' })).statusCode,
    ).toBe(403);
    const attached = await coord.send('POST', '/api/v1/directory/attach', {
      balf: NEW_PARIS,
      service: 'SIP75',
    });
    expect([attached.statusCode, attached.json()]).toEqual([
      200,
      { balf: NEW_PARIS, department: '75', service: 'SIP75', released: { released: 2, conflicts: 0 } },
    ]);
    expect(await received({ level: 'department', id: '75' })).toBe(300);
    expect(await received({ level: 'national' })).toBe(300);
    const listed = await h.app.inject({
      method: 'GET',
      url: '/api/v1/spot-checks',
      query: { level: 'department', id: '75', ...RANGE },
      headers: { authorization: `Bearer ${readNational}` },
    });
    expect(listed.json().spotChecks.map((s: { id: string }) => s.id)).toEqual([check.id]);
    expect((await coord.get('/api/v1/directory/quarantine')).json()).toEqual({ total: 0, balfs: [] });
    // The client that never got its answer sends the batch again: a replay, counted once.
    const again = await post(h.app, write75, first);
    expect(again.json()).toEqual({ accepted: 300, duplicates: 0, rejected: 0 });
    expect(await received({ level: 'national' })).toBe(300);
  });

  it('keeps a national token writing unknown addresses into « non rattachées », one bounded page at a time', async () => {
    expect((await post(h.app, writeNational, batch('inconnue@dgfip.fr', records(3)))).json()).toEqual({
      accepted: 3,
      duplicates: 0,
      rejected: 0,
    });
    expect(await received({ level: 'national' })).toBe(3);
    // 2,000 more such addresses, as the rollups hold them.
    const junk = Array.from({ length: 2000 }, (_, i) => `x${String(i).padStart(5, '0')}@junk.example`);
    for (let i = 0; i < junk.length; i += 500) {
      const part = junk.slice(i, i + 500);
      await h.db
        .insertInto('balf_homes')
        .values(part.map((balf) => ({ balf, department: 'unattached', region: 'metropole' })))
        .execute();
      await h.db
        .insertInto('daily_flows')
        .values(part.map((balf) => ({ balf, day: '2025-06-02', dir: 'in' as const, cat: 'auto', count: 1 })))
        .execute();
    }
    const national = await session('admin', { level: 'national' });
    const page = await national.get('/api/v1/directory/unattached');
    expect(page.statusCode).toBe(200);
    expect(page.json().total).toBe(2001);
    expect(page.json().balfs).toHaveLength(200);
    expect(page.body.length, 'one page, not every address').toBeLessThan(20_000);
    const last = await national.get('/api/v1/directory/unattached?limit=1000&offset=1900');
    // In address order: « inconnue@… » first, then the junk.
    expect(last.json().balfs.map((b: { balf: string }) => b.balf)).toEqual(junk.slice(1899));
    expect((await national.get('/api/v1/directory/unattached?limit=5000')).statusCode).toBe(400);
  });
});
