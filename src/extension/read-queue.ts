// Header reads of a scan, run beside the walk: the walk hands over the messages whose headers must be
// read (sent mail for In-Reply-To/References, a few questioned received ones) and goes on with the next
// page while Thunderbird streams them; each row is written to the ledger once its read is done.
import type { Ledger, LedgerRow } from './ledger.ts';

/** A message whose row needs a header read; `build` reads and returns the row (null: not counted). */
export interface DeferredRow {
  key: string;
  build: () => Promise<LedgerRow | null | typeof READ_FAILED>;
}

/** What `build` returns when Thunderbird could not give the message's headers (read at the next scan). */
export const READ_FAILED = Symbol('read failed');

export interface ReadQueueOptions {
  /** Reads in flight at once. */
  concurrency: number;
  /** The walk waits while more messages than this wait for their read (memory stays bounded). */
  maxWaiting: number;
  /** Rows written per ledger transaction. */
  writeBatch?: number;
  /** Called about every 500 rows written (debug log). */
  trace?: (progress: { pendingReads: number; readsWritten: number }) => void;
  /** Keys written are added here (the walk's in-memory view of the ledger, if it keeps one). */
  written?: Set<string>;
}

export interface ReadQueueStats {
  added: number;
  ignored: number;
  /** Messages whose headers could not be read: not written, read again at the next scan. */
  failed: number;
  headersRead: number;
  /** The first reason a read failed. */
  readError?: string;
  /** Time the queue had work (reads or writes in progress), ms. */
  busyMs: number;
}

export class ReadQueue {
  private readonly waiting: DeferredRow[] = [];
  /** Keys handed over and not yet in the ledger: the walk takes them as known (no second read). */
  private readonly keys = new Set<string>();
  private readonly done: { key: string; row: LedgerRow | null | typeof READ_FAILED }[] = [];
  private workers = 0;
  private writing: Promise<void> = Promise.resolve();
  private error: unknown = null;
  private busySince: number | null = null;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  readonly stats: ReadQueueStats = { added: 0, ignored: 0, failed: 0, headersRead: 0, busyMs: 0 };

  constructor(
    private readonly ledger: Ledger,
    private readonly options: ReadQueueOptions,
  ) {}

  /** Rows handed over and not yet written; rows written so far. */
  progress(): { pendingReads: number; readsWritten: number } {
    return { pendingReads: this.keys.size, readsWritten: this.stats.added };
  }

  /** True while `key` waits for its read or its write. */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Hands rows over; resolves once the backlog is back under `maxWaiting`. */
  async add(rows: readonly DeferredRow[]): Promise<void> {
    this.throwIfFailed();
    for (const row of rows) {
      if (this.keys.has(row.key)) continue;
      this.keys.add(row.key);
      this.waiting.push(row);
    }
    this.busySince ??= performance.now();
    while (this.workers < this.options.concurrency && this.waiting.length > 0) void this.work();
    while (this.waiting.length > this.options.maxWaiting && this.error === null) {
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    this.throwIfFailed();
  }

  /** Resolves when every row handed over is read and written (rethrows a failure of our code). */
  async drain(): Promise<ReadQueueStats> {
    while (this.keys.size > 0 && this.error === null) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    await this.writing;
    this.throwIfFailed();
    return this.stats;
  }

  private throwIfFailed(): void {
    if (this.error !== null) throw this.error;
  }

  private async work(): Promise<void> {
    this.workers += 1;
    try {
      for (let next = this.waiting.shift(); next && this.error === null; next = this.waiting.shift()) {
        this.wake('room');
        let row: LedgerRow | null | typeof READ_FAILED;
        try {
          row = await next.build();
        } catch (error) {
          this.fail(error);
          return;
        }
        this.done.push({ key: next.key, row });
        if (this.done.length >= (this.options.writeBatch ?? 100)) this.flush();
      }
    } finally {
      this.workers -= 1;
      if (this.workers === 0) this.flush();
    }
  }

  /** Writes what is read, one transaction at a time (in order, so a drain sees every write). */
  private flush(): void {
    if (this.done.length === 0) return;
    const batch = this.done.splice(0);
    this.writing = this.writing.then(async () => {
      const rows = batch.flatMap((d) => (d.row !== null && d.row !== READ_FAILED ? [d.row] : []));
      try {
        this.stats.added += await this.ledger.addIfAbsent(rows);
      } catch (error) {
        this.fail(error);
        return;
      }
      for (const d of batch) {
        if (d.row !== null && d.row !== READ_FAILED) this.options.written?.add(d.key);
        if (d.row === READ_FAILED) this.stats.failed += 1;
        else if (d.row === null) this.stats.ignored += 1;
        this.keys.delete(d.key);
      }
      if (
        this.options.trace &&
        Math.floor(this.stats.added / 500) > Math.floor((this.stats.added - rows.length) / 500)
      ) {
        this.options.trace(this.progress());
      }
      if (this.keys.size === 0) {
        if (this.busySince !== null) this.stats.busyMs += Math.round(performance.now() - this.busySince);
        this.busySince = null;
        this.wake('idle');
      }
    });
  }

  private fail(error: unknown): void {
    this.error ??= error;
    this.wake('room');
    this.wake('idle');
  }

  private wake(which: 'room' | 'idle'): void {
    const list = which === 'room' ? this.roomWaiters : this.idleWaiters;
    if (which === 'room' && this.waiting.length > this.options.maxWaiting && this.error === null) return;
    for (const resolve of list.splice(0)) resolve();
  }
}
