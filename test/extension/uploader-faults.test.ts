// Network faults between the add-on and the collection server, one by one: the real uploader and
// ledger (fake-indexeddb) and Node's fetch against a loopback HTTP(S) server injecting the fault in
// front of the real collection app; time is simulated. Each fault: backoff 1 min, 2 min, 4 min…
// (±20 %), nothing sent before the wait is over, then every record stored exactly once, one batchId.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Ledger } from '../../src/extension/ledger.ts';
import {
  BACKOFF_MIN_MS,
  requestTimeoutFor,
  Uploader,
  type LastUpload,
  type UploaderDeps,
} from '../../src/extension/uploader.ts';
import { startCollector, type Collector } from '../support/faults/collector.ts';
import { countingFetch, FaultServer, type Fault, type SeenRequest } from '../support/faults/fault-server.ts';
import { SimClock, seededRandom } from '../support/faults/sim-clock.ts';
import { fetchTrusting, makeCertificates } from '../support/faults/tls.ts';
import { BALF, fakeKey, freshLedger, row, testConfig } from './helpers.ts';

const START = new Date('2026-11-20T10:00:00Z');
/** Enough records for a body of ~130 kB: it arrives in several chunks, so a reset can cut it. */
const RECORDS_DEFAULT = 1500;
/** The stall test's batch: its request budget (20 s + 20 ms a record = 24 s) is under the 30 s stall. */
const RECORDS_STALL = 200;
const FAILED_ROUNDS = 5;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

interface Rig {
  sim: SimClock;
  collector: Collector;
  server: FaultServer;
  ledger: Ledger;
  uploader: Uploader;
  requests: ReturnType<typeof countingFetch>['requests'];
  keys: string[];
  records: number;
  config: ReturnType<typeof testConfig>;
}

async function rig(
  options: {
    tls?: boolean;
    retryAfter?: string;
    seed?: number;
    records?: number;
    deps?: Partial<UploaderDeps>;
  } = {},
): Promise<Rig> {
  const records = options.records ?? RECORDS_DEFAULT;
  const sim = new SimClock(START);
  const collector = await startCollector(sim.fn);
  cleanups.push(() => collector.close());
  const certificates = options.tls ? makeCertificates() : undefined;
  const server = await FaultServer.start({
    app: collector.app,
    ...(certificates ? { tls: { good: certificates.signed, bad: certificates.selfSigned } } : {}),
    ...(options.retryAfter !== undefined ? { retryAfter: options.retryAfter } : {}),
    // Simulated seconds pass one by one while the server holds the request (up to 30 s).
    onStall: async (seen: SeenRequest) => {
      for (let s = 0; s < 30 && !seen.clientClosed; s++) {
        await sim.advanceBy(1000);
        await sleep(5);
      }
    },
  });
  cleanups.push(() => server.close());
  const inner = certificates ? await fetchTrusting(certificates.ca) : fetch;
  const counting = countingFetch(inner, () => sim.now);
  const ledger = await freshLedger();
  const keys = Array.from({ length: records }, () => fakeKey());
  await ledger.addIfAbsent(
    keys.map((key, i) =>
      row({ key, ...(i % 4 === 0 ? { dir: 'out' as const, cat: 'new' } : {}), at: atOf(i) }),
    ),
  );
  const uploader = new Uploader({
    ledger,
    fetch: counting.fetch,
    clock: sim.fn,
    random: seededRandom(options.seed ?? 8),
    uuid: randomUUID,
    client: async () => ({ id: 'poste-1', addon: '0.1.0', thunderbird: '153.0' }),
    timeoutSignal: sim.timeoutSignal,
    ...options.deps,
  });
  const config = testConfig({ endpoint: server.url, token: collector.token });
  return { sim, collector, server, ledger, uploader, requests: counting.requests, keys, records, config };
}

function atOf(i: number): string {
  return new Date(Date.parse('2026-11-16T07:00:00Z') + i * 137_000).toISOString();
}

/**
 * The fault holds for FAILED_ROUNDS attempts, then ends. Returns the waits the uploader chose
 * after each failure and the last result.
 */
async function outageThenRecovery(r: Rig, fault: Fault): Promise<{ waits: number[]; lasts: LastUpload[] }> {
  await r.server.set(fault);
  const waits: number[] = [];
  const lasts: LastUpload[] = [];
  for (let round = 1; round <= FAILED_ROUNDS + 1; round++) {
    if (round === FAILED_ROUNDS + 1) await r.server.set('none');
    const last = await r.uploader.run(r.config);
    lasts.push(last);
    expect(r.requests, `round ${round}: one request per round`).toHaveLength(round);
    if (round === FAILED_ROUNDS + 1) break;
    expect(last.result, `round ${round} under ${fault}`).toBe('error');
    const state = await r.uploader.state();
    expect(state.failures).toBe(round);
    const notBefore = Date.parse(state.notBefore ?? '');
    waits.push(notBefore - r.sim.now);
    // Never spins: rounds (alarms, live mail) before the wait is over send nothing.
    for (const fraction of [0, 0.5, 0.99]) {
      await r.sim.advanceTo(r.sim.now + Math.floor((notBefore - r.sim.now) * fraction));
      await r.uploader.run(r.config);
    }
    expect(r.requests, `round ${round}: nothing before the backoff ends`).toHaveLength(round);
    await r.sim.advanceTo(notBefore);
  }
  return { waits, lasts };
}

/** After the fault: every record once on the server, one batch, the same batchId on every request. */
async function expectDeliveredOnce(r: Rig): Promise<void> {
  const stored = await r.collector.keys(BALF);
  expect(stored.size).toBe(r.records);
  expect([...stored.values()].every((n) => n === 1)).toBe(true);
  expect(new Set(stored.keys())).toEqual(new Set(r.keys));
  const batchIds = new Set(r.requests.map((q) => q.batchId));
  expect(batchIds.size).toBe(1);
  const batches = await r.collector.batches(BALF);
  expect(batches).toHaveLength(1);
  expect(batches[0]).toMatchObject({ batch_id: [...batchIds][0], records: r.records, accepted: r.records });
  expect(await r.ledger.queueSize()).toBe(0);
  expect(await r.uploader.state()).toEqual({ failures: 0 });
}

/** Exponential backoff from 1 min, each wait within ±20 % of its base. */
function expectBackoff(waits: number[], floorMs = 0): void {
  waits.forEach((wait, i) => {
    const base = BACKOFF_MIN_MS * 2 ** i;
    expect(wait, `wait ${i + 1}`).toBeGreaterThanOrEqual(
      Math.max(floorMs, Math.max(BACKOFF_MIN_MS, 0.8 * base)),
    );
    expect(wait, `wait ${i + 1}`).toBeLessThanOrEqual(Math.max(floorMs, 1.2 * base));
  });
}

describe('uploader under network faults (real loopback server, simulated clock)', () => {
  it('connection refused: backs off, then delivers every record once', async () => {
    const r = await rig({ seed: 1 });
    const { waits, lasts } = await outageThenRecovery(r, 'refuse');
    expectBackoff(waits);
    expect(r.requests.slice(0, FAILED_ROUNDS).every((q) => q.outcome === 'TypeError:ECONNREFUSED')).toBe(
      true,
    );
    expect(lasts[0]?.message).toContain('ECONNREFUSED');
    // Nothing reached the server while it refused connections.
    expect(r.server.seen.filter((s) => s.fault === 'refuse')).toHaveLength(0);
    expect(lasts.at(-1)).toMatchObject({ result: 'ok', sentBatches: 1, sentRecords: r.records });
    await expectDeliveredOnce(r);
  });

  it('connection reset in the middle of the request body: nothing stored, re-sent whole later', async () => {
    const r = await rig({ seed: 2 });
    const { waits, lasts } = await outageThenRecovery(r, 'reset-mid-body');
    expectBackoff(waits);
    const cut = r.server.seen.filter((s) => s.fault === 'reset-mid-body');
    expect(cut).toHaveLength(FAILED_ROUNDS);
    for (const s of cut) {
      expect(s.received).toBeGreaterThan(0);
      expect(s.received).toBeLessThan(s.length);
    }
    expect(lasts.at(-1)).toMatchObject({ result: 'ok' });
    await expectDeliveredOnce(r);
  });

  it('connection reset after the server stored the batch (answer lost): the re-send is a replay, no double count', async () => {
    const r = await rig({ seed: 3 });
    const { waits, lasts } = await outageThenRecovery(r, 'lost-answer');
    expectBackoff(waits);
    // Stored at the first attempt; every re-send got the stored answer back (a replay: a second
    // storing would answer accepted 0, duplicates 1500).
    const seen = r.server.seen;
    expect(seen).toHaveLength(FAILED_ROUNDS + 1);
    for (const s of seen) {
      expect(s).toMatchObject({ status: 200, answer: { accepted: r.records, duplicates: 0, rejected: 0 } });
    }
    expect(seen.at(-1)?.fault).toBe('none');
    expect(lasts.at(-1)).toMatchObject({ result: 'ok' });
    await expectDeliveredOnce(r);
  });

  it('a server that holds the request 30 s: aborted at the request timeout (24 s for 200 records), then backs off', async () => {
    const r = await rig({ seed: 4, records: RECORDS_STALL });
    const { waits, lasts } = await outageThenRecovery(r, 'stall');
    expectBackoff(waits);
    const stalled = r.server.seen.filter((s) => s.fault === 'stall');
    expect(stalled).toHaveLength(FAILED_ROUNDS);
    await until('the client to close every stalled request', () => stalled.every((s) => s.clientClosed));
    // Each abort came exactly the batch's budget (24 s, < 30 s) after its request.
    const budget = requestTimeoutFor(RECORDS_STALL);
    expect(budget).toBe(24_000);
    const failed = r.requests.slice(0, FAILED_ROUNDS);
    expect(r.sim.timeouts.slice(0, FAILED_ROUNDS)).toEqual(failed.map((q) => q.at + budget));
    expect(failed.every((q) => q.outcome === 'TimeoutError')).toBe(true);
    expect(lasts[0]?.message).toBe('network: no answer within 24 s (request aborted)');
    // A steady-state batch gets ~20 s; a full 5,000-record back-fill batch 2 min (a loaded server needs it).
    expect(requestTimeoutFor(1)).toBe(20_020);
    expect(requestTimeoutFor(5000)).toBe(120_000);
    await expectDeliveredOnce(r);
  });

  it('the default timeout is a real AbortSignal.timeout: a stalled request ends on its own', async () => {
    const r = await rig({ deps: { requestTimeoutMs: 1000, timeoutSignal: (ms) => AbortSignal.timeout(ms) } });
    await r.server.set('stall');
    const started = Date.now();
    const last = await r.uploader.run(r.config);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(last).toMatchObject({
      result: 'error',
      message: 'network: no answer within 1 s (request aborted)',
    });
    await until('the client to close the stalled request', () => r.server.seen[0]?.clientClosed === true);
  });

  it.each(['http-500', 'http-503'] as const)(
    '%s: backs off exponentially, then delivers once',
    async (fault) => {
      const r = await rig({ seed: fault === 'http-500' ? 5 : 6 });
      const { waits, lasts } = await outageThenRecovery(r, fault);
      expectBackoff(waits);
      expect(lasts[0]).toMatchObject({ result: 'error', status: fault === 'http-500' ? 500 : 503 });
      await expectDeliveredOnce(r);
    },
  );

  it('429 with Retry-After: never earlier than asked, and the wait still grows', async () => {
    const r = await rig({ seed: 7, retryAfter: '150' });
    const { waits, lasts } = await outageThenRecovery(r, 'http-429');
    // max(Retry-After 150 s, backoff): 150 s, 150 s, then 4 min, 8 min, 16 min (±20 %).
    expectBackoff(waits, 150_000);
    expect(waits[0]).toBe(150_000);
    expect(lasts[0]).toMatchObject({ result: 'error', status: 429, message: 'HTTP 429 — Trop de requêtes.' });
    await expectDeliveredOnce(r);
  });

  it('429 without Retry-After: exponential backoff, not a retry every minute', async () => {
    const r = await rig({ seed: 9 });
    const { waits } = await outageThenRecovery(r, 'http-429');
    expectBackoff(waits);
    expect(waits.at(-1)).toBeGreaterThanOrEqual(0.8 * BACKOFF_MIN_MS * 2 ** (FAILED_ROUNDS - 1));
    await expectDeliveredOnce(r);
  });

  it('TLS error (self-signed certificate on 127.0.0.1): a network error, backoff, delivered once fixed', async () => {
    const r = await rig({ seed: 10, tls: true });
    expect(r.config.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:/);
    const { waits, lasts } = await outageThenRecovery(r, 'tls-self-signed');
    expectBackoff(waits);
    expect(
      r.requests.slice(0, FAILED_ROUNDS).every((q) => q.outcome === 'TypeError:DEPTH_ZERO_SELF_SIGNED_CERT'),
    ).toBe(true);
    expect(lasts[0]?.message).toContain('self-signed certificate');
    // The handshake failed: no request reached the HTTP layer.
    expect(r.server.seen.filter((s) => s.fault === 'tls-self-signed')).toHaveLength(0);
    await expectDeliveredOnce(r);
  });
});
