// A simulated clock for fault tests: `now` moves only when the test says, and timers (request
// timeouts) fire in order as it moves, so hours of backoff take milliseconds.
export class SimClock {
  private nowMs: number;
  private timers: { due: number; fn: () => void }[] = [];
  /** Instants (simulated ms) at which timeout signals fired. */
  readonly timeouts: number[] = [];

  constructor(start: Date) {
    this.nowMs = start.getTime();
  }

  get now(): number {
    return this.nowMs;
  }

  readonly fn = (): Date => new Date(this.nowMs);

  /** Like AbortSignal.timeout, but on simulated time. */
  readonly timeoutSignal = (ms: number): AbortSignal => {
    const controller = new AbortController();
    this.timers.push({
      due: this.nowMs + ms,
      fn: () => {
        if (controller.signal.aborted) return;
        this.timeouts.push(this.nowMs);
        controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError'));
      },
    });
    return controller.signal;
  };

  /** Moves to `target` (never backwards), firing due timers in order and letting I/O run between. */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      this.timers.sort((a, b) => a.due - b.due);
      const next = this.timers[0];
      if (!next || next.due > target) break;
      this.timers.shift();
      this.nowMs = Math.max(this.nowMs, next.due);
      next.fn();
      await realTick();
    }
    this.nowMs = Math.max(this.nowMs, target);
  }

  advanceBy(ms: number): Promise<void> {
    return this.advanceTo(this.nowMs + ms);
  }

  /** Sets the clock to any instant, backwards included: a workstation clock being corrected. */
  set(instant: Date): void {
    this.nowMs = instant.getTime();
  }
}

/** Lets promise continuations and socket events scheduled so far run. */
export function realTick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export { seededRandom } from '../seeded-random.ts';
