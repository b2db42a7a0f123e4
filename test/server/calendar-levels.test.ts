// Calendar overlays at every level on SQLite and PostgreSQL: a declaration of any scope judges unanswered
// mail (stats pending/overdue, backlog ages) alike at BALF, service, department and national level, and
// every level adds up (sum of children = parent), today and on past days read against the records.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backlogAge, backlogAnswerSchema, backlogBucket, waitingOn } from '../../src/core/backlog.ts';
import { addDays, localDay, resolveOverlays, type Region } from '../../src/core/calendar.ts';
import { DEFAULT_TARGETS, findTarget } from '../../src/core/targets.ts';
import { seededRandom } from '../support/seeded-random.ts';
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
  type RecordInput,
} from './support.ts';

const PARIS_A = 'sip.paris-a@dgfip.finances.gouv.fr';
const PARIS_B = 'sie.paris-b@dgfip.finances.gouv.fr';
const LYON = 'sip.lyon@dgfip.finances.gouv.fr';
const LYON_2 = 'sie.lyon@dgfip.finances.gouv.fr';
const REU = 'sip.saint-denis@dgfip.finances.gouv.fr';
const REU_2 = 'sie.saint-denis@dgfip.finances.gouv.fr';

/** Each BALF's place, as the directory below says. */
const PLACES: Record<string, { region: Region; department: string; service: string }> = {
  [PARIS_A]: { region: 'metropole', department: '75', service: 'S75A' },
  [PARIS_B]: { region: 'metropole', department: '75', service: 'S75B' },
  [LYON]: { region: 'metropole', department: '69', service: 'S69' },
  [LYON_2]: { region: 'metropole', department: '69', service: 'S69' },
  [REU]: { region: 'reunion', department: '974', service: 'S974A' },
  [REU_2]: { region: 'reunion', department: '974', service: 'S974B' },
};

/** Closures and openings of every scope kind, around the end of June 2025. */
const DECLARATIONS = [
  { scope: 'service:S75A', day: '2025-06-24', state: 'closed' },
  { scope: 'service:S75A', day: '2025-06-25', state: 'closed' },
  { scope: 'department:69', day: '2025-06-28', state: 'open' },
  { scope: 'service:S974B', day: '2025-06-26', state: 'closed' },
  { scope: 'region:reunion', day: '2025-06-19', state: 'closed' },
  { scope: 'nation', day: '2025-06-13', state: 'closed' },
  { scope: 'service:S75B', day: '2025-06-13', state: 'open' },
] as const;

const unanswered = (at: string): RecordInput[] => [{ k: newKey(), dir: 'in', at, cat: 'usager' }];

describe.each(databaseKinds)('calendar overlays at every level on %s', (kind) => {
  let h: Harness;
  let write: string;
  let read: string;
  beforeEach(async () => {
    h = await harness(kind, { now: '2025-06-30T10:00:00Z' }); // Monday
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'S75A', balfs: [PARIS_A] },
      { department: '75', region: 'metropole', service: 'S75B', balfs: [PARIS_B] },
      { department: '69', region: 'metropole', service: 'S69', balfs: [LYON, LYON_2] },
      { department: '974', region: 'reunion', service: 'S974A', balfs: [REU] },
      { department: '974', region: 'reunion', service: 'S974B', balfs: [REU_2] },
    ]);
    write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
  });
  afterEach(async () => h.close());

  const upload = async (balf: string, records: RecordInput[]) => {
    const res = await post(h.app, write, batch(balf, records));
    expect(res.statusCode, res.body).toBe(200);
  };
  const declare = async () => {
    const admin = await userSession(h, 'admin', { level: 'national' });
    const res = await admin.send('POST', '/api/v1/calendar/overlays', {
      overlays: DECLARATIONS.map((d) => ({ ...d, label: 'Fermeture', source: 'Note de service' })),
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const backlog = async (query: Record<string, string>) => {
    const res = await h.app.inject({
      method: 'GET',
      url: '/api/v1/backlog',
      query,
      headers: { authorization: `Bearer ${read}` },
    });
    expect(res.statusCode, res.body).toBe(200);
    return backlogAnswerSchema.parse(res.json());
  };
  type Split = { pending: number; overdue: number };
  const stats = async (level: string, id?: string) => {
    const r = await getStats(h.app, read, {
      level,
      ...(id ? { id } : {}),
      from: '2025-06-01',
      to: '2025-06-30',
      granularity: 'week',
    });
    expect(r.statusCode, r.body).toBe(200);
    const answer = r.json<{
      totals: Split;
      series: Split[];
      children: ({ id: string } & Split)[];
    }>();
    const split = (m: Split) => `${m.pending}/${m.overdue}`;
    const sum = (ms: Split[]) =>
      split(
        ms.reduce((a, m) => ({ pending: a.pending + m.pending, overdue: a.overdue + m.overdue }), {
          pending: 0,
          overdue: 0,
        }),
      );
    return {
      totals: split(answer.totals),
      series: sum(answer.series),
      children: answer.children.length === 0 ? null : sum(answer.children),
      byChild: Object.fromEntries(answer.children.map((c) => [c.id, split(c)])),
    };
  };

  it('splits pending and overdue with a service’s own declarations at national level too, every level adding up', async () => {
    await upload(PARIS_A, unanswered('2025-06-20T08:00:00Z')); // 6 working days by law, 4 with S75A's closures
    await upload(PARIS_B, unanswered('2025-06-20T08:00:00Z')); // 6: overdue
    await upload(LYON, unanswered('2025-06-23T08:00:00Z')); // 5 by law, 6 with the Saturday open: overdue
    await upload(LYON_2, unanswered('2025-06-23T08:00:00Z'));
    await upload(REU_2, unanswered('2025-06-20T08:00:00Z')); // 6 by law (Réunion time), 5 with 26 June closed
    await declare();
    expect(await stats('balf', PARIS_A)).toMatchObject({ totals: '1/0', series: '1/0' });
    expect(await stats('service', 'S75A')).toMatchObject({ totals: '1/0', children: '1/0' });
    const paris = await stats('department', '75');
    expect(paris).toEqual({
      totals: '1/1',
      series: '1/1',
      children: '1/1',
      byChild: { S75A: '1/0', S75B: '0/1' },
    });
    const reunion = await stats('department', '974');
    expect(reunion).toMatchObject({ totals: '1/0', children: '1/0' });
    const national = await stats('national');
    expect(national).toEqual({
      totals: '2/3',
      series: '2/3',
      children: '2/3',
      byChild: { '69': '0/2', '75': '1/1', '974': '1/0', unattached: '0/0' },
    });

    // The backlog judges the same ages: 4 (due soon), 6, 6, 6 and 5 (due soon).
    const nationalBacklog = await backlog({ level: 'national' });
    expect(nationalBacklog.buckets).toEqual({ inTime: 0, dueSoon: 2, overdue: 3 });
    expect(
      Object.fromEntries(nationalBacklog.children.map((c) => [c.id, c.buckets && Object.values(c.buckets)])),
    ).toEqual({ '69': [0, 0, 2], '75': [0, 1, 1], '974': [0, 1, 0], unattached: null });
    expect((await backlog({ level: 'balf', id: PARIS_A })).oldestAgeDays).toBe(4);
  });

  it('agrees with the records read one by one with the declared days, on every day and every level', async () => {
    const random = seededRandom(28);
    const truth: { balf: string; day: string; answerDay: string | null }[] = [];
    const start = Date.parse('2025-06-01T00:00:00Z');
    for (const balf of Object.keys(PLACES)) {
      const { region } = PLACES[balf]!;
      const records: RecordInput[] = [];
      for (let i = 0; i < 30; i++) {
        const at = new Date(start + Math.floor(random() * 29 * 86_400_000));
        const k = newKey();
        records.push({ k, dir: 'in', at: at.toISOString(), cat: 'usager' });
        let answerDay: string | null = null;
        if (random() < 0.7) {
          const answered = new Date(at.getTime() + Math.floor(random() * 9 * 86_400_000));
          if (answered.getTime() < Date.parse('2025-06-30T09:00:00Z')) {
            records.push({ k: newKey(), dir: 'out', at: answered.toISOString(), cat: 'reply', re: [k] });
            answerDay = localDay(answered, region);
          }
        }
        truth.push({ balf, day: localDay(at, region), answerDay });
      }
      await upload(balf, records);
    }
    await declare();
    const marianne = findTarget(DEFAULT_TARGETS, 'marianne');
    const overrides = new Map(
      Object.entries(PLACES).map(([balf, place]) => [balf, resolveOverlays(DECLARATIONS, place)]),
    );
    const expected = (asOf: string, keep: (balf: string) => boolean) => {
      const buckets = { inTime: 0, dueSoon: 0, overdue: 0 };
      for (const m of truth) {
        if (!keep(m.balf) || !waitingOn(m.day, m.answerDay, asOf)) continue;
        const age = backlogAge(m.day, asOf, PLACES[m.balf]!.region, { overrides: overrides.get(m.balf) });
        buckets[backlogBucket(age!, marianne)]++;
      }
      return buckets;
    };
    const inDepartment = (code: string) => (b: string) => PLACES[b]!.department === code;
    for (let asOf = '2025-06-10'; asOf <= '2025-06-30'; asOf = addDays(asOf, 1)) {
      const national = await backlog({ level: 'national', asOf });
      expect(national.buckets, asOf).toEqual(expected(asOf, () => true));
      for (const code of ['75', '69', '974']) {
        const child = national.children.find((c) => c.id === code)!;
        expect(child.buckets, `${asOf} ${code}`).toEqual(expected(asOf, inDepartment(code)));
      }
      expect((await backlog({ level: 'department', id: '75', asOf })).buckets, asOf).toEqual(
        expected(asOf, inDepartment('75')),
      );
      expect((await backlog({ level: 'service', id: 'S974B', asOf })).buckets, asOf).toEqual(
        expected(asOf, (b) => b === REU_2),
      );
    }
    // Today's pending/overdue split adds up at every level with these declarations.
    const national = await stats('national');
    expect(national.children).toBe(national.totals);
    expect(national.series).toBe(national.totals);
    for (const code of ['75', '69', '974']) {
      const dep = await stats('department', code);
      expect(dep.totals).toBe(national.byChild[code]);
      expect(dep.children).toBe(dep.totals);
    }
  });
});
