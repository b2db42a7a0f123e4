// POST /api/v1/tallies on SQLite and PostgreSQL: auth, every 4xx, idempotence, dedup across clients, reply pairing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  batch,
  databaseKinds,
  harness,
  newKey,
  post,
  seedDirectory,
  token,
  type Harness,
} from './support.ts';

const BALF = 'sip.paris1@dgfip.finances.gouv.fr';
const BALF_971 = 'sip.pointe-a-pitre@dgfip.finances.gouv.fr';

describe.each(databaseKinds)('ingest on %s', (kind) => {
  let h: Harness;
  let write75: string;
  beforeEach(async () => {
    h = await harness(kind, { rateLimit: { max: 1000, timeWindowMs: 60_000 } });
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP-PARIS-1', balfs: [BALF] },
      { department: '971', region: 'guadeloupe', service: 'SIP-PAP', balfs: [BALF_971] },
    ]);
    write75 = await token(h.db, { level: 'department', code: '75' });
  });
  afterEach(async () => h.close());

  const flows = async () =>
    (
      await h.db
        .selectFrom('daily_flows')
        .select(['balf', 'day', 'dir', 'cat', 'count'])
        .orderBy('balf')
        .orderBy('day')
        .orderBy('dir')
        .orderBy('cat')
        .execute()
    ).map((r) => ({
      ...r,
      count: Number(r.count),
    }));

  it('stores a batch and answers accepted/duplicates/rejected', async () => {
    const res = await post(
      h.app,
      write75,
      batch(BALF, [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    expect(await flows()).toEqual([{ balf: BALF, day: '2025-06-02', dir: 'in', cat: 'usager', count: 1 }]);
  });

  it('refuses missing, unknown and read-only tokens (401/403)', async () => {
    const body = batch(BALF, [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]);
    const none = await post(h.app, null, body);
    expect(none.statusCode).toBe(401);
    expect(none.json().message).toMatch(/Authentification requise/);
    expect((await post(h.app, 'sbt_nope', body)).statusCode).toBe(401);
    const read = await token(h.db, { level: 'national' }, false);
    const ro = await post(h.app, read, body);
    expect(ro.statusCode).toBe(403);
    expect(await flows()).toEqual([]);
  });

  it("holds a department token's batch for another department's or an unknown BALF; a national token's unknown BALF counts", async () => {
    const other = await post(
      h.app,
      write75,
      batch(BALF_971, [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
    );
    expect([other.statusCode, other.json()]).toEqual([
      200,
      { accepted: 0, duplicates: 0, rejected: 0, quarantined: 1 },
    ]);
    const unknown = await post(
      h.app,
      write75,
      batch('Inconnue@Example.FR', [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'auto' }]),
    );
    expect([unknown.statusCode, unknown.json()]).toEqual([
      200,
      { accepted: 0, duplicates: 0, rejected: 0, quarantined: 1 },
    ]);
    expect(await flows(), 'held batches count nowhere').toEqual([]);
    const national = await token(h.db, { level: 'national' });
    const counted = await post(
      h.app,
      national,
      batch('Inconnue@Example.FR', [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'auto' }]),
    );
    expect(counted.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 0 });
    expect(await flows()).toEqual([
      { balf: 'inconnue@example.fr', day: '2025-06-02', dir: 'in', cat: 'auto', count: 1 },
    ]);
  });

  it('answers 400 with the failing paths', async () => {
    const res = await post(h.app, write75, {
      ...batch(BALF, [{ k: 'short', dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'reply' }]),
      extra: 1,
    });
    expect(res.statusCode).toBe(400);
    const paths = res.json().details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['records.0.k', '(racine)']));
    const cat = await post(
      h.app,
      write75,
      batch(BALF, [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'reply' }]),
    );
    expect(cat.json().details).toEqual([
      { path: 'records.0.cat', message: 'catégorie « reply » impossible pour dir=in' },
    ]);
    const json = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tallies',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${write75}` },
      payload: '{"schema":',
    });
    expect(json.statusCode).toBe(400);
    expect(json.json().error).toBe('invalid_json');
  });

  it('answers 413 over 1 MB and 415 for anything but JSON', async () => {
    const big = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tallies',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${write75}` },
      payload: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json().message).toMatch(/1 Mo/);
    const text = await h.app.inject({
      method: 'POST',
      url: '/api/v1/tallies',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${write75}` },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().message).toContain('application/json');
  });

  it('replays a batchId with the stored answer; 409 when reused for another BALF', async () => {
    const k = newKey();
    const body = batch(BALF, [
      { k, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
      { k, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
    ]);
    const first = await post(h.app, write75, body);
    expect(first.json()).toEqual({ accepted: 1, duplicates: 1, rejected: 0 });
    const again = await post(h.app, write75, body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ accepted: 1, duplicates: 1, rejected: 0 });
    expect(await flows()).toEqual([{ balf: BALF, day: '2025-06-02', dir: 'in', cat: 'usager', count: 1 }]);
    const national = await token(h.db, { level: 'national' });
    const conflict = await post(h.app, national, { ...body, balf: BALF_971 });
    expect(conflict.statusCode).toBe(409);
    expect(conflict.json().error).toBe('batch_conflict');
  });

  it('three clients with overlapping records give exact counts', async () => {
    const keys = Array.from({ length: 30 }, () => newKey());
    const rec = (i: number) => ({
      k: keys[i]!,
      dir: 'in' as const,
      at: `2025-06-0${2 + (i % 3)}T09:00:00Z`,
      cat: 'usager' as const,
    });
    const a = await post(
      h.app,
      write75,
      batch(
        BALF,
        keys.slice(0, 20).map((_, i) => rec(i)),
        { client: { id: 'a', addon: '1', thunderbird: '128' } },
      ),
    );
    const b = await post(
      h.app,
      write75,
      batch(
        BALF,
        keys.slice(10, 30).map((_, i) => rec(i + 10)),
        { client: { id: 'b', addon: '1', thunderbird: '128' } },
      ),
    );
    const c = await post(
      h.app,
      write75,
      batch(
        BALF,
        keys.slice(5, 25).map((_, i) => rec(i + 5)),
        { client: { id: 'c', addon: '1', thunderbird: '128' } },
      ),
    );
    expect([a.json(), b.json(), c.json()]).toEqual([
      { accepted: 20, duplicates: 0, rejected: 0 },
      { accepted: 10, duplicates: 10, rejected: 0 },
      { accepted: 0, duplicates: 20, rejected: 0 },
    ]);
    expect((await flows()).map((f) => [f.day, f.count])).toEqual([
      ['2025-06-02', 10],
      ['2025-06-03', 10],
      ['2025-06-04', 10],
    ]);
  });

  it('pairs a reply sent from another client, and a reply that arrives before its receipt', async () => {
    const question = newKey();
    const reply = newKey();
    // Client A saw the receipt on Monday; client B sent the reply on Wednesday.
    await post(
      h.app,
      write75,
      batch(BALF, [{ k: question, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
    );
    await post(
      h.app,
      write75,
      batch(BALF, [{ k: reply, dir: 'out', at: '2025-06-04T15:00:00Z', cat: 'reply', re: [question] }], {
        client: { id: 'b', addon: '1', thunderbird: '128' },
      }),
    );
    // The reply is reported first this time; the receipt comes later from another client.
    const q2 = newKey();
    await post(
      h.app,
      write75,
      batch(BALF, [{ k: newKey(), dir: 'out', at: '2025-06-10T09:00:00Z', cat: 'reply', re: [q2] }]),
    );
    await post(
      h.app,
      write75,
      batch(BALF, [{ k: q2, dir: 'in', at: '2025-06-03T08:00:00Z', cat: 'usager' }]),
    );
    // An unanswered one.
    await post(
      h.app,
      write75,
      batch(BALF, [{ k: newKey(), dir: 'in', at: '2025-06-03T09:00:00Z', cat: 'usager' }]),
    );
    const rows = await h.db.selectFrom('daily_replies').selectAll().orderBy('day').orderBy('delay').execute();
    expect(rows.map((r) => [r.day, Number(r.delay), Number(r.count)])).toEqual([
      ['2025-06-02', 2, 1],
      ['2025-06-03', -1, 1],
      // 3 June → 10 June: 4, 5, 6, (9 = Whit Monday, a holiday), 10 → 4 working days.
      ['2025-06-03', 4, 1],
    ]);
    const answered = await h.db
      .selectFrom('records')
      .select(['key', 'answered_at'])
      .where('key', '=', question)
      .executeTakeFirstOrThrow();
    expect(answered.answered_at).toBe('2025-06-04T15:00:00.000Z');
  });

  it('moves a received message to an earlier answer when one arrives later', async () => {
    const q = newKey();
    await post(h.app, write75, batch(BALF, [{ k: q, dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]));
    await post(
      h.app,
      write75,
      batch(BALF, [{ k: newKey(), dir: 'out', at: '2025-06-06T08:00:00Z', cat: 'reply', re: [q] }]),
    );
    await post(
      h.app,
      write75,
      batch(BALF, [{ k: newKey(), dir: 'out', at: '2025-06-02T16:00:00Z', cat: 'reply', re: [q] }]),
    );
    const rows = await h.db.selectFrom('daily_replies').selectAll().execute();
    expect(rows.map((r) => [r.day, Number(r.delay), Number(r.count)])).toEqual([['2025-06-02', 0, 1]]);
  });

  it('keeps exact counts under concurrent batches for BALFs of one department', async () => {
    const balfs = ['c1@dgfip.finances.gouv.fr', 'c2@dgfip.finances.gouv.fr', 'c3@dgfip.finances.gouv.fr'];
    await h.db
      .insertInto('balfs')
      .values(balfs.map((address) => ({ address, service_code: 'SIP-PARIS-1' })))
      .execute();
    const keys = balfs.map(() => Array.from({ length: 120 }, () => newKey()));
    const sends = [];
    for (let client = 0; client < 4; client++) {
      for (const [i, balf] of balfs.entries()) {
        // Each client reports 90 of the 120 keys (overlapping windows), spread over 10 days.
        const recs = keys[i]!.slice(client * 10, client * 10 + 90).map((k, j) => ({
          k,
          dir: 'in' as const,
          at: `2025-06-${String(2 + (j % 10)).padStart(2, '0')}T09:00:00Z`,
          cat: 'usager' as const,
        }));
        sends.push(post(h.app, write75, batch(balf, recs)));
      }
    }
    const answers = await Promise.all(sends);
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));
    expect(answers.reduce((n, a) => n + a.json().accepted, 0)).toBe(3 * 120);
    const sum = async (
      table: 'daily_flows' | 'department_daily_flows' | 'daily_replies' | 'department_daily_replies',
    ) =>
      Number(
        (
          await h.db
            .selectFrom(table)
            .select((eb) => eb.fn.sum<number>('count').as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect([await sum('daily_flows'), await sum('department_daily_flows')]).toEqual([360, 360]);
    expect([await sum('daily_replies'), await sum('department_daily_replies')]).toEqual([360, 360]);
  });

  it('computes the day in the BALF time zone (Guadeloupe)', async () => {
    const national = await token(h.db, { level: 'national' });
    await post(
      h.app,
      national,
      batch(BALF_971, [{ k: newKey(), dir: 'in', at: '2025-03-10T02:30:00Z', cat: 'usager' }]),
    );
    expect((await flows()).map((f) => f.day)).toEqual(['2025-03-09']);
  });

  it('stores every instant as UTC with milliseconds, whatever offset or precision it was sent with', async () => {
    const sent = [
      '2025-06-02T08:00:00.000Z', // what the add-on sends: kept as is
      '2025-06-02T10:00:00+02:00',
      '2025-06-02T08:00:01Z',
      '2025-06-02T08:00:02.5Z',
      '2025-06-02T08:00:03.123456Z',
      '2025-06-02T03:00:04.000-05:00',
    ];
    const records = sent.map((at) => ({ k: newKey(), dir: 'in' as const, at, cat: 'usager' as const }));
    const res = await post(h.app, write75, batch(BALF, records));
    expect(res.json()).toMatchObject({ accepted: 6, rejected: 0 });
    const stored = await h.db.selectFrom('records').select(['key', 'at', 'day']).execute();
    const byKey = new Map(stored.map((r) => [r.key, r]));
    expect(records.map((r) => byKey.get(r.k)?.at)).toEqual([
      '2025-06-02T08:00:00.000Z',
      '2025-06-02T08:00:00.000Z',
      '2025-06-02T08:00:01.000Z',
      '2025-06-02T08:00:02.500Z',
      '2025-06-02T08:00:03.123Z',
      '2025-06-02T08:00:04.000Z',
    ]);
    expect(new Set(stored.map((r) => r.day))).toEqual(new Set(['2025-06-02']));
  });

  it('rejects records dated far in the future, one by one', async () => {
    const res = await post(
      h.app,
      write75,
      batch(BALF, [
        { k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' },
        { k: newKey(), dir: 'in', at: '2030-01-01T08:00:00Z', cat: 'usager' },
      ]),
    );
    expect(res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: 1 });
  });
});

describe('ingest rate limit', () => {
  it('answers 429 with Retry-After per token', async () => {
    const h = await harness('sqlite', { rateLimit: { max: 2, timeWindowMs: 60_000 } });
    try {
      const a = await token(h.db, { level: 'national' });
      const b = await token(h.db, { level: 'national' });
      const send = (t: string) =>
        post(
          h.app,
          t,
          batch('x@example.fr', [{ k: newKey(), dir: 'in', at: '2025-06-02T08:00:00Z', cat: 'usager' }]),
        );
      expect((await send(a)).statusCode).toBe(200);
      expect((await send(a)).statusCode).toBe(200);
      const limited = await send(a);
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect((await send(b)).statusCode).toBe(200);
      const metrics = await h.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${await token(h.db, { level: 'national' }, false)}` },
      });
      expect(metrics.body).toContain('suivi_ingest_rejects_total{reason="rate_limited"} 1');
      expect(metrics.body).toContain('suivi_ingest_records_total{result="accepted"} 3');
    } finally {
      await h.close();
    }
  });
});
