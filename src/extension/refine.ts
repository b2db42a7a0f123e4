// Refinement: the headers of received messages counted from the message list alone are read, with bounded
// concurrency, alongside the walk that found them; their category is decided again with those headers alone.
import {
  classifyHeader,
  first,
  lowerHeaders,
  referencedKeys,
  type BalfContext,
  type Headers,
  type RefineTask,
} from './ingest.ts';
import type { Ledger, Refinement } from './ledger.ts';
import type { MessageHeader, MessagePart } from './platform.ts';
import { extendClosures } from './requests.ts';

/**
 * Failed reads in a row after which a walk stops reading: Thunderbird cannot stream messages now (while it
 * downloads a large IMAP folder's headers each read waits for its own timeout, and thousands queued would hold
 * the walk, and so the counting, for hours). Those failures are not counted against their rows; the rows wait
 * for a later walk. A read that fails alone still counts (REFINE_MAX_FAILURES).
 */
export const REFINE_BUSY_FAILURES = 8;

/** Results written to the ledger in one transaction (a flush also ends each walk). */
export const REFINE_FLUSH_ROWS = 250;

export interface RefineDeps {
  ledger: Ledger;
  getFull: (id: number) => Promise<MessagePart>;
}

export interface RefineStats {
  /** Rows whose category is now decided with their headers. */
  refined: number;
  /** Of those, rows whose category changed. */
  changed: number;
  /** Messages whose headers Thunderbird could not give (the row waits for a later walk, or is given up). */
  failed: number;
  /** The first reason a read failed. */
  readError?: string;
  /** Reads stopped after REFINE_BUSY_FAILURES failures in a row (counted against no row). */
  stopped: boolean;
}

/**
 * The category of a received message decided with its own headers, the keys it references and its raw
 * subject. Nothing of a list-only classification enters: the answer depends on the message alone, so every
 * client (and every path) gets the same. The folder counts where it gives a received message (Junk); one that
 * would not count the message at all (the row was written when it was elsewhere) is left out.
 */
export async function refined(
  ctx: BalfContext,
  h: MessageHeader,
  headers: Headers | undefined,
): Promise<Omit<Extract<Refinement, { ok: true }>, 'key'> | null> {
  let c = classifyHeader(ctx, h, headers);
  if (c.direction !== 'in') {
    const { folder: _f, ...elsewhere } = h;
    c = classifyHeader(ctx, elsewhere, headers);
  }
  if (c.direction !== 'in') return null;
  const subject = first(headers, 'subject');
  return {
    ok: true,
    cat: c.category,
    refs: await referencedKeys(ctx.config.secret ?? '', headers),
    ...(subject !== undefined ? { subject } : {}),
  };
}

/**
 * One walk's refinement of one BALF: tasks come page by page, at most `concurrency` reads are in flight, results
 * are written REFINE_FLUSH_ROWS at a time. Each key is read once a walk. State lives in the ledger (the rows'
 * `refine` mark): an event page unloaded meanwhile loses only unwritten results, read again at the next walk.
 */
export class Refiner {
  private readonly queue: RefineTask[] = [];
  private readonly queued = new Set<string>();
  private readonly results: Refinement[] = [];
  private readonly workers = new Set<Promise<void>>();
  /** Workers not yet returned (counted synchronously, unlike `workers`, which a promise callback updates). */
  private active = 0;
  private writes: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  /** Keys of the failed reads since the last successful one. */
  private streak: string[] = [];
  /** Thunderbird could not stream REFINE_BUSY_FAILURES messages in a row: nothing more is read this walk. */
  private busy = false;
  readonly stats: RefineStats = { refined: 0, changed: 0, failed: 0, stopped: false };

  constructor(
    private readonly deps: RefineDeps,
    private readonly ctx: BalfContext,
    private concurrency: number,
  ) {}

  /** Whether this walk has handed the key over already. */
  has(key: string): boolean {
    return this.queued.has(key);
  }

  add(tasks: readonly RefineTask[]): void {
    for (const task of tasks) {
      if (this.queued.has(task.key)) continue;
      this.queued.add(task.key);
      if (!this.busy) this.queue.push(task);
    }
    this.pump();
  }

  /** Reads in flight at once from now on (0: none started until it is raised again). */
  setConcurrency(concurrency: number): void {
    this.concurrency = Math.max(0, concurrency);
    this.pump();
  }

  /** Reads nothing more that is not in flight yet (a walk that failed). */
  stop(): void {
    this.queue.length = 0;
  }

  /** Waits for every read handed over, writes the last results, and says what happened. */
  async drain(): Promise<RefineStats> {
    this.concurrency = Math.max(1, this.concurrency);
    while (this.workers.size > 0 || this.queue.length > 0) {
      this.pump();
      await Promise.all([...this.workers]);
    }
    // Fewer failures in a row than REFINE_BUSY_FAILURES at the end: they count.
    if (!this.busy) this.results.push(...this.streak.map((key) => ({ key, ok: false as const })));
    this.streak = [];
    this.flush();
    await this.writes;
    if (this.failure) throw this.failure.error;
    return this.stats;
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      this.active += 1;
      const worker: Promise<void> = this.work()
        .catch((error: unknown) => {
          this.failure ??= { error };
          this.stop();
        })
        .finally(() => this.workers.delete(worker));
      this.workers.add(worker);
    }
  }

  private async work(): Promise<void> {
    try {
      // A lowered concurrency takes effect as reads end.
      while (this.active <= this.concurrency) {
        const task = this.queue.shift();
        if (!task) return;
        const result = await this.refine(task);
        if (result === 'unread') this.failed(task.key);
        else {
          if (!this.busy) this.results.push(...this.streak.map((key) => ({ key, ok: false as const })));
          this.streak = [];
          this.results.push(result);
        }
        if (this.results.length >= REFINE_FLUSH_ROWS) this.flush();
      }
    } finally {
      this.active -= 1;
    }
  }

  /** A failed read: held in the streak, which either ends with a success (then counted) or stops the walk's reads. */
  private failed(key: string): void {
    if (this.busy) return;
    this.streak.push(key);
    if (this.streak.length >= REFINE_BUSY_FAILURES) {
      this.busy = true;
      this.stats.stopped = true;
      this.streak = [];
      this.stop();
    }
  }

  private async refine({ key, header }: RefineTask): Promise<Refinement | 'unread'> {
    let part: MessagePart;
    try {
      part = await this.deps.getFull(header.id);
    } catch (error) {
      // Thunderbird's ExtensionError may come from another realm: read its message, not its class.
      this.stats.readError ??= String((error as { message?: unknown } | null)?.message ?? error);
      this.stats.failed += 1;
      return 'unread';
    }
    const result = await refined(this.ctx, header, lowerHeaders(part));
    if (!result) return { key, ok: false };
    this.stats.refined += 1;
    return { key, ...result };
  }

  private flush(): void {
    if (this.results.length === 0) return;
    const batch = this.results.splice(0);
    this.writes = this.writes
      .then(async () => {
        this.stats.changed += await this.deps.ledger.applyRefinements(this.ctx.balf, batch);
        // A message found usager only now may belong to a request a later reply already closed.
        const keys = batch.filter((r) => r.ok).map((r) => r.key);
        await extendClosures(
          this.deps.ledger,
          this.ctx.balf,
          await this.deps.ledger.rowsOf(this.ctx.balf, keys),
          false,
        );
      })
      .catch((error: unknown) => {
        this.failure ??= { error };
        this.stop();
      });
  }
}
