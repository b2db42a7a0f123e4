// Storage watch on SQLite and PostgreSQL: quota readings (one per BALF per hour, latest wins), the view
// per level (bytes, percent, growth, day of saturation, counts at 80 / 95 %), scope, errors, CSV, purge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays, workingDaysAfter } from '../../src/core/calendar.ts';
import type { QuotaEntry, StorageReportInput, StorageView } from '../../src/core/storage-protocol.ts';
import { purgeOlderThan } from '../../src/server/retention/purge.ts';
import { databaseKinds, harness, post, seedDirectory, token, type Harness } from './support.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const NOW = '2026-10-30T10:00:00Z'; // a Friday
const A = 'sip.a@dgfip.finances.gouv.fr';
const B = 'sip.b@dgfip.finances.gouv.fr';
const C = 'sie.c@dgfip.finances.gouv.fr';
const R = 'sip.reunion@dgfip.finances.gouv.fr';
const LOOSE = 'inconnue@dgfip.finances.gouv.fr';

const storage = (used: number, limit: number, unit: 'byte' | 'kibibyte' = 'byte'): QuotaEntry => ({
  type: 'STORAGE',
  unit,
  used,
  limit,
});

function report(
  samples: { balf: string; at: string; quota: QuotaEntry[] }[],
  client = 'poste-1',
): StorageReportInput {
  return { schema: 1, client: { id: client, addon: '0.2.0', thunderbird: '153.8' }, samples };
}

const SAMPLES = '/api/v1/quota-samples';

describe.each(databaseKinds)('storage watch on %s', (kind) => {
  let h: Harness;
  let ingest: string;
  let national: string;

  beforeAll(async () => {
    h = await harness(kind, { now: NOW });
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: '750001', balfs: [A, B] },
      { department: '75', region: 'metropole', service: '750002', balfs: [C] },
      { department: '974', region: 'reunion', service: '974001', balfs: [R] },
    ]);
    ingest = await token(h.db, { level: 'national' });
    national = await token(h.db, { level: 'national' }, false);
  });
  afterAll(async () => h.close());

  const get = async (query: Record<string, string>, bearer = national) =>
    h.app.inject({
      method: 'GET',
      url: '/api/v1/storage',
      query,
      headers: { authorization: `Bearer ${bearer}` },
    });
  const view = async (query: Record<string, string>, bearer = national): Promise<StorageView> => {
    const res = await get(query, bearer);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const rows = (table: 'storage_samples' | 'storage_days', balf: string) =>
    h.db.selectFrom(table).selectAll().where('balf', '=', balf).orderBy('at').execute();

  describe('readings', () => {
    it('one per BALF per hour: the latest wins, whatever order two clients send them in', async () => {
      const x = 'ordre@dgfip.finances.gouv.fr';
      const r1 = await post(
        h.app,
        ingest,
        report([{ balf: x, at: '2026-10-01T08:50:00Z', quota: [storage(300, 1000)] }], 'poste-2'),
        SAMPLES,
      );
      expect(r1.json()).toEqual({ stored: 1, rejected: 0, rejects: {} });
      await post(
        h.app,
        ingest,
        report([{ balf: x, at: '2026-10-01T08:10:00Z', quota: [storage(100, 1000)] }]),
        SAMPLES,
      );
      await post(
        h.app,
        ingest,
        report([{ balf: x, at: '2026-10-01T09:05:00+01:00', quota: [storage(200, 1000)] }]),
        SAMPLES,
      );
      const hours = await rows('storage_samples', x);
      // 09:05+01:00 is 08:05 UTC: the same hour, earlier than 08:50 — the 08:50 reading stays.
      expect(hours.map((r) => [r.hour, r.at, Number(r.used_bytes), r.client_id])).toEqual([
        ['2026-10-01T08', '2026-10-01T08:50:00.000Z', 300, 'poste-2'],
      ]);
      await post(
        h.app,
        ingest,
        report([{ balf: x, at: '2026-10-01T08:55:00Z', quota: [storage(250, 1000)] }]),
        SAMPLES,
      );
      await post(
        h.app,
        ingest,
        report([{ balf: x, at: '2026-10-01T10:00:00Z', quota: [storage(400, 1000)] }]),
        SAMPLES,
      );
      expect((await rows('storage_samples', x)).map((r) => [r.hour, Number(r.used_bytes)])).toEqual([
        ['2026-10-01T08', 250],
        ['2026-10-01T10', 400],
      ]);
      // The day keeps its last reading.
      expect((await rows('storage_days', x)).map((r) => [r.day, Number(r.used_bytes)])).toEqual([
        ['2026-10-01', 400],
      ]);
    });

    it('a reading without quota never replaces one with a quota in the same hour or day', async () => {
      const x = 'demarrage@dgfip.finances.gouv.fr';
      await post(
        h.app,
        ingest,
        report([{ balf: x, at: '2026-10-02T08:10:00Z', quota: [storage(100, 1000)] }]),
        SAMPLES,
      );
      await post(h.app, ingest, report([{ balf: x, at: '2026-10-02T08:20:00Z', quota: [] }]), SAMPLES);
      expect((await rows('storage_samples', x)).map((r) => Number(r.used_bytes))).toEqual([100]);
      // The other way round: the reading with a quota wins although earlier.
      await post(h.app, ingest, report([{ balf: x, at: '2026-10-03T08:20:00Z', quota: [] }]), SAMPLES);
      await post(
        h.app,
        ingest,
        report([{ balf: x, at: '2026-10-03T08:10:00Z', quota: [storage(150, 1000)] }]),
        SAMPLES,
      );
      const days = await rows('storage_days', x);
      expect(days.map((r) => [r.day, Number(r.used_bytes), Number(r.limit_bytes)])).toEqual([
        ['2026-10-02', 100, 1000],
        ['2026-10-03', 150, 1000],
      ]);
    });

    it('keeps the most constrained STORAGE root, converts KiB, ignores MESSAGE quotas', async () => {
      const x = 'racines@dgfip.finances.gouv.fr';
      await post(
        h.app,
        ingest,
        report([
          {
            balf: x,
            at: '2026-10-05T08:00:00Z',
            quota: [
              storage(100 * MiB, 2 * GiB),
              storage(900 * 1024, 1024 * 1024, 'kibibyte'),
              { type: 'MESSAGE', unit: 'message', used: 99, limit: 100 },
            ],
          },
          {
            balf: 'messages@dgfip.finances.gouv.fr',
            at: '2026-10-05T08:00:00Z',
            quota: [{ type: 'MESSAGE', unit: 'message', used: 1, limit: 9 }],
          },
        ]),
        SAMPLES,
      );
      const [row] = await rows('storage_days', x);
      expect([Number(row!.used_bytes), Number(row!.limit_bytes)]).toEqual([900 * MiB, GiB]);
      const [none] = await rows('storage_days', 'messages@dgfip.finances.gouv.fr');
      expect([none!.used_bytes, none!.limit_bytes]).toEqual([null, null]);
    });

    it('refuses readings one by one (future, out of scope, purged) and stores the rest', async () => {
      const dept974 = await token(h.db, { level: 'department', code: '974' });
      const res = await post(
        h.app,
        dept974,
        report([
          { balf: R, at: '2026-10-29T08:00:00Z', quota: [storage(1, 10)] },
          { balf: A, at: '2026-10-29T08:00:00Z', quota: [storage(1, 10)] },
          { balf: R, at: '2026-11-02T08:00:00Z', quota: [storage(1, 10)] },
        ]),
        SAMPLES,
      );
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ stored: 1, rejected: 2, rejects: { forbidden_scope: 1, future: 1 } });
      // Nothing in scope at all, another department's BALF or one outside the directory: each refused, the
      // request answered 2xx so that the add-on does not send them again; nothing stored.
      const outside = await post(
        h.app,
        dept974,
        report([
          { balf: A, at: NOW, quota: [] },
          { balf: LOOSE, at: NOW, quota: [storage(1, 10)] },
        ]),
        SAMPLES,
      );
      expect(outside.statusCode).toBe(200);
      expect(outside.json()).toEqual({ stored: 0, rejected: 2, rejects: { forbidden_scope: 2 } });
      expect(await rows('storage_samples', LOOSE)).toEqual([]);
      // Cleaned by the end of this file's view tests: the reading above stays for R's history.
      await h.db.deleteFrom('storage_days').where('balf', '=', R).execute();
      await h.db.deleteFrom('storage_samples').where('balf', '=', R).execute();
    });

    it.each([
      { what: 'a read token', write: false, status: 403 },
      { what: 'no token', write: null, status: 401 },
    ])('answers $what with $status', async ({ write, status }) => {
      const bearer = write === null ? null : await token(h.db, { level: 'national' }, write);
      const res = await post(h.app, bearer, report([{ balf: A, at: NOW, quota: [] }]), SAMPLES);
      expect(res.statusCode).toBe(status);
    });

    it('says what is wrong in a bad report (400), and refuses other content types (415)', async () => {
      const res = await post(
        h.app,
        ingest,
        {
          schema: 1,
          client: { id: 'x', addon: '1', thunderbird: '1' },
          samples: [{ balf: A, at: NOW, quota: [storage(-1, 10)] }],
        },
        SAMPLES,
      );
      expect(res.statusCode).toBe(400);
      expect(res.json().details).toEqual(
        expect.arrayContaining([expect.objectContaining({ path: 'samples.0.quota.0.used' })]),
      );
      const text = await h.app.inject({
        method: 'POST',
        url: SAMPLES,
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${ingest}` },
        payload: 'x',
      });
      expect(text.statusCode).toBe(415);
    });
  });

  describe('view', () => {
    const today = '2026-10-30';
    /** A's readings: one a day for 40 days at 09:00 UTC, growing 20 MiB per working day, cleaned up on the 20th. */
    const used = (day: string) =>
      GiB +
      20 * MiB * workingDaysAfter('2026-09-20', day, 'metropole') -
      (day >= '2026-10-20' ? 300 * MiB : 0);

    beforeAll(async () => {
      const samples = [];
      for (let i = 40; i >= 0; i--) {
        const day = addDays(today, -i);
        samples.push({ balf: A, at: `${day}T07:00:00Z`, quota: [storage(used(day), 2 * GiB)] });
        // B: a steady 80 % exactly.
        samples.push({ balf: B, at: `${day}T07:00:00Z`, quota: [storage(1600 * MiB, 2000 * MiB)] });
      }
      // C reports, but Thunderbird gives no quota.
      samples.push({ balf: C, at: `${today}T07:00:00Z`, quota: [] });
      // R: full (100 %) on a day of its region; LOOSE: outside the directory, 50 %.
      samples.push({ balf: R, at: `${today}T05:00:00Z`, quota: [storage(GiB, GiB)] });
      samples.push({ balf: LOOSE, at: `${today}T05:00:00Z`, quota: [storage(GiB, 2 * GiB)] });
      for (let i = 0; i < samples.length; i += 50) {
        const res = await post(h.app, ingest, report(samples.slice(i, i + 50)), SAMPLES);
        expect(res.statusCode, res.body).toBe(200);
      }
    });

    it('BALF level: bytes, percent, growth without the clean-up, day of saturation and its history', async () => {
      const v = await view({ level: 'balf', id: A.toUpperCase() });
      const [a] = v.balfs!;
      const remaining = 2 * GiB - used(today);
      expect(a).toMatchObject({
        balf: A,
        usedBytes: used(today),
        limitBytes: 2 * GiB,
        percent: Math.round((used(today) / (2 * GiB)) * 1000) / 10,
        growthBytesPerDay: 20 * MiB,
        sampledAt: `${today}T07:00:00.000Z`,
        unknown: null,
      });
      expect(workingDaysAfter(today, a!.fullOn!, 'metropole')).toBe(Math.ceil(remaining / (20 * MiB)));
      expect(a!.daysLeft).toBe(Math.ceil(remaining / (20 * MiB)));
      expect(a!.history).toHaveLength(41);
      expect(a!.history!.at(-1)).toEqual({ day: today, percent: a!.percent });
      expect(v).toMatchObject({ level: 'balf', id: A, today, total: 1, above80: 0, above95: 0, unknown: 0 });
    });

    it('service level: every BALF closest to saturation first; 80 % exactly counts as « 80 % or more »', async () => {
      const v = await view({ level: 'service', id: '750001' });
      expect(v.balfs!.map((b) => b.balf)).toEqual([A, B]);
      expect(v.balfs![1]).toMatchObject({ percent: 80, growthBytesPerDay: 0, fullOn: null, daysLeft: null });
      expect(v).toMatchObject({ label: 'Service 750001', total: 2, above80: 1, above95: 0, unknown: 0 });
      const c = await view({ level: 'service', id: '750002' });
      expect(c.balfs).toEqual([
        expect.objectContaining({ balf: C, usedBytes: null, percent: null, unknown: 'not_given' }),
      ]);
      expect(c).toMatchObject({ total: 1, unknown: 1, above80: 0 });
    });

    it('department level: its services with their counts and their BALF closest to saturation', async () => {
      const v = await view({ level: 'department', id: '75' });
      expect(v.balfs).toBeUndefined();
      expect(v).toMatchObject({ total: 3, above80: 1, above95: 0, unknown: 1 });
      expect(
        v.children!.map((c) => [c.id, c.total, c.above80, c.above95, c.unknown, c.worst?.balf ?? null]),
      ).toEqual([
        ['750001', 2, 1, 0, 0, A],
        ['750002', 1, 0, 0, 1, null],
      ]);
      expect(v.closest!.map((b) => b.balf)).toEqual([A, B]);
      expect(v.series!.find((s) => s.day === today)).toEqual({
        day: today,
        known: 2,
        above80: 1,
        above95: 0,
      });
    });

    it('national level: departments, then the unattached BALFs; a full BALF counts at 80 and 95 %', async () => {
      const v = await view({ level: 'national' });
      expect(v.children!.map((c) => [c.id, c.total, c.above80, c.above95, c.unknown])).toEqual([
        ['75', 3, 1, 0, 1],
        ['974', 1, 1, 1, 0],
        // ordre, demarrage, racines (87.9 %), messages (MESSAGE quota only) and LOOSE, written above.
        ['unattached', 5, 1, 0, 1],
      ]);
      expect(v.closest![0]).toMatchObject({ balf: R, percent: 100, fullOn: today, daysLeft: 0 });
      const loose = await view({ level: 'department', id: 'unattached' });
      expect(loose.balfs!.find((b) => b.balf === LOOSE)).toMatchObject({ percent: 50 });
    });

    it('scope: a department user sees its department only; unknown nodes are 404, bad queries 400', async () => {
      const dept = await token(h.db, { level: 'department', code: '974' }, false);
      // Outside the scope answers as an unknown node would (nothing tells what exists elsewhere); the national
      // view always exists, so it is refused.
      expect((await get({ level: 'department', id: '75' }, dept)).statusCode).toBe(404);
      expect((await get({ level: 'national' }, dept)).statusCode).toBe(403);
      expect((await get({ level: 'balf', id: A }, dept)).statusCode).toBe(404);
      expect((await view({ level: 'department', id: '974' }, dept)).above95).toBe(1);
      expect((await get({ level: 'service', id: '999999' })).statusCode).toBe(404);
      const bad = await get({ level: 'region', id: 'x' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ error: 'invalid_query' });
      expect((await get({ level: 'service' })).json().details).toEqual([
        { path: 'id', message: 'identifiant requis au niveau service' },
      ]);
      expect((await get({ level: 'national', from: '2026-01-01' })).statusCode).toBe(400);
      // An ingest token reads nothing.
      expect((await get({ level: 'national' }, ingest)).statusCode).toBe(403);
    });

    it('CSV: the level, its children and every BALF with the JSON figures', async () => {
      const res = await get({ level: 'department', id: '75', format: 'csv' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/csv');
      expect(res.headers['content-disposition']).toContain(`suivi-balf-stockage-department-75-${today}.csv`);
      const lines = res.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n');
      expect(lines[0]).toMatch(/^Ligne;Niveau;Identifiant;Nom;Service;Département;Utilisé \(octets\)/);
      expect(lines[1]).toBe('total;département;75;Département 75;;;;;;;;;;;3;1;0;1');
      expect(lines.filter((l) => l.startsWith('sous-niveau'))).toHaveLength(2);
      const a = lines.find((l) => l.startsWith(`BALF;BALF;${A}`))!.split(';');
      const json = (await view({ level: 'balf', id: A })).balfs![0]!;
      expect(a.slice(4, 13)).toEqual([
        '750001',
        '75',
        String(json.usedBytes),
        String(2 * GiB),
        String(json.percent).replace('.', ','),
        String(20 * MiB),
        json.fullOn,
        String(json.daysLeft),
        json.sampledAt,
      ]);
      expect(lines.find((l) => l.startsWith(`BALF;BALF;${C}`))).toContain('non fourni');
    });

    it('a BALF with no reading for 30 days has no figure (no_report), never 0 %', async () => {
      const v = await view({ level: 'balf', id: 'jamais@dgfip.finances.gouv.fr' });
      expect(v.balfs).toEqual([
        expect.objectContaining({ percent: null, usedBytes: null, unknown: 'no_report', fullOn: null }),
      ]);
      expect(v).toMatchObject({ total: 1, unknown: 1, above80: 0 });
    });

    it('the retention purge removes readings before the horizon and keeps the rest', async () => {
      const before = (await rows('storage_days', A)).length;
      const purge = await purgeOlderThan(h.db, { days: 20, now: new Date(NOW) });
      expect(purge.storageReadings).toBeGreaterThan(0);
      const days = await rows('storage_days', A);
      expect(days.length).toBeLessThan(before);
      expect(days.every((d) => d.day >= purge.horizon)).toBe(true);
      const hours = await rows('storage_samples', A);
      expect(hours.every((r) => r.hour >= purge.horizon)).toBe(true);
      // A reading dated before the horizon is refused from then on.
      const at = `${addDays(purge.horizon, -1)}T12:00:00Z`;
      const old = await post(h.app, ingest, report([{ balf: A, at, quota: [storage(1, 2)] }]), SAMPLES);
      expect(old.json()).toMatchObject({ stored: 0, rejects: { purged_period: 1 } });
    });
  });
});
