// Spot-check summaries: POST with an ingest token (scope, idempotence), GET listing with a Wilson interval.
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpotCheckSummary } from '../../src/core/protocol.ts';
import { databaseKinds, harness, post, seedDirectory, token, type Harness } from './support.ts';

const PARIS = 'sip.paris1@dgfip.finances.gouv.fr';
const GPE = 'sip.pointe-a-pitre@dgfip.finances.gouv.fr';

function summary(balf: string, extra: Partial<SpotCheckSummary> = {}): SpotCheckSummary {
  return {
    schema: 1,
    id: randomUUID(),
    client: { id: 'client-a', addon: '0.1.0', thunderbird: '128.5' },
    balf,
    from: '2025-05-01',
    to: '2025-05-31',
    doneAt: '2025-06-03T09:00:00+02:00',
    seed: 'abc123',
    target: { id: 'marianne', workingDays: 5 },
    population: 400,
    sampleSize: 97,
    verdicts: { conforme: 87, non_conforme: 10, sans_objet: 0 },
    automatic: { answered_in_time: 85, answered_late: 9, pending: 0, overdue: 3 },
    disagreements: 4,
    ...extra,
  };
}

describe.each(databaseKinds)('spot-checks on %s', (kind) => {
  let h: Harness;
  let write75: string;
  beforeEach(async () => {
    h = await harness(kind);
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [PARIS] },
      { department: '971', region: 'guadeloupe', service: 'SIP-PAP', balfs: [GPE] },
    ]);
    write75 = await token(h.db, { level: 'department', code: '75' });
  });
  afterEach(async () => h.close());

  const list = async (bearer: string, query: Record<string, string>) =>
    h.app.inject({
      method: 'GET',
      url: '/api/v1/spot-checks',
      query,
      headers: { authorization: `Bearer ${bearer}` },
    });

  it('stores a summary once, lists it with its Wilson interval, within scope only', async () => {
    const s = summary(PARIS);
    const first = await post(h.app, write75, s, '/api/v1/spot-checks');
    expect(first.statusCode, first.body).toBe(201);
    const again = await post(h.app, write75, s, '/api/v1/spot-checks');
    expect([again.statusCode, again.json()]).toEqual([200, { id: s.id, replay: true }]);
    const reused = await post(h.app, write75, { ...s, balf: 'autre@x.fr' }, '/api/v1/spot-checks');
    expect(reused.statusCode).toBe(409);
    expect(reused.json().message, 'a reused id does not name the BALF it was first sent for').not.toContain(
      PARIS,
    );

    const read75 = await token(h.db, { level: 'department', code: '75' }, false);
    const res = await list(read75, { level: 'department', id: '75', from: '2025-05-15', to: '2025-06-15' });
    expect(res.statusCode, res.body).toBe(200);
    const [item] = res.json().spotChecks;
    expect(item).toMatchObject({
      id: s.id,
      balf: PARIS,
      sampleSize: 97,
      population: 400,
      verdicts: s.verdicts,
      automatic: s.automatic,
    });
    expect(item.rate).toBeCloseTo(87 / 97, 10);
    // domain-rules.md: 87/97 → [82.1 %, 94.3 %].
    expect(item.interval.lower).toBeCloseTo(0.821, 3);
    expect(item.interval.upper).toBeCloseTo(0.943, 3);
    // Outside the period, or another department: nothing / 404 (as an unknown department).
    expect(
      (await list(read75, { level: 'department', id: '75', from: '2025-06-01', to: '2025-06-30' })).json()
        .spotChecks,
    ).toEqual([]);
    expect(
      (await list(read75, { level: 'department', id: '971', from: '2025-05-01', to: '2025-05-31' }))
        .statusCode,
    ).toBe(404);
    expect((await list(read75, { level: 'national', from: '2025-05-31', to: '2025-05-01' })).statusCode).toBe(
      400,
    );
  });

  it("holds another department's summary in quarantine; refuses read tokens and invalid summaries", async () => {
    const held = summary(GPE);
    const other = await post(h.app, write75, held, '/api/v1/spot-checks');
    expect([other.statusCode, other.json()]).toEqual([
      202,
      { id: held.id, replay: false, quarantined: true },
    ]);
    expect(await h.db.selectFrom('spot_checks').selectAll().execute(), 'listed nowhere').toEqual([]);
    const read = await token(h.db, { level: 'national' }, false);
    expect((await post(h.app, read, summary(PARIS), '/api/v1/spot-checks')).statusCode).toBe(403);
    const bad = await post(h.app, write75, summary(PARIS, { sampleSize: 500 }), '/api/v1/spot-checks');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details).toEqual([
      { path: 'sampleSize', message: 'échantillon plus grand que la population' },
    ]);
    expect((await post(h.app, null, summary(PARIS), '/api/v1/spot-checks')).statusCode).toBe(401);
  });
});
