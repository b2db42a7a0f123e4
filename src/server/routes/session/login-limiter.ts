/**
 * Per-address throttle of failed logins (fixed window, in memory): slows password guessing across
 * accounts. Successful logins are not counted, so many users behind one proxy address can log in.
 */
export class LoginLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
  ) {}

  /** 0 when the address may try, else the milliseconds to wait. */
  wait(key: string, now: number): number {
    const w = this.#windows.get(key);
    if (!w || now - w.start >= this.windowMs) return 0;
    return w.count >= this.maxFailures ? w.start + this.windowMs - now : 0;
  }

  fail(key: string, now: number): void {
    if (this.#windows.size > 10_000) this.#sweep(now);
    const w = this.#windows.get(key);
    if (!w || now - w.start >= this.windowMs) this.#windows.set(key, { start: now, count: 1 });
    else w.count += 1;
  }

  #sweep(now: number): void {
    for (const [key, w] of this.#windows) if (now - w.start >= this.windowMs) this.#windows.delete(key);
  }
}
