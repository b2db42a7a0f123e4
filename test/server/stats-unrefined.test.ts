// Provisional figures on SQLite and PostgreSQL: `unrefined` (received mail classified without its headers)
// at every level — totals, series and children — and in the CSV export.
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { statsAnswerSchema, type StatsAnswer } from '../../src/core/protocol.ts';
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
  type RecordInput,
} from './support.ts';

const PARIS = 'sip.paris1@dgfip.finances.gouv.fr';
const PARIS_2 = 'sie.paris2@dgfip.finances.gouv.fr';
const GPE = 'sip.pointe-a-pitre@dgfip.finances.gouv.fr';
const UNKNOWN = 'inconnue@dgfip.finances.gouv.fr';

const received = (at: string, cat: 'usager' | 'auto' | 'interne', hdr?: true): RecordInput => ({
  k: newKey(),
  dir: 'in',
  at,
  cat,
  ...(hdr ? { hdr } : {}),
});

describe.each(databaseKinds)('unrefined figures on %s', (kind) => {
  let h: Harness;
  let read: string;
  beforeAll(async () => {
    h = await harness(kind, { now: '2025-06-30T10:00:00Z' });
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [PARIS] },
      { department: '75', region: 'metropole', service: 'SIE-PARIS-2', balfs: [PARIS_2] },
      { department: '971', region: 'guadeloupe', service: 'SIP-PAP', balfs: [GPE] },
    ]);
    const write = await token(h.db, { level: 'national' });
    read = await token(h.db, { level: 'national' }, false);
    const send = async (balf: string, records: RecordInput[]) => {
      const res = await post(h.app, write, batch(balf, records, { schema: 2 }));
      expect(res.statusCode, res.body).toBe(200);
    };
    const later = received('2025-06-02T09:00:00Z', 'usager');
    await send(PARIS, [
      received('2025-06-02T08:00:00Z', 'usager'),
      received('2025-06-02T08:10:00Z', 'usager'),
      later,
      received('2025-06-02T08:20:00Z', 'auto', true),
      received('2025-06-02T08:30:00Z', 'usager', true),
      received('2025-06-10T08:00:00Z', 'interne'),
      // Sent mail is never provisional.
      { k: newKey(), dir: 'out', at: '2025-06-03T08:00:00Z', cat: 'reply', re: [later.k] },
    ]);
    // Another workstation refines one of them: still usager, now classified with its headers.
    await send(PARIS, [{ ...later, hdr: true }]);
    await send(PARIS_2, [
      received('2025-06-03T08:00:00Z', 'usager'),
      received('2025-06-03T08:00:00Z', 'auto', true),
    ]);
    await send(GPE, [
      received('2025-06-02T12:00:00Z', 'usager', true),
      received('2025-06-02T13:00:00Z', 'auto', true),
    ]);
    await send(UNKNOWN, [received('2025-06-05T08:00:00Z', 'usager')]);
  });
  afterAll(async () => h.close());

  const stats = async (query: Record<string, string>): Promise<StatsAnswer> => {
    const res = await getStats(h.app, read, { from: '2025-06-01', to: '2025-06-30', ...query });
    expect(res.statusCode, res.body).toBe(200);
    return statsAnswerSchema.parse(res.json());
  };
  const children = (a: StatsAnswer) => Object.fromEntries(a.children.map((c) => [c.id, c.unrefined]));
  const series = (a: StatsAnswer) =>
    Object.fromEntries(a.series.filter((s) => s.unrefined > 0).map((s) => [s.period, s.unrefined]));

  it('national: from the department rollups', async () => {
    const a = await stats({ level: 'national', granularity: 'week' });
    expect(a.totals).toMatchObject({ received: 11, unrefined: 5 });
    expect(children(a)).toEqual({ '75': 4, '971': 0, unattached: 1 });
    expect(series(a)).toEqual({ '2025-06-02': 4, '2025-06-09': 1 });
  });

  it('department, service and BALF: from the BALF rollups', async () => {
    const department = await stats({ level: 'department', id: '75', granularity: 'week' });
    expect(department.totals.unrefined).toBe(4);
    expect(children(department)).toEqual({ 'SIP-PARIS-1': 3, 'SIE-PARIS-2': 1 });
    expect(series(department)).toEqual({ '2025-06-02': 3, '2025-06-09': 1 });
    const service = await stats({ level: 'service', id: 'SIP-PARIS-1', granularity: 'month' });
    expect(service.totals.unrefined).toBe(3);
    expect(children(service)).toEqual({ [PARIS]: 3 });
    const balf = await stats({ level: 'balf', id: PARIS, granularity: 'day' });
    expect(balf.totals).toMatchObject({ received: 6, unrefined: 3 });
    expect(series(balf)).toEqual({ '2025-06-02': 2, '2025-06-10': 1 });
    expect((await stats({ level: 'department', id: '971' })).totals.unrefined).toBe(0);
  });

  it('unattached BALFs', async () => {
    const a = await stats({ level: 'department', id: 'unattached' });
    expect(a.totals.unrefined).toBe(1);
    expect(children(a)).toEqual({ [UNKNOWN]: 1 });
  });

  it('in the CSV export, in its column after the target, every row', async () => {
    const query = { level: 'national', granularity: 'week' };
    const json = await stats(query);
    const res = await getStats(h.app, read, {
      from: '2025-06-01',
      to: '2025-06-30',
      ...query,
      format: 'csv',
    });
    // The figures' section (the spot-checks follow after an empty line).
    const [header, ...rows] = res.body
      .slice(1)
      .split('\r\n\r\n')[0]!
      .split('\r\n')
      .filter((line) => line !== '')
      .map((line) => line.split(';'));
    // Appended after « Cible (jours ouvrés) », before the columns that came later.
    const column = header!.indexOf('Cible (jours ouvrés)') + 1;
    expect(header![column]).toBe('Reçus à vérifier (classement provisoire)');
    expect(rows.map((r) => Number(r[column]))).toEqual(
      [json.totals, ...json.series, ...json.children].map((m) => m.unrefined),
    );
  });
});
