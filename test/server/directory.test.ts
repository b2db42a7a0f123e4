// Directory CSV: validation with line numbers, all-or-nothing idempotent import, routes and scopes.
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OpenDb } from '../../src/server/db/connect.ts';
import type { Db } from '../../src/server/db/schema.ts';
import { importDirectoryCsv } from '../../src/server/directory/import.ts';
import { parseDirectoryCsv } from '../../src/server/directory/parse-csv.ts';
import { ingestBatch } from '../../src/server/ingest/ingest.ts';
import { authApp, login, user, type Session } from './auth-support.ts';
import { databaseKinds, harness, openTestDb } from './support.ts';

const HEADER = 'department_code,department_name,service_code,service_name,service_kind,balf_address';
const GOOD = [
  HEADER + ',region',
  '67,DRFiP Bas-Rhin,SIP67,SIP Strasbourg,SIP,sip.strasbourg@dgfip.finances.gouv.fr,',
  '67,DRFiP Bas-Rhin,SIP67,SIP Strasbourg,SIP,SIP.Strasbourg.2@dgfip.finances.gouv.fr,',
  '67,DRFiP Bas-Rhin,CDIF67,CDIF Strasbourg,CDIF,cdif.strasbourg@dgfip.finances.gouv.fr,alsace-moselle',
  '974,DRFiP La Réunion,SIP974,"SIP Saint-Denis, centre",SIP,sip.saint-denis@dgfip.finances.gouv.fr,',
  '75,DRFiP Paris,SPF75,SPF Paris 1,spf,spf.paris1@dgfip.finances.gouv.fr,',
].join('\n');

describe('parseDirectoryCsv', () => {
  it('reads departments, services and BALFs, with regions from the department by default', () => {
    const r = parseDirectoryCsv(GOOD);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.directory.departments).toEqual([
      { code: '67', name: 'DRFiP Bas-Rhin', region: 'alsace-moselle' },
      { code: '974', name: 'DRFiP La Réunion', region: 'reunion' },
      { code: '75', name: 'DRFiP Paris', region: 'metropole' },
    ]);
    expect(r.directory.services.map((s) => [s.code, s.kind, s.departmentCode, s.region])).toEqual([
      ['SIP67', 'SIP', '67', null],
      ['CDIF67', 'CDIF', '67', null],
      ['SIP974', 'SIP', '974', null],
      ['SPF75', 'SPF', '75', null],
    ]);
    expect(r.directory.services[2]?.name).toBe('SIP Saint-Denis, centre');
    expect(r.directory.balfs.map((b) => b.address)).toContain('sip.strasbourg.2@dgfip.finances.gouv.fr');
  });

  it('accepts ; separators, a UTF-8 BOM, CRLF and no region column', () => {
    const text =
      '\uFEFF' +
      HEADER.replaceAll(',', ';') +
      '\r\n974;DRFiP La Réunion;SIP974;SIP Saint-Denis, centre;SIP;a@b.fr\r\n';
    const r = parseDirectoryCsv(Buffer.from(text, 'utf8'));
    expect(r).toMatchObject({ ok: true, directory: { services: [{ name: 'SIP Saint-Denis, centre' }] } });
  });

  it('reads files mixing CRLF and LF line endings row by row', () => {
    const r = parseDirectoryCsv(
      `${HEADER}\r\n75,Paris,S1,S,SIP,a@b.fr\r\n75,Paris,S2,S,SIP,c@b.fr\n99,X,S3,S,SIP,d@b.fr\n`,
    );
    expect(r).toEqual({
      ok: false,
      errors: [{ line: 4, message: expect.stringContaining('« 99 »') as string }],
    });
  });

  it('keeps a service region only when it differs from its department', () => {
    const r = parseDirectoryCsv(`${HEADER},region\n75,Paris,S1,S,SIP,a@b.fr,reunion\n`);
    expect(r).toMatchObject({ ok: true, directory: { services: [{ code: 'S1', region: 'reunion' }] } });
  });

  it('reports every bad row with its line number', () => {
    const text = [
      HEADER + ',region',
      '67,Bas-Rhin,S1,SIP 1,SIP,ok1@dgfip.fr,',
      '96,Nulle part,S2,SIP 2,SIP,ok2@dgfip.fr,',
      '67,Bas-Rhin,S3,SIP 3,SIP,pas-une-adresse,',
      '67,Bas-Rhin,S4,SIP 4,SIP,ok4@dgfip.fr,atlantide',
      '67,Bas-Rhin,S5,SIP 5,SIP,ok1@dgfip.fr,',
      '67,Bas-Rhin,S1,SIP 1,SIP,ok1@dgfip.fr,',
      '67,Bas-Rhin,,SIP 6,SIP,ok6@dgfip.fr,',
      '67,Bas-Rhin,S7,SIP 7',
    ].join('\n');
    const r = parseDirectoryCsv(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.line)).toEqual([3, 4, 5, 6, 8, 9]);
    expect(r.errors[0]?.message).toContain('code de département invalide « 96 »');
    expect(r.errors[1]?.message).toContain('adresse de BALF invalide');
    expect(r.errors[2]?.message).toContain('région inconnue « atlantide »');
    expect(r.errors[3]?.message).toContain('déjà rattachée au service S1 ligne 2');
    expect(r.errors[4]?.message).toContain('service_code vide');
    expect(r.errors[5]?.message).toContain('4 colonnes au lieu de 7');
  });

  it('reports missing columns on the header line', () => {
    const r = parseDirectoryCsv('department_code,service_code,balf_address\n67,S,a@b.fr\n');
    expect(r).toEqual({
      ok: false,
      errors: [
        {
          line: 1,
          message: expect.stringContaining('department_name, service_name, service_kind') as string,
        },
      ],
    });
  });
});

describe.each(databaseKinds)('directory on %s', (kind) => {
  let opened: OpenDb;
  let db: Db;
  let app: FastifyInstance;
  let recomputed: string[];
  let nat: Session;

  beforeEach(async () => {
    opened = await openTestDb(kind);
    db = opened.db;
    recomputed = [];
    app = await authApp(db, () => new Date('2025-06-30T10:00:00Z'), {
      onBalfChanged: async (_db, balf) => {
        recomputed.push(balf);
      },
    });
    await user(db, 'nat', { level: 'national' });
    await user(db, 'dep67', { level: 'department', code: '67' });
    await user(db, 'sip67', { level: 'service', code: 'SIP67' });
    nat = await login(app, 'nat');
  });
  afterEach(async () => {
    await app.close();
    await opened.close();
  });

  const importCsv = (session: Session, body: string, csrf = session.csrfToken) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/directory/import',
      headers: { cookie: session.cookie, 'x-csrf-token': csrf, 'content-type': 'text/csv' },
      payload: body,
    });

  it('imports all or nothing, idempotently, and recomputes only moved BALFs', async () => {
    const first = await importCsv(nat, GOOD);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ departments: 3, services: 4, balfs: 5, encoding: 'utf-8' });
    expect(recomputed).toHaveLength(5);
    recomputed = [];
    const again = await importDirectoryCsv(db, GOOD, {
      onBalfChanged: async (_d, b) => void recomputed.push(b),
    });
    expect(again).toMatchObject({ ok: true, balfs: 5, changedBalfs: [] });
    expect(recomputed, 'nothing moved on a replay').toEqual([]);
    expect(await db.selectFrom('balfs').select('address').execute()).toHaveLength(5);

    const moved = GOOD.replace('CDIF67,CDIF Strasbourg,CDIF,cdif', 'SIP67,SIP Strasbourg,SIP,cdif');
    expect((await importCsv(nat, moved)).statusCode).toBe(200);
    expect(recomputed).toEqual(['cdif.strasbourg@dgfip.finances.gouv.fr']);

    const bad = await importCsv(
      nat,
      GOOD + '\n13,Bouches-du-Rhône,SIP13,SIP Marseille,SIP,sip.marseille@,\n',
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([
      { line: 7, message: expect.stringContaining('adresse de BALF invalide') as string },
    ]);
    const departments = await db.selectFrom('departments').select('code').orderBy('code').execute();
    expect(
      departments.map((d) => d.code),
      'nothing of the bad file imported',
    ).toEqual(['67', '75', '974']);
  });

  it('recomputes the history of a BALF once the import places it (time zone of La Réunion)', async () => {
    const real = await authApp(db, () => new Date('2025-06-30T10:00:00Z'));
    try {
      await ingestBatch(
        db,
        {
          schema: 1,
          batchId: '0b6f3c1e-4a51-4c1a-9d1e-2f3a4b5c6d7e',
          client: { id: 'c', addon: '0.1.0', thunderbird: '128.0' },
          balf: 'sip.saint-denis@dgfip.finances.gouv.fr',
          records: [{ k: 'AAAAAAAAAAAAAAAAAAAAAA', dir: 'in', at: '2025-06-01T20:30:00Z', cat: 'usager' }],
        },
        {
          principal: { kind: 'token', id: 't', scope: { level: 'national' }, canWrite: true },
          now: new Date('2025-06-30T10:00:00Z'),
        },
      );
      const days = () =>
        db
          .selectFrom('daily_flows')
          .select(['day', 'count'])
          .where('balf', '=', 'sip.saint-denis@dgfip.finances.gouv.fr')
          .execute();
      expect(
        (await days()).map((r) => [r.day, Number(r.count)]),
        'unattached: Paris day',
      ).toEqual([['2025-06-01', 1]]);
      const s = await login(real, 'nat');
      const r = await real.inject({
        method: 'POST',
        url: '/api/v1/directory/import',
        headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken, 'content-type': 'text/csv; charset=utf-8' },
        payload: GOOD,
      });
      expect(r.statusCode).toBe(200);
      expect(
        (await days()).map((row) => [row.day, Number(row.count)]),
        'attached in 974: Réunion day',
      ).toEqual([['2025-06-02', 1]]);
    } finally {
      await real.close();
    }
  });

  it('moves the BALFs of a service whose region changes', async () => {
    await importDirectoryCsv(db, GOOD);
    recomputed = [];
    const r = await importDirectoryCsv(
      db,
      GOOD.replace(
        'sip.saint-denis@dgfip.finances.gouv.fr,',
        'sip.saint-denis@dgfip.finances.gouv.fr,mayotte',
      ),
      {
        onBalfChanged: async (_d, b) => void recomputed.push(b),
      },
    );
    expect(r).toMatchObject({ ok: true, changedBalfs: ['sip.saint-denis@dgfip.finances.gouv.fr'] });
    expect(recomputed).toEqual(['sip.saint-denis@dgfip.finances.gouv.fr']);
  });

  it('keeps import for national users with a CSRF token', async () => {
    expect((await importCsv(nat, GOOD, 'faux')).statusCode).toBe(403);
    const dep = await login(app, 'dep67');
    const refused = await importCsv(dep, GOOD);
    expect(refused.statusCode).toBe(403);
    expect(await db.selectFrom('balfs').selectAll().execute()).toEqual([]);
    const anonymous = await app.inject({
      method: 'POST',
      url: '/api/v1/directory/import',
      headers: { 'content-type': 'text/csv' },
      payload: GOOD,
    });
    expect(anonymous.statusCode).toBe(401);
  });

  it('answers breadcrumbs within the scope only', async () => {
    await importDirectoryCsv(db, GOOD);
    const get = (s: Session, level: string, id: string) =>
      app.inject({
        method: 'GET',
        url: '/api/v1/directory/path',
        query: { level, id },
        headers: { cookie: s.cookie },
      });
    const balf = await get(nat, 'balf', 'SIP.strasbourg@dgfip.finances.gouv.fr');
    expect(balf.statusCode).toBe(200);
    expect(balf.json()).toEqual([
      { level: 'national', id: 'national', name: 'National' },
      { level: 'department', id: '67', name: 'DRFiP Bas-Rhin' },
      { level: 'service', id: 'SIP67', name: 'SIP Strasbourg' },
      {
        level: 'balf',
        id: 'sip.strasbourg@dgfip.finances.gouv.fr',
        name: 'sip.strasbourg@dgfip.finances.gouv.fr',
      },
    ]);
    const dep = await login(app, 'dep67');
    expect((await get(dep, 'service', 'CDIF67')).statusCode).toBe(200);
    // Out of scope answers as unknown (404), except the national view, which always exists (403).
    expect((await get(dep, 'department', '75')).statusCode).toBe(404);
    expect((await get(dep, 'department', '75')).json()).toEqual({
      ...(await get(dep, 'department', '13')).json(),
      message: 'Le département « 75 » : introuvable ou hors de votre périmètre.',
    });
    expect((await get(dep, 'national', '')).statusCode).toBe(403);
    const sip = await login(app, 'sip67');
    expect((await get(sip, 'service', 'SIP67')).json()).toHaveLength(3);
    expect((await get(sip, 'service', 'CDIF67')).statusCode).toBe(404);
    expect((await get(sip, 'department', '67')).statusCode).toBe(404);
    expect((await get(nat, 'department', '13')).statusCode).toBe(404);
    expect((await get(nat, 'galaxie', '1')).statusCode).toBe(400);
  });

  it('lists unattached BALFs (national only) from the rollups', async () => {
    await importDirectoryCsv(db, GOOD);
    // What the ingest writes with a BALF's first rollup (src/server/ingest/ingest.ts).
    await db
      .insertInto('balf_homes')
      .values([
        { balf: 'inconnue@dgfip.fr', department: 'unattached', region: 'metropole' },
        { balf: 'sip.strasbourg@dgfip.finances.gouv.fr', department: '67', region: 'alsace-moselle' },
      ])
      .execute();
    await db
      .insertInto('daily_flows')
      .values([
        { balf: 'inconnue@dgfip.fr', day: '2025-06-02', dir: 'in', cat: 'usager', count: 3 },
        { balf: 'inconnue@dgfip.fr', day: '2025-06-20', dir: 'out', cat: 'reply', count: 2 },
        {
          balf: 'sip.strasbourg@dgfip.finances.gouv.fr',
          day: '2025-06-02',
          dir: 'in',
          cat: 'usager',
          count: 9,
        },
      ])
      .execute();
    const r = await app.inject({
      method: 'GET',
      url: '/api/v1/directory/unattached',
      headers: { cookie: nat.cookie },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      total: 1,
      balfs: [{ balf: 'inconnue@dgfip.fr', firstDay: '2025-06-02', lastDay: '2025-06-20', records: 5 }],
    });
    const path = await app.inject({
      method: 'GET',
      url: '/api/v1/directory/path?level=balf&id=inconnue@dgfip.fr',
      headers: { cookie: nat.cookie },
    });
    expect(path.json()).toEqual([
      { level: 'national', id: 'national', name: 'National' },
      { level: 'department', id: 'unattached', name: 'Non rattachées' },
      { level: 'balf', id: 'inconnue@dgfip.fr', name: 'inconnue@dgfip.fr' },
    ]);
    const dep = await login(app, 'dep67');
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v1/directory/unattached',
          headers: { cookie: dep.cookie },
        })
      ).statusCode,
    ).toBe(403);
  });

  it('exports the directory as CSV that imports back unchanged', async () => {
    await importDirectoryCsv(db, GOOD);
    const r = await app.inject({
      method: 'GET',
      url: '/api/v1/directory/export',
      headers: { cookie: nat.cookie },
    });
    expect(r.statusCode).toBe(200);
    expect(r.body.startsWith('\uFEFFdepartment_code;department_name;')).toBe(true);
    const reparsed = parseDirectoryCsv(r.body);
    const original = parseDirectoryCsv(GOOD);
    expect(reparsed.ok && original.ok).toBe(true);
    if (reparsed.ok && original.ok) {
      const sorted = <T>(xs: T[]) =>
        [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(sorted(reparsed.directory.balfs)).toEqual(sorted(original.directory.balfs));
      expect(sorted(reparsed.directory.services)).toEqual(sorted(original.directory.services));
    }
  });
});

describe.each(databaseKinds)('session and directory wired in buildApp on %s', (kind) => {
  it('logs in, imports with CSRF, answers breadcrumbs and French errors', { timeout: 60_000 }, async () => {
    const h = await harness(kind);
    try {
      await user(h.db, 'nat', { level: 'national' });
      const s = await login(h.app, 'nat');
      expect(s.response.statusCode).toBe(200);
      const post = (csrf: string | null) =>
        h.app.inject({
          method: 'POST',
          url: '/api/v1/directory/import',
          headers: {
            cookie: s.cookie,
            'content-type': 'text/csv',
            ...(csrf === null ? {} : { 'x-csrf-token': csrf }),
          },
          payload: GOOD,
        });
      const refused = await post(null);
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ message: expect.stringContaining('CSRF') as string });
      const ok = await post(s.csrfToken);
      expect(ok.statusCode, ok.body).toBe(200);
      expect(ok.json()).toEqual({ departments: 3, services: 4, balfs: 5, encoding: 'utf-8' });
      const path = await h.app.inject({
        method: 'GET',
        url: '/api/v1/directory/path?level=department&id=974',
        headers: { cookie: s.cookie },
      });
      expect(path.json()).toEqual([
        { level: 'national', id: 'national', name: 'National' },
        { level: 'department', id: '974', name: 'DRFiP La Réunion' },
      ]);
      const anonymous = await h.app.inject({ method: 'GET', url: '/api/v1/directory/unattached' });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.json()).toMatchObject({ error: 'unauthorized' });
    } finally {
      await h.close();
    }
  });
});
