// GET /api/v1/backlog on SQLite and PostgreSQL: buckets, regions, past days as they stood, targets, scope, two-BALF rule, CSV.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  backlogAge,
  backlogAnswerSchema,
  backlogBucket,
  waitingOn,
  type BacklogAnswer,
} from '../../src/core/backlog.ts';
import { addDays, localDay, type Region } from '../../src/core/calendar.ts';
import { findTarget, DEFAULT_TARGETS } from '../../src/core/targets.ts';
import { saveTargets } from '../../src/server/config.ts';
import { seededRandom } from '../support/seeded-random.ts';
import {
  batch,
  databaseKinds,
  harness,
  newKey,
  post,
  seedDirectory,
  token,
  type Harness,
  type RecordInput,
} from './support.ts';

const PARIS = 'sip.paris1@dgfip.finances.gouv.fr';
const PARIS_2 = 'sie.paris2@dgfip.finances.gouv.fr';
const STRAS = 'sip.strasbourg@dgfip.finances.gouv.fr';
const REU = 'sip.saint-denis@dgfip.finances.gouv.fr';
const REU_2 = 'sie.saint-denis@dgfip.finances.gouv.fr';

/** Our CSV back into cells (no quoted separators in these fixtures). */
function parseCsv(text: string): string[][] {
  expect(text.startsWith('\uFEFF')).toBe(true);
  return text
    .slice(1)
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => l.split(';'));
}

/** A received usager message and, when `answeredAt` is given, the reply that answers it. */
function message(at: string, answeredAt?: string): RecordInput[] {
  const k = newKey();
  const out: RecordInput[] = [{ k, dir: 'in', at, cat: 'usager' }];
  if (answeredAt) out.push({ k: newKey(), dir: 'out', at: answeredAt, cat: 'reply', re: [k] });
  return out;
}

describe.each(databaseKinds)('backlog on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  beforeEach(async () => {
    h = await harness(kind, { now: '2025-07-16T10:00:00Z' }); // Wednesday, after 14 July
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [PARIS] },
      { department: '75', region: 'metropole', service: 'SIE-PARIS-2', balfs: [PARIS_2] },
      { department: '67', region: 'alsace-moselle', service: 'SIP-STRAS', balfs: [STRAS] },
      { department: '974', region: 'reunion', service: 'SIP-REU', balfs: [REU, REU_2] },
    ]);
    write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
  });
  afterEach(async () => h.close());

  const get = (query: Record<string, string>, bearer = read) =>
    h.app.inject({
      method: 'GET',
      url: '/api/v1/backlog',
      query,
      headers: { authorization: `Bearer ${bearer}` },
    });
  const backlog = async (query: Record<string, string>, bearer = read): Promise<BacklogAnswer> => {
    const res = await get(query, bearer);
    expect(res.statusCode, res.body).toBe(200);
    return backlogAnswerSchema.parse(res.json());
  };
  const upload = async (balf: string, records: RecordInput[]) => {
    const res = await post(h.app, write, batch(balf, records));
    expect(res.statusCode, res.body).toBe(200);
  };

  it('counts today’s waiting usager mail per bucket with the oldest age, at every level', async () => {
    await upload(PARIS, [
      ...message('2025-07-15T08:00:00Z'), // age 1: in time
      ...message('2025-07-09T08:00:00Z'), // 10, 11, (14 July), 15, 16 → age 4: due tomorrow
      ...message('2025-07-07T08:00:00Z'), // age 6: late
      ...message('2025-07-07T09:00:00Z', '2025-07-08T09:00:00Z'), // answered: not waiting
      { k: newKey(), dir: 'in', at: '2025-07-01T08:00:00Z', cat: 'interne' }, // not usager mail
    ]);
    await upload(PARIS_2, message('2025-07-16T07:00:00Z'));
    const balf = await backlog({ level: 'balf', id: PARIS });
    expect(balf).toMatchObject({
      asOf: '2025-07-16',
      target: { id: 'marianne', workingDays: 5 },
      buckets: { inTime: 1, dueSoon: 1, overdue: 1 },
      oldestAgeDays: 6,
      withheld: false,
      children: [],
    });
    const dep = await backlog({ level: 'department', id: '75' });
    expect(dep.buckets).toEqual({ inTime: 2, dueSoon: 1, overdue: 1 });
    expect(dep.children.map((c) => [c.id, c.buckets, c.oldestAgeDays])).toEqual([
      ['SIE-PARIS-2', { inTime: 1, dueSoon: 0, overdue: 0 }, 0],
      ['SIP-PARIS-1', { inTime: 1, dueSoon: 1, overdue: 1 }, 6],
    ]);
    const national = await backlog({ level: 'national' });
    expect(national.buckets).toEqual({ inTime: 2, dueSoon: 1, overdue: 1 });
    const byId = new Map(national.children.map((c) => [c.id, c]));
    expect(byId.get('75')).toMatchObject({ buckets: { inTime: 2, dueSoon: 1, overdue: 1 }, withheld: false });
    // One BALF in the Bas-Rhin: its aggregate is not published above the service level.
    expect(byId.get('67')).toMatchObject({ buckets: null, oldestAgeDays: null, withheld: true });
    expect(byId.get('974')).toMatchObject({
      buckets: { inTime: 0, dueSoon: 0, overdue: 0 },
      withheld: false,
    });
    expect((await backlog({ level: 'department', id: '67' })).withheld).toBe(true);
    expect((await backlog({ level: 'service', id: 'SIP-STRAS' })).withheld).toBe(false);
  });

  it('recomputes for another target and after a change of the targets', async () => {
    await upload(PARIS, [...message('2025-07-15T08:00:00Z'), ...message('2025-07-09T08:00:00Z')]);
    await upload(PARIS, message('2025-07-16T08:00:00Z'));
    expect((await backlog({ level: 'balf', id: PARIS, target: 'dgfip-48h' })).buckets).toEqual({
      inTime: 1, // age 0 < 1
      dueSoon: 1, // age 1 = target − 1
      overdue: 1, // age 4 > 2
    });
    await saveTargets(h.db, {
      targets: [{ id: 'j0', label: 'le jour même', workingDays: 0 }],
      primary: 'j0',
    });
    const strict = await backlog({ level: 'balf', id: PARIS });
    expect(strict.target).toEqual({ id: 'j0', workingDays: 0 });
    expect(strict.buckets).toEqual({ inTime: 0, dueSoon: 1, overdue: 2 });
  });

  it('takes a past day as it stood: later receipts absent, answers after it (idle days too) still waiting', async () => {
    // asOf Friday 11 July 2025: the next working day is Tuesday 15 (weekend, then 14 July).
    await upload(PARIS, [
      ...message('2025-07-10T08:00:00Z', '2025-07-12T09:00:00Z'), // answered Saturday: waiting on Friday
      ...message('2025-07-10T08:10:00Z', '2025-07-11T09:00:00Z'), // answered Friday: not waiting
      ...message('2025-07-10T08:20:00Z', '2025-07-14T09:00:00Z'), // answered on 14 July: waiting
      ...message('2025-07-10T08:30:00Z', '2025-07-15T09:00:00Z'), // answered Tuesday: waiting
      ...message('2025-07-10T08:40:00Z', '2025-07-11T21:00:00Z'), // 23:00 Paris on Friday: not waiting
      ...message('2025-07-14T08:00:00Z'), // received after asOf: absent
    ]);
    // 21:00 UTC Friday is 01:00 on Saturday in La Réunion: still waiting there on Friday.
    await upload(REU, message('2025-07-10T08:00:00Z', '2025-07-11T21:00:00Z'));
    const friday = await backlog({ level: 'balf', id: PARIS, asOf: '2025-07-11' });
    expect(friday.buckets).toEqual({ inTime: 3, dueSoon: 0, overdue: 0 });
    expect(friday.oldestAgeDays).toBe(1);
    expect((await backlog({ level: 'balf', id: REU, asOf: '2025-07-11' })).buckets).toEqual({
      inTime: 1,
      dueSoon: 0,
      overdue: 0,
    });
    const national = await backlog({ level: 'national', asOf: '2025-07-11' });
    expect(national.buckets).toEqual({ inTime: 4, dueSoon: 0, overdue: 0 });
    const saturday = await backlog({ level: 'service', id: 'SIP-PARIS-1', asOf: '2025-07-12' });
    expect(saturday.buckets).toEqual({ inTime: 2, dueSoon: 0, overdue: 0 });
    expect((await backlog({ level: 'balf', id: PARIS, asOf: '2025-07-09' })).buckets).toEqual({
      inTime: 0,
      dueSoon: 0,
      overdue: 0,
    });
  });

  it('agrees with the records read one by one, on every day of a month and every level', async () => {
    const random = seededRandom(26);
    const balfs: [string, Region][] = [
      [PARIS, 'metropole'],
      [PARIS_2, 'metropole'],
      [STRAS, 'alsace-moselle'],
      [REU, 'reunion'],
      [REU_2, 'reunion'],
    ];
    const truth: { balf: string; region: Region; day: string; answerDay: string | null }[] = [];
    const start = Date.parse('2025-04-01T00:00:00Z');
    for (const [balf, region] of balfs) {
      const records: RecordInput[] = [];
      for (let i = 0; i < 40; i++) {
        const at = new Date(start + Math.floor(random() * 100 * 86_400_000));
        const answered =
          random() < 0.75 ? new Date(at.getTime() + Math.floor(random() * 12 * 86_400_000)) : undefined;
        const late =
          answered && answered.getTime() > Date.parse('2025-07-16T09:00:00Z') ? undefined : answered;
        records.push(...message(at.toISOString(), late?.toISOString()));
        truth.push({
          balf,
          region,
          day: localDay(at, region),
          answerDay: late ? localDay(late, region) : null,
        });
      }
      await upload(balf, records);
    }
    const marianne = findTarget(DEFAULT_TARGETS, 'marianne');
    const expected = (asOf: string, keep: (b: string) => boolean) => {
      const buckets = { inTime: 0, dueSoon: 0, overdue: 0 };
      for (const m of truth) {
        if (!keep(m.balf) || !waitingOn(m.day, m.answerDay, asOf)) continue;
        buckets[backlogBucket(backlogAge(m.day, asOf, m.region)!, marianne)]++;
      }
      return buckets;
    };
    for (let asOf = '2025-04-25'; asOf <= '2025-05-26'; asOf = addDays(asOf, 1)) {
      expect((await backlog({ level: 'national', asOf })).buckets, asOf).toEqual(expected(asOf, () => true));
      expect((await backlog({ level: 'department', id: '974', asOf })).buckets, asOf).toEqual(
        expected(asOf, (b) => b === REU || b === REU_2),
      );
      expect((await backlog({ level: 'balf', id: STRAS, asOf })).buckets, asOf).toEqual(
        expected(asOf, (b) => b === STRAS),
      );
    }
  });

  it('answers the same figures in CSV', async () => {
    await upload(PARIS, [...message('2025-07-07T08:00:00Z'), ...message('2025-07-15T08:00:00Z')]);
    const json = await backlog({ level: 'national' });
    const res = await get({ level: 'national', format: 'csv' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="suivi-balf-a-traiter-national-national-2025-07-16.csv"',
    );
    const rows = parseCsv(res.body);
    expect(rows[0]!.slice(5, 10)).toEqual([
      'Dans le délai',
      'À échéance',
      'En retard',
      'Plus ancien (jours ouvrés)',
      'Masqué (moins de deux BALF)',
    ]);
    expect(rows[1]!.slice(0, 10)).toEqual([
      'total',
      'national',
      'national',
      'National',
      '2025-07-16',
      '1',
      '0',
      '1',
      '6',
      'non',
    ]);
    expect(rows.slice(2).map((r) => [r[2], r[5], r[7], r[9]])).toEqual(
      json.children.map((c) => [
        c.id,
        String(c.buckets?.inTime ?? ''),
        String(c.buckets?.overdue ?? ''),
        c.withheld ? 'oui' : 'non',
      ]),
    );
  });

  it('refuses bad parameters with their reason, and nodes out of scope as unknown', async () => {
    const bad = async (query: Record<string, string>, path: string, pattern: RegExp) => {
      const res = await get(query);
      expect(res.statusCode, res.body).toBe(400);
      const body = res.json() as { error: string; details: { path: string; message: string }[] };
      expect(body.error).toBe('invalid_query');
      expect(body.details.find((d) => d.path === path)?.message).toMatch(pattern);
    };
    await bad({ level: 'national', asOf: '2025-07-18' }, 'asOf', /jour à venir/);
    await bad({ level: 'national', asOf: '2025-02-30' }, 'asOf', /date invalide/);
    await bad({ level: 'national', asOf: '1850-01-01' }, 'asOf', /hors du calendrier/);
    await bad({ level: 'national', target: 'nope' }, 'target', /cible inconnue « nope »/);
    await bad({ level: 'service' }, 'id', /identifiant requis/);
    await bad({ level: 'région' }, 'level', /niveau inconnu/);
    await bad({ level: 'national', extra: '1' }, '(racine)', /.+/);
    // Réunion is already on Thursday when Paris is on Wednesday evening: that day is allowed.
    h.now.value = new Date('2025-07-16T21:00:00Z');
    expect((await backlog({ level: 'balf', id: REU, asOf: '2025-07-17' })).asOf).toBe('2025-07-17');
    expect((await backlog({ level: 'balf', id: REU })).asOf).toBe('2025-07-17');
    expect((await backlog({ level: 'balf', id: PARIS })).asOf).toBe('2025-07-16');

    const paris = await token(h.db, { level: 'department', code: '75' }, false);
    expect((await get({ level: 'department', id: '974' }, paris)).statusCode).toBe(404);
    expect((await get({ level: 'department', id: '9999' }, paris)).statusCode).toBe(404);
    expect((await get({ level: 'balf', id: REU }, paris)).statusCode).toBe(404);
    expect((await get({ level: 'national' }, paris)).statusCode).toBe(403);
    expect((await get({ level: 'national' }, write)).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/backlog?level=national' })).statusCode).toBe(
      401,
    );
    expect((await backlog({ level: 'department', id: '75' }, paris)).children).toHaveLength(2);
  });
});
