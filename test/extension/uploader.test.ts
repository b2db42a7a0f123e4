// Uploader: every server outcome, same batchId on re-send, backoff with jitter bounds, splitting,
// eviction, and request bodies carrying only the documented fields.
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, MAX_RECORDS_PER_BATCH, tallyBatchSchema } from '../../src/core/protocol.ts';
import { Up, type Ledger } from '../../src/extension/ledger.ts';
import {
  BACKOFF_MAX_MS,
  BACKOFF_MIN_MS,
  backoffDelay,
  planBatches,
  LAST_UPLOAD_KEY,
  retryAfterMs,
  Uploader,
  UPLOAD_STATE_KEY,
  type UploadState,
} from '../../src/extension/uploader.ts';
import { BALF, fakeKey, freshLedger, row, SECRET, TestClock, testConfig } from './helpers.ts';

interface Sent {
  url: string;
  init: RequestInit;
  body: { batchId: string; records: Record<string, unknown>[] } & Record<string, unknown>;
}

/** A server that answers each request with the next scripted response (the last one repeats). */
function fakeServer(script: (() => Response | Promise<Response>)[]) {
  const sent: Sent[] = [];
  let i = 0;
  const fetchFn = (async (url: string | URL | Request, init?: RequestInit) => {
    sent.push({ url: String(url), init: init ?? {}, body: JSON.parse(String(init?.body)) as Sent['body'] });
    const step = script[Math.min(i++, script.length - 1)];
    if (!step) throw new Error('no scripted response');
    return step();
  }) as typeof fetch;
  return { sent, fetch: fetchFn };
}

const ok = () => new Response(JSON.stringify({ accepted: 1, duplicates: 0 }), { status: 200 });
const status =
  (code: number, message = 'refusé', headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify({ message }), { status: code, headers });

let uuidCount = 0;
function uploader(ledger: Ledger, server: { fetch: typeof fetch }, clock: TestClock, over: object = {}) {
  return new Uploader({
    ledger,
    fetch: server.fetch,
    clock: clock.fn,
    random: () => 0.5,
    uuid: () => `00000000-0000-4000-8000-${String(++uuidCount).padStart(12, '0')}`,
    client: async () => ({ id: 'install-1', addon: '0.1.0', thunderbird: '153.0' }),
    ...over,
  });
}

async function seed(ledger: Ledger, n: number, over: Parameters<typeof row>[0] = {}): Promise<void> {
  await ledger.addIfAbsent(Array.from({ length: n }, () => row({ key: fakeKey(), ...over })));
}

describe('uploader', () => {
  it('posts a schema-valid batch with the bearer token and acknowledges rows on 2xx', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 2);
    await ledger.addIfAbsent([
      row({
        dir: 'out',
        cat: 'reply',
        re: [fakeKey()],
        heuristic: true,
        hre: [fakeKey()],
        correspondents: ['jean@x.fr'],
      }),
    ]);
    const server = fakeServer([ok]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const last = await uploader(ledger, server, clock).run(testConfig());
    expect(last).toMatchObject({ result: 'ok', sentBatches: 1, sentRecords: 3 });
    expect(server.sent).toHaveLength(1);
    const [req] = server.sent;
    expect(req?.url).toBe('http://127.0.0.1:8080/api/v1/tallies');
    expect(req?.init.method).toBe('POST');
    expect((req?.init.headers as Record<string, string>).authorization).toBe('Bearer jeton-test');
    expect(tallyBatchSchema.safeParse(req?.body).success).toBe(true);
    expect(Object.keys(req?.body ?? {}).sort()).toEqual([
      'balf',
      'batchId',
      'client',
      'records',
      'schema',
      'seq',
    ]);
    for (const r of req?.body.records ?? []) {
      expect(
        Object.keys(r).every((k) => ['k', 'dir', 'at', 'cat', 're', 'heuristic', 'hre'].includes(k)),
      ).toBe(true);
    }
    expect(req?.body.records.filter((r) => Array.isArray(r.hre) && r.hre.length === 1)).toHaveLength(1);
    const text = String(req?.init.body);
    for (const secretish of [
      SECRET,
      'Objet confidentiel',
      'jean.usager@example.org',
      'jean@x.fr',
      '@example.org>',
      '/INBOX',
    ]) {
      expect(text).not.toContain(secretish);
    }
    expect(await ledger.queueSize()).toBe(0);
    expect((await ledger.rowsWithState(Up.acknowledged)).length).toBe(3);
    expect(await ledger.getMeta(LAST_UPLOAD_KEY)).toMatchObject({ result: 'ok' });
  });

  it.each([400, 401, 403, 413])(
    'keeps the batch on %i, shows the server message, and does not loop',
    async (code) => {
      const ledger = await freshLedger();
      await seed(ledger, 3);
      const server = fakeServer([status(code, `motif ${code}`), ok]);
      const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
      const up = uploader(ledger, server, clock);
      const last = await up.run(testConfig());
      expect(last).toMatchObject({ result: 'error', status: code });
      expect(last.message).toContain(`motif ${code}`);
      const [batch] = await ledger.batches();
      expect(batch).toMatchObject({ state: 'final' });
      expect(batch?.lastError).toContain(`motif ${code}`);
      expect(await ledger.queueSize()).toBe(3);
      // The next automatic round does not send it again…
      clock.advance(3_600_000);
      await up.run(testConfig());
      expect(server.sent).toHaveLength(1);
      // …"send now" does, with the same batchId.
      expect(await up.run(testConfig(), { force: true })).toMatchObject({ result: 'ok' });
      expect(server.sent).toHaveLength(2);
      expect(server.sent[1]?.body.batchId).toBe(server.sent[0]?.body.batchId);
      expect(await ledger.queueSize()).toBe(0);
    },
  );

  it('after a refused token, sends nothing new until "send now"', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 2);
    const server = fakeServer([status(401, 'jeton révoqué'), ok]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const up = uploader(ledger, server, clock);
    await up.run(testConfig());
    await seed(ledger, 3);
    clock.advance(15 * 60_000);
    expect(await up.run(testConfig())).toMatchObject({ result: 'error', status: 401 });
    expect(server.sent).toHaveLength(1);
    expect(await up.run(testConfig(), { force: true })).toMatchObject({ result: 'ok', sentRecords: 5 });
    expect(await ledger.queueSize()).toBe(0);
  });

  it('retries refused batches by itself once the token has changed', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 2);
    const server = fakeServer([status(403, 'hors périmètre'), ok]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const up = uploader(ledger, server, clock);
    await up.run(testConfig());
    await up.run(testConfig());
    expect(server.sent).toHaveLength(1);
    expect(await up.run(testConfig({ token: 'nouveau-jeton' }))).toMatchObject({
      result: 'ok',
      sentRecords: 2,
    });
    expect((server.sent[1]?.init.headers as Record<string, string>).authorization).toBe(
      'Bearer nouveau-jeton',
    );
    expect(JSON.stringify(await ledger.getMeta('refusedCredentials'))).not.toContain('jeton');
  });

  it('stops at the first batch refused for authentication', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 1);
    await seed(ledger, 1, { balf: 'sie.autre@dgfip.finances.gouv.fr' });
    const server = fakeServer([status(401, 'jeton invalide')]);
    await uploader(ledger, server, new TestClock(new Date('2026-11-20T10:00:00Z'))).run(testConfig());
    expect(server.sent).toHaveLength(1);
  });

  it('honours Retry-After on 429 (seconds and HTTP date), then re-sends the same batch', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 2);
    const server = fakeServer([status(429, 'trop de requêtes', { 'retry-after': '120' }), ok]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const up = uploader(ledger, server, clock);
    expect(await up.run(testConfig())).toMatchObject({ result: 'error', status: 429 });
    expect((await ledger.getMeta<UploadState>(UPLOAD_STATE_KEY))?.notBefore).toBe('2026-11-20T10:02:00.000Z');
    clock.advance(119_000);
    await up.run(testConfig());
    expect(server.sent).toHaveLength(1);
    clock.advance(1_000);
    expect(await up.run(testConfig())).toMatchObject({ result: 'ok' });
    expect(server.sent.map((s) => s.body.batchId)).toEqual([
      server.sent[0]?.body.batchId,
      server.sent[0]?.body.batchId,
    ]);
    const now = new Date('2026-11-20T10:00:00Z');
    expect(retryAfterMs('Fri, 20 Nov 2026 10:05:00 GMT', now)).toBe(300_000);
    expect(retryAfterMs(null, now)).toBe(BACKOFF_MIN_MS);
    expect(retryAfterMs('999999', now)).toBe(BACKOFF_MAX_MS);
  });

  it('backs off exponentially on 5xx up to 6 h, with jitter inside ±20 %', async () => {
    for (const random of [0, 0.5, 0.999999]) {
      const delays = Array.from({ length: 12 }, (_v, i) => backoffDelay(i + 1, () => random));
      for (let i = 0; i < delays.length; i++) {
        const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** i);
        expect(delays[i]).toBeGreaterThanOrEqual(Math.max(BACKOFF_MIN_MS, base * 0.8));
        expect(delays[i]).toBeLessThanOrEqual(Math.min(BACKOFF_MAX_MS, base * 1.2));
      }
      expect(delays[11]).toBeLessThanOrEqual(BACKOFF_MAX_MS);
    }
    expect(backoffDelay(1, () => 0.5)).toBe(60_000);
    expect(backoffDelay(3, () => 0.5)).toBe(240_000);
    expect(backoffDelay(20, () => 0.5)).toBe(BACKOFF_MAX_MS);

    const ledger = await freshLedger();
    await seed(ledger, 1);
    const server = fakeServer([status(503, 'maintenance')]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const up = uploader(ledger, server, clock);
    const waits: number[] = [];
    for (let i = 0; i < 12; i++) {
      await up.run(testConfig());
      const state = await ledger.getMeta<UploadState>(UPLOAD_STATE_KEY);
      const wait = Date.parse(state?.notBefore ?? '') - clock.now.getTime();
      waits.push(wait);
      clock.advance(wait);
    }
    expect(server.sent).toHaveLength(12);
    expect(waits.slice(0, 4)).toEqual([60_000, 120_000, 240_000, 480_000]);
    expect(waits.at(-1)).toBe(BACKOFF_MAX_MS);
    expect(new Set(server.sent.map((s) => s.body.batchId)).size).toBe(1);
    expect(await ledger.getMeta(LAST_UPLOAD_KEY)).toMatchObject({ result: 'error', status: 503 });
  });

  it('treats a network error like a 5xx and re-sends the same batch id later', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 2);
    const server = fakeServer([
      () => {
        throw new TypeError('NetworkError when attempting to fetch resource.');
      },
      ok,
    ]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const up = uploader(ledger, server, clock);
    const first = await up.run(testConfig());
    expect(first.result).toBe('error');
    expect(first.message).toContain('NetworkError');
    expect((await ledger.getMeta<UploadState>(UPLOAD_STATE_KEY))?.failures).toBe(1);
    clock.advance(BACKOFF_MAX_MS);
    // New rows arrive meanwhile: they go in a new batch, the old one keeps its id.
    await seed(ledger, 1);
    expect(await up.run(testConfig())).toMatchObject({ result: 'ok', sentBatches: 2 });
    expect(server.sent[1]?.body.batchId).toBe(server.sent[0]?.body.batchId);
    expect(server.sent[2]?.body.batchId).not.toBe(server.sent[0]?.body.batchId);
    expect((await ledger.getMeta<UploadState>(UPLOAD_STATE_KEY))?.failures).toBe(0);
  });

  it('plans batches of at most 5,000 records and 1 MB, one BALF each', () => {
    const envelope = (balf: string) => ({
      batchId: `00000000-0000-4000-8000-${String(++uuidCount).padStart(12, '0')}`,
      balf,
      seq: uuidCount,
      createdAt: '2026-11-20T10:00:00.000Z',
      attempts: 0,
      state: 'open' as const,
      client: { id: 'install-1', addon: '0.1.0', thunderbird: '153.0' },
    });
    const light = Array.from({ length: MAX_RECORDS_PER_BATCH + 10 }, () => row({ key: fakeKey() }));
    const other = row({ balf: 'sie.autre@dgfip.finances.gouv.fr' });
    const byCount = planBatches([...light, other], envelope, MAX_RECORDS_PER_BATCH, MAX_BODY_BYTES);
    expect(byCount.map((b) => [b.balf, b.records.length])).toEqual([
      [BALF, MAX_RECORDS_PER_BATCH],
      [BALF, 10],
      ['sie.autre@dgfip.finances.gouv.fr', 1],
    ]);
    const reKeys = Array.from({ length: 20 }, () => fakeKey());
    const heavy = Array.from({ length: 4000 }, () =>
      row({ key: fakeKey(), dir: 'out', cat: 'reply', re: reKeys }),
    );
    const bySize = planBatches(heavy, envelope, MAX_RECORDS_PER_BATCH, MAX_BODY_BYTES);
    expect(bySize.length).toBeGreaterThan(1);
    for (const b of bySize) {
      const body = {
        schema: 1,
        batchId: b.batchId,
        seq: b.seq,
        client: envelope(BALF).client,
        balf: b.balf,
        records: b.records,
      };
      expect(new TextEncoder().encode(JSON.stringify(body)).length).toBeLessThanOrEqual(MAX_BODY_BYTES);
      expect(tallyBatchSchema.safeParse(body).success).toBe(true);
    }
    expect(bySize.reduce((n, b) => n + b.records.length, 0)).toBe(4000);
  });

  it('sends each planned batch as its own request', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 7);
    const server = fakeServer([ok]);
    await uploader(ledger, server, new TestClock(new Date('2026-11-20T10:00:00Z')), { maxRecords: 3 }).run(
      testConfig(),
    );
    expect(server.sent.map((s) => s.body.records.length)).toEqual([3, 3, 1]);
    expect(new Set(server.sent.map((s) => s.body.seq)).size).toBe(3);
    expect(await ledger.queueSize()).toBe(0);
  });

  it('reads a long queue a few batches at a time, and sends it all in one run', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 19);
    const read: number[] = [];
    const watched = Object.create(ledger, {
      rowsWithState: {
        value: async (state: number, limit?: number) => {
          const rows = await ledger.rowsWithState(state as never, limit);
          if (state === Up.pending) read.push(rows.length);
          return rows;
        },
      },
    }) as Ledger;
    const server = fakeServer([ok]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    // Batches of 2 records: an enqueue reads at most 4 batches' worth (8 rows).
    const last = await uploader(watched, server, clock, { maxRecords: 2 }).run(testConfig());
    expect(read).toEqual([8, 8, 3]);
    expect(last).toMatchObject({ result: 'ok', sentBatches: 10, sentRecords: 19 });
    expect(new Set(server.sent.map((x) => x.body.batchId)).size).toBe(10);
    expect(await ledger.queueSize()).toBe(0);
  });

  it('sends a refused batch once per "send now" even when the queue takes several rounds', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 2);
    const server = fakeServer([status(400, 'lot refusé'), status(400, 'lot refusé'), ok]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const up = uploader(ledger, server, clock, { maxRecords: 2 });
    expect(await up.run(testConfig())).toMatchObject({ result: 'error', status: 400 });
    await seed(ledger, 9);
    // "Send now": the refused batch (refused again), then the 9 new rows over two rounds; nothing twice.
    const last = await up.run(testConfig(), { force: true });
    expect(last).toMatchObject({ result: 'error', status: 400 });
    const ids = server.sent.map((x) => x.body.batchId);
    expect(ids).toHaveLength(2 + 5);
    expect(ids[1]).toBe(ids[0]);
    expect(new Set(ids.slice(1)).size).toBe(6);
    expect(await ledger.queueSize()).toBe(2);
  });

  it('keeps the rest of a long queue for later when the network fails in a later round', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 12);
    const server = fakeServer([ok, ok, ok, ok, () => Promise.reject(new TypeError('NetworkError'))]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    const up = uploader(ledger, server, clock, { maxRecords: 2 });
    expect(await up.run(testConfig())).toMatchObject({ result: 'error' });
    expect(await ledger.queueSize()).toBe(4);
    const failedId = server.sent[4]?.body.batchId;
    clock.advance(BACKOFF_MAX_MS);
    const retry = fakeServer([ok]);
    expect(await uploader(ledger, retry, clock, { maxRecords: 2 }).run(testConfig())).toMatchObject({
      result: 'ok',
      sentRecords: 4,
    });
    expect(retry.sent[0]?.body.batchId).toBe(failedId);
    expect(await ledger.queueSize()).toBe(0);
  });

  it('reports the eviction of the oldest rows when the queue is over its bound', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 3, { at: '2026-10-01T08:00:00.000Z' });
    await seed(ledger, 2, { at: '2026-11-19T08:00:00.000Z' });
    const server = fakeServer([ok]);
    const clock = new TestClock(new Date('2026-11-20T10:00:00Z'));
    await uploader(ledger, server, clock, { maxQueuedRows: 2 }).run(testConfig());
    expect(await ledger.getMeta('evictions')).toEqual([
      expect.objectContaining({ count: 3, oldest: '2026-10-01T08:00:00.000Z' }),
    ]);
    expect(server.sent[0]?.body.records.map((r) => r.at)).toEqual([
      '2026-11-19T08:00:00.000Z',
      '2026-11-19T08:00:00.000Z',
    ]);
  });

  it('sends nothing without endpoint or token, and says so', async () => {
    const ledger = await freshLedger();
    await seed(ledger, 1);
    const server = fakeServer([ok]);
    const last = await uploader(ledger, server, new TestClock(new Date())).run(
      testConfig({ token: undefined }),
    );
    expect(last).toMatchObject({ result: 'none', message: 'not-configured' });
    expect(server.sent).toHaveLength(0);
    expect(BALF).toContain('@');
  });
});
