// Uploads unacknowledged ledger rows as persisted batches to POST {endpoint}/api/v1/tallies:
// same batchId until acknowledged, 4xx final and surfaced, 429 Retry-After, 5xx/network/timeout backoff.
import { MAX_BODY_BYTES, MAX_RECORDS_PER_BATCH, TALLY_SCHEMA, type TallyRecord } from '../core/protocol.ts';
import type { Config } from './config.ts';
import { Up, type Batch, type Ledger, type LedgerRow } from './ledger.ts';
import type { Clock } from './platform.ts';

export const BACKOFF_MIN_MS = 60_000;
export const BACKOFF_MAX_MS = 6 * 3_600_000;
/** Rows waiting for upload beyond this are evicted oldest-first (and the eviction is shown). */
export const MAX_QUEUED_ROWS = 500_000;
/** Batches' worth of pending rows one enqueue reads (the rest waits for the next round of the same run). */
export const ENQUEUE_BATCHES = 4;
/**
 * A request (connection, upload and answer) that takes longer is aborted and retried later, so a
 * stalled server or proxy cannot hold the event page (and the upload chain) for ever; the server
 * may still commit the aborted batch, which the re-send with the same batchId replays. The budget
 * grows with the batch: a steady-state batch of a few records gets ~20 s, a 5,000-record back-fill
 * batch 120 s, because a loaded server legitimately takes that long (docs/reliability.md: p50 95 s
 * with 200 such batches at once on SQLite; 20 s aborts were seen in a real run under load).
 */
export const REQUEST_TIMEOUT_MS = 20_000;
export const REQUEST_TIMEOUT_PER_RECORD_MS = 20;

export function requestTimeoutFor(records: number): number {
  return REQUEST_TIMEOUT_MS + REQUEST_TIMEOUT_PER_RECORD_MS * records;
}
const FINAL_STATUSES = new Set([400, 401, 403, 413]);
const AUTH_STATUSES = new Set([401, 403]);

export interface ClientInfo {
  id: string;
  addon: string;
  thunderbird: string;
}

export interface UploaderDeps {
  ledger: Ledger;
  fetch: typeof fetch;
  clock: Clock;
  /** In [0, 1): jitter source. */
  random: () => number;
  uuid: () => string;
  client: () => Promise<ClientInfo>;
  maxQueuedRows?: number;
  maxRecords?: number;
  maxBodyBytes?: number;
  /** Fixed per-request timeout (default: requestTimeoutFor(records in the batch)). */
  requestTimeoutMs?: number;
  /** Makes the timeout signal (default AbortSignal.timeout); tests pass one driven by a simulated clock. */
  timeoutSignal?: (ms: number) => AbortSignal;
}

export interface UploadState {
  failures: number;
  /** No automatic attempt before this instant (backoff or Retry-After). */
  notBefore?: string;
}

export interface LastUpload {
  at: string;
  result: 'ok' | 'error' | 'none';
  status?: number;
  message?: string;
  sentBatches?: number;
  sentRecords?: number;
  /** Records the server refused one by one (out-of-range dates): acknowledged, shown, not re-sent. */
  rejectedRecords?: number;
}

export const UPLOAD_STATE_KEY = 'uploadState';
export const LAST_UPLOAD_KEY = 'lastUpload';
/** Hash of the endpoint and token a 401/403 refused (never the token itself). */
export const REFUSED_CREDENTIALS_KEY = 'refusedCredentials';

async function fingerprint(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Delay before retry number `failures` (1-based): 1 min doubling to 6 h, ±20 % jitter, capped. */
export function backoffDelay(failures: number, random: () => number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1));
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, jittered)));
}

/** Retry-After as seconds or an HTTP date; defaults to the minimum backoff. */
export function retryAfterMs(header: string | null, now: Date): number {
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.min(BACKOFF_MAX_MS, seconds * 1000);
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.min(BACKOFF_MAX_MS, Math.max(0, date - now.getTime()));
  }
  return BACKOFF_MIN_MS;
}

/** The only fields that leave the workstation for one message. */
export function recordOf(row: LedgerRow): TallyRecord {
  const record: TallyRecord = { k: row.key, dir: row.dir, at: row.at, cat: row.cat };
  if (row.dir === 'out' && row.re && row.re.length > 0) record.re = row.re;
  if (row.dir === 'out' && row.heuristic) record.heuristic = true;
  if (row.dir === 'in' && row.hdr === true) record.hdr = true;
  if (row.dir === 'out' && row.hre && row.hre.length > 0) record.hre = row.hre;
  if (row.dir === 'out' && row.cat === 'reply' && row.via) record.via = row.via;
  return record;
}

/** Whether a batch's record of a row is still what the row would send now (it was not refined meanwhile). */
export function sameRecord(row: LedgerRow, record: TallyRecord): boolean {
  return JSON.stringify(recordOf(row)) === JSON.stringify(record);
}

const encoder = new TextEncoder();
function bytes(x: unknown): number {
  return encoder.encode(JSON.stringify(x)).length;
}

/** Groups pending rows into batches of one BALF within the record and byte limits. */
export function planBatches(
  rows: readonly LedgerRow[],
  envelope: (balf: string) => Omit<Batch, 'records' | 'keys'> & { client: ClientInfo },
  maxRecords: number,
  maxBytes: number,
): Batch[] {
  const byBalf = new Map<string, LedgerRow[]>();
  for (const row of rows) {
    const list = byBalf.get(row.balf);
    if (list) list.push(row);
    else byBalf.set(row.balf, [row]);
  }
  const batches: Batch[] = [];
  for (const [balf, list] of byBalf) {
    list.sort((a, b) => a.atMs - b.atMs);
    let current: {
      env: ReturnType<typeof envelope>;
      records: TallyRecord[];
      keys: string[];
      size: number;
    } | null = null;
    const flush = () => {
      if (current && current.records.length > 0) {
        const { client: _client, ...env } = current.env;
        batches.push({ ...env, records: current.records, keys: current.keys });
      }
      current = null;
    };
    for (const row of list) {
      const record = recordOf(row);
      const size = bytes(record) + 1;
      if (current && (current.records.length >= maxRecords || current.size + size > maxBytes)) flush();
      if (!current) {
        const env = envelope(balf);
        const shell = {
          schema: TALLY_SCHEMA,
          batchId: env.batchId,
          seq: env.seq,
          client: env.client,
          balf,
          records: [],
        };
        current = { env, records: [], keys: [], size: bytes(shell) };
      }
      current.records.push(record);
      current.keys.push(row.key);
      current.size += size;
    }
    flush();
  }
  return batches;
}

export class Uploader {
  constructor(private readonly deps: UploaderDeps) {}

  async state(): Promise<UploadState> {
    return (await this.deps.ledger.getMeta<UploadState>(UPLOAD_STATE_KEY)) ?? { failures: 0 };
  }

  /** Pending rows one enqueue reads at most: a few batches' worth (see `enqueue`). */
  private enqueueLimit(): number {
    return (this.deps.maxRecords ?? MAX_RECORDS_PER_BATCH) * ENQUEUE_BATCHES;
  }

  /**
   * Turns pending rows into persisted batches (before any network call): at most `enqueueLimit()` rows at
   * a time, so a back-fill's or a long outage's queue (up to MAX_QUEUED_ROWS, ~1 KB a row) is never read
   * whole into memory. Returns how many rows it took.
   */
  async enqueue(): Promise<number> {
    const { ledger } = this.deps;
    const pending = await ledger.rowsWithState(Up.pending, this.enqueueLimit());
    if (pending.length === 0) return 0;
    const client = await this.deps.client();
    let seq = (await ledger.getMeta<number>('seq')) ?? 0;
    const createdAt = this.deps.clock().toISOString();
    const batches = planBatches(
      pending,
      (balf) => ({
        batchId: this.deps.uuid(),
        balf,
        seq: seq++,
        createdAt,
        attempts: 0,
        state: 'open',
        client,
      }),
      this.deps.maxRecords ?? MAX_RECORDS_PER_BATCH,
      this.deps.maxBodyBytes ?? MAX_BODY_BYTES,
    );
    for (const batch of batches) await ledger.createBatch(batch, sameRecord);
    await ledger.setMeta('seq', seq);
    return pending.length;
  }

  /**
   * One upload round. `force` (the options page's "send now", a new configuration) ignores the
   * backoff and retries batches that got a final 4xx.
   */
  async run(config: Config, options: { force?: boolean } = {}): Promise<LastUpload> {
    const { ledger, clock } = this.deps;
    const now = clock();
    await ledger.evictOverflow(this.deps.maxQueuedRows ?? MAX_QUEUED_ROWS, now);
    if (!config.endpoint || !config.token) {
      return this.finish({ at: now.toISOString(), result: 'none', message: 'not-configured' });
    }
    const state = await this.state();
    if (!options.force && waiting(state, now)) {
      return (await ledger.getMeta<LastUpload>(LAST_UPLOAD_KEY)) ?? { at: now.toISOString(), result: 'none' };
    }
    // A refused token or scope refuses everything: wait for "send now" or a new configuration
    // instead of sending a new doomed batch at every interval.
    // A different endpoint or token (policies change at a restart) is worth a new try of everything.
    const credentials = await fingerprint(`${config.endpoint}\n${config.token}`);
    const refused = (await ledger.batches()).some(
      (b) => b.state === 'final' && AUTH_STATUSES.has(b.lastStatus ?? 0),
    );
    if (refused && !options.force) {
      if ((await ledger.getMeta<string>(REFUSED_CREDENTIALS_KEY)) === credentials) {
        return (
          (await ledger.getMeta<LastUpload>(LAST_UPLOAD_KEY)) ?? { at: now.toISOString(), result: 'none' }
        );
      }
      options = { ...options, force: true };
    }
    let taken = await this.enqueue();
    const attempted = new Set<string>();
    const toSend = async (): Promise<Batch[]> =>
      (await ledger.batches()).filter(
        (b) => !attempted.has(b.batchId) && (options.force || b.state === 'open'),
      );
    let batches = await toSend();
    if (batches.length === 0) {
      const last = await ledger.getMeta<LastUpload>(LAST_UPLOAD_KEY);
      return last ?? this.finish({ at: now.toISOString(), result: 'none' });
    }
    const client = await this.deps.client();
    let sentBatches = 0;
    let sentRecords = 0;
    let rejectedRecords = 0;
    let finalError: LastUpload | undefined;
    // Rounds of at most `enqueueLimit()` rows while the queue holds more; each batch is sent once a run.
    rounds: for (;;) {
      for (const batch of batches) {
        attempted.add(batch.batchId);
        const body = JSON.stringify({
          schema: TALLY_SCHEMA,
          batchId: batch.batchId,
          seq: batch.seq,
          client,
          balf: batch.balf,
          records: batch.records,
        });
        await ledger.updateBatch({ ...batch, attempts: batch.attempts + 1 });
        const timeoutMs = this.deps.requestTimeoutMs ?? requestTimeoutFor(batch.records.length);
        const signal = (this.deps.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms)))(timeoutMs);
        let response: Response;
        try {
          response = await this.deps.fetch(`${config.endpoint}/api/v1/tallies`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${config.token}` },
            body,
            signal,
          });
        } catch (error) {
          return this.backoff(state, `network: ${networkMessage(error, timeoutMs)}`);
        }
        if (response.ok) {
          // 2xx means durably stored. The answer only adds how many records the server refused one
          // by one (dated outside its calendar or too far ahead): a reset or stall while it arrives
          // must not turn an acknowledged batch into a re-send.
          const answer = (await response.json().catch(() => null)) as { rejected?: unknown } | null;
          await ledger.acknowledgeBatch(batch.batchId);
          sentBatches += 1;
          sentRecords += batch.records.length;
          if (typeof answer?.rejected === 'number' && answer.rejected > 0) rejectedRecords += answer.rejected;
          continue;
        }
        const message = await serverMessage(response);
        if (FINAL_STATUSES.has(response.status)) {
          await ledger.updateBatch({
            ...batch,
            attempts: batch.attempts + 1,
            state: 'final',
            lastError: message,
            lastStatus: response.status,
          });
          finalError = { at: clock().toISOString(), result: 'error', status: response.status, message };
          // A refused token refuses every batch: stop here rather than hammer the server.
          if (AUTH_STATUSES.has(response.status)) {
            await ledger.setMeta(REFUSED_CREDENTIALS_KEY, credentials);
            break rounds;
          }
          continue;
        }
        if (response.status === 429) {
          // Never earlier than the server asks; and a server that keeps answering 429 (each time
          // with a short Retry-After) gets the same growing backoff as a failing one, so thousands
          // of clients told "60 s" do not come back together every minute.
          const failures = state.failures + 1;
          const wait = Math.max(
            retryAfterMs(response.headers.get('retry-after'), clock()),
            backoffDelay(failures, this.deps.random),
          );
          await ledger.setMeta(UPLOAD_STATE_KEY, {
            failures,
            notBefore: new Date(clock().getTime() + wait).toISOString(),
          } satisfies UploadState);
          return this.finish({ at: clock().toISOString(), result: 'error', status: 429, message });
        }
        return this.backoff(state, message, response.status);
      }
      if (taken < this.enqueueLimit()) break;
      taken = await this.enqueue();
      batches = await toSend();
      if (batches.length === 0) break;
    }
    await ledger.setMeta(UPLOAD_STATE_KEY, { failures: 0 } satisfies UploadState);
    return this.finish(
      finalError ?? {
        at: clock().toISOString(),
        result: 'ok',
        sentBatches,
        sentRecords,
        ...(rejectedRecords > 0 ? { rejectedRecords } : {}),
      },
    );
  }

  private async backoff(state: UploadState, message: string, status?: number): Promise<LastUpload> {
    const failures = state.failures + 1;
    const delay = backoffDelay(failures, this.deps.random);
    const now = this.deps.clock();
    await this.deps.ledger.setMeta(UPLOAD_STATE_KEY, {
      failures,
      notBefore: new Date(now.getTime() + delay).toISOString(),
    } satisfies UploadState);
    return this.finish({ at: now.toISOString(), result: 'error', ...(status ? { status } : {}), message });
  }

  private async finish(last: LastUpload): Promise<LastUpload> {
    await this.deps.ledger.setMeta(LAST_UPLOAD_KEY, last);
    return last;
  }
}

/**
 * True while a backoff or Retry-After holds uploads back. No wait is ever set beyond
 * BACKOFF_MAX_MS: a `notBefore` further ahead means the workstation clock was set back (a
 * skewed clock corrected) and must not suspend uploads for the size of the correction.
 */
function waiting(state: UploadState, now: Date): boolean {
  if (!state.notBefore) return false;
  const ahead = Date.parse(state.notBefore) - now.getTime();
  return ahead > 0 && ahead <= BACKOFF_MAX_MS;
}

function networkMessage(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${Math.round(timeoutMs / 1000)} s (request aborted)`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}

async function serverMessage(response: Response): Promise<string> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    // The status alone will do.
  }
  try {
    const json = JSON.parse(text) as { message?: unknown; error?: unknown };
    const m = json.message ?? json.error;
    if (typeof m === 'string') text = m;
  } catch {
    // Not JSON: keep the text.
  }
  return `HTTP ${response.status}${text ? ` — ${text.slice(0, 500)}` : ''}`;
}
