// Directory files as spreadsheets save them (UTF-8 with or without BOM, Windows-1252, UTF-16), and the
// import's preview (added, renamed, moved BALFs with their history), listing, template — on SQLite and PostgreSQL.
import { describe, expect, it } from 'vitest';
import { decodeCsvBytes } from '../../src/server/directory/decode.ts';
import { parseDirectoryCsv } from '../../src/server/directory/parse-csv.ts';
import { login, user } from './auth-support.ts';
import { batch, databaseKinds, harness, newKey, post, token } from './support.ts';

const HEADER = 'department_code;department_name;service_code;service_name;service_kind;balf_address;region';
const ROWS = [
  '75;DRFiP Île-de-France et Paris;0750101;SIP Paris 1er;SIP;sip.paris-1er@dgfip.finances.gouv.fr;',
  '75;DRFiP Île-de-France et Paris;0750115;SIP Paris 15e — Périgné;SIP;sip.paris-15e@dgfip.finances.gouv.fr;',
  '974;DRFiP La Réunion;9740101;SIP Saint-Denis;SIP;sip.saint-denis@dgfip.finances.gouv.fr;',
];
const TEXT = [HEADER, ...ROWS].join('\r\n') + '\r\n';

/** The bytes Excel writes for « CSV (séparateur : point-virgule) » on a French Windows. */
function windows1252(text: string): Buffer {
  const table: Record<string, number> = { '—': 0x97, '’': 0x92, '€': 0x80, œ: 0x9c };
  return Buffer.from([...text].map((c) => table[c] ?? (c.charCodeAt(0) <= 0xff ? c.charCodeAt(0) : 0x3f)));
}

describe('decodeCsvBytes', () => {
  it.each([
    ['UTF-8 without BOM', Buffer.from(TEXT, 'utf8'), 'utf-8'],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT, 'utf8')]), 'utf-8'],
    ['Windows-1252 (Excel)', windows1252(TEXT), 'windows-1252'],
    [
      'UTF-16 LE with BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')]),
      'utf-16le',
    ],
  ])('reads %s without garbling « Île-de-France »', (_name, bytes, encoding) => {
    const decoded = decodeCsvBytes(bytes);
    expect(decoded).toEqual({ ok: true, text: TEXT, encoding });
    const parsed = parseDirectoryCsv(bytes);
    expect(parsed.ok && parsed.encoding).toBe(encoding);
    if (!parsed.ok) return;
    expect(parsed.directory.departments[0]?.name).toBe('DRFiP Île-de-France et Paris');
    expect(parsed.directory.services[1]?.name).toBe('SIP Paris 15e — Périgné');
  });

  it('reads the tab-separated « Texte Unicode » of Excel', () => {
    const tabbed = TEXT.replaceAll(';', '\t');
    const parsed = parseDirectoryCsv(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(tabbed, 'utf16le')]),
    );
    expect(parsed.ok && parsed.directory.balfs.length).toBe(3);
  });

  it.each([
    ['an .xlsx workbook', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]), /classeur Excel \(\.xlsx\)/],
    ['an .xls workbook', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1]), /classeur Excel \(\.xls\)/],
    ['binary data', Buffer.from('abc\u0000def'), /pas du texte/],
    [
      'a byte Windows-1252 does not define',
      Buffer.from([0x41, 0x81, 0x42]),
      /Encodage du fichier non reconnu.*0x81/,
    ],
    ['a BOM followed by broken UTF-8', Buffer.from([0xef, 0xbb, 0xbf, 0xc3, 0x28]), /marqué UTF-8/],
  ])('refuses %s with what to do', (_name, bytes, message) => {
    const decoded = decodeCsvBytes(bytes);
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.message).toMatch(message);
    expect(decoded.message).toMatch(/CSV UTF-8/);
    expect(parseDirectoryCsv(bytes)).toEqual({ ok: false, errors: [{ line: 1, message: decoded.message }] });
  });
});

describe.each(databaseKinds)('directory preview and import on %s', (kind) => {
  const setup = async () => {
    const h = await harness(kind, { now: '2026-11-16T10:00:00Z' });
    await user(h.db, 'nat', { level: 'national' });
    await user(h.db, 'dep75', { level: 'department', code: '75' });
    const nat = await login(h.app, 'nat');
    const send = (url: string, body: Buffer, session = nat) =>
      h.app.inject({
        method: 'POST',
        url,
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrfToken, 'content-type': 'text/csv' },
        payload: body,
      });
    const get = (url: string, session = nat) =>
      h.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });
    return { h, nat, send, get };
  };

  it('previews what a file adds, renames and moves, with the history that moves along, then applies exactly that', async () => {
    const { h, send, get } = await setup();
    try {
      expect((await send('/api/v1/directory/import', windows1252(TEXT))).statusCode).toBe(200);
      // Mail for a BALF the directory does not know yet, and for one that will move.
      const write = await token(h.db, { level: 'national' });
      const received = (balf: string, at: string) =>
        batch(balf, [{ k: newKey(), dir: 'in', at, cat: 'usager' }]);
      const newcomer = 'sip.nouveau@dgfip.finances.gouv.fr';
      expect((await post(h.app, write, received(newcomer, '2026-10-05T08:00:00Z'))).statusCode).toBe(200);
      expect((await post(h.app, write, received(newcomer, '2026-11-02T08:00:00Z'))).statusCode).toBe(200);
      expect(
        (await post(h.app, write, received('sip.paris-1er@dgfip.finances.gouv.fr', '2026-11-03T08:00:00Z')))
          .statusCode,
      ).toBe(200);

      const next = [
        HEADER,
        // Moved from 0750101 to 0750115, whose name changes:
        '75;DRFiP Île-de-France et Paris;0750115;SIP Paris 15e;SIP;sip.paris-1er@dgfip.finances.gouv.fr;',
        '75;DRFiP Île-de-France et Paris;0750115;SIP Paris 15e;SIP;sip.paris-15e@dgfip.finances.gouv.fr;',
        // Renamed department:
        '974;DRFiP de La Réunion;9740101;SIP Saint-Denis;SIP;sip.saint-denis@dgfip.finances.gouv.fr;',
        // A new service and the newcomer BALF, with its history:
        `75;DRFiP Île-de-France et Paris;0750199;SIP Paris nouveau;SIP;${newcomer};`,
      ].join('\r\n');
      const bytes = windows1252(next);
      const preview = await send('/api/v1/directory/preview', bytes);
      expect(preview.statusCode, preview.body).toBe(200);
      const body = preview.json();
      expect(body).toMatchObject({
        encoding: 'windows-1252',
        rows: { departments: 2, services: 3, balfs: 4 },
        changes: {
          departments: {
            added: [],
            renamed: [{ code: '974', from: 'DRFiP La Réunion', to: 'DRFiP de La Réunion' }],
          },
          services: {
            added: [{ code: '0750199', name: 'SIP Paris nouveau', departmentCode: '75' }],
            renamed: [{ code: '0750115', from: 'SIP Paris 15e — Périgné', to: 'SIP Paris 15e' }],
          },
          balfs: {
            added: [
              {
                address: newcomer,
                serviceCode: '0750199',
                history: { firstDay: '2026-10-05', lastDay: '2026-11-02', messages: 2 },
              },
            ],
            moved: [
              {
                address: 'sip.paris-1er@dgfip.finances.gouv.fr',
                from: '0750101',
                to: '0750115',
                history: { firstDay: '2026-11-03', lastDay: '2026-11-03', messages: 1 },
              },
            ],
          },
          unchanged: { balfs: 2, services: 1, departments: 1 },
          absentBalfs: 0,
        },
      });
      // Nothing written by the preview.
      expect(
        (await h.db.selectFrom('balfs').select('address').execute()).map((b) => b.address),
      ).not.toContain(newcomer);

      // The directory changes after the preview: applying the stale preview is refused, nothing written.
      await h.db
        .updateTable('balfs')
        .set({ service_code: '0750115' })
        .where('address', '=', 'sip.saint-denis@dgfip.finances.gouv.fr')
        .execute();
      const stale = await send(`/api/v1/directory/import?expect=${body.changes.fingerprint}`, bytes);
      expect(stale.statusCode).toBe(409);
      expect(stale.json().message).toMatch(/changé depuis l’aperçu/);
      expect(
        (await h.db.selectFrom('balfs').select('address').execute()).map((b) => b.address),
      ).not.toContain(newcomer);
      await h.db
        .updateTable('balfs')
        .set({ service_code: '9740101' })
        .where('address', '=', 'sip.saint-denis@dgfip.finances.gouv.fr')
        .execute();

      // Upload between preview and import: the history grows, the changes (and their fingerprint) do not.
      expect((await post(h.app, write, received(newcomer, '2026-11-10T08:00:00Z'))).statusCode).toBe(200);
      const applied = await send(`/api/v1/directory/import?expect=${body.changes.fingerprint}`, bytes);
      expect(applied.statusCode, applied.body).toBe(200);
      expect(applied.json()).toEqual({ departments: 2, services: 3, balfs: 4, encoding: 'windows-1252' });

      const listing = await get('/api/v1/directory/entries');
      expect(listing.statusCode).toBe(200);
      const departments = listing.json().departments as {
        code: string;
        name: string;
        services: { code: string; name: string; balfs: string[] }[];
      }[];
      expect(departments.map((d) => [d.code, d.name])).toEqual([
        ['75', 'DRFiP Île-de-France et Paris'],
        ['974', 'DRFiP de La Réunion'],
      ]);
      expect(departments[0]!.services.map((s) => [s.code, s.balfs])).toEqual([
        ['0750101', []],
        ['0750115', ['sip.paris-15e@dgfip.finances.gouv.fr', 'sip.paris-1er@dgfip.finances.gouv.fr']],
        ['0750199', [newcomer]],
      ]);
      // The history followed: the newcomer's mail now counts in its service.
      const stats = await h.app.inject({
        method: 'GET',
        url: '/api/v1/stats?level=service&id=0750199&from=2026-10-01&to=2026-11-16',
        headers: { authorization: `Bearer ${await token(h.db, { level: 'national' }, false)}` },
      });
      expect(stats.json().totals.received).toBe(3);
      // A replayed preview of the same file now shows no change.
      const again = (await send('/api/v1/directory/preview', bytes)).json();
      expect(again.changes.balfs).toEqual({ added: [], moved: [] });
      expect(again.changes.services.renamed).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('refuses an undecodable file with its reason, serves the template and keeps all of it national', async () => {
    const { h, send, get } = await setup();
    try {
      const refused = await send('/api/v1/directory/preview', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00]));
      expect(refused.statusCode).toBe(400);
      expect(refused.json().errors[0].message).toMatch(/classeur Excel/);

      const template = await get('/api/v1/directory/template');
      expect(template.statusCode).toBe(200);
      expect(template.headers['content-disposition']).toMatch(/modele-annuaire-suivi-balf\.csv/);
      const parsed = parseDirectoryCsv(Buffer.from(template.rawPayload));
      expect(parsed.ok && parsed.directory.departments.map((d) => d.name)).toEqual([
        'DRFiP Île-de-France et Paris',
        'DRFiP La Réunion',
      ]);

      const dep = await login(h.app, 'dep75');
      for (const url of ['/api/v1/directory/entries', '/api/v1/directory/template'])
        expect((await get(url, dep)).statusCode, url).toBe(403);
      expect((await send('/api/v1/directory/preview', Buffer.from(TEXT), dep)).statusCode).toBe(403);
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/directory/entries' })).statusCode).toBe(401);
    } finally {
      await h.close();
    }
  });
});
