/** Per-address login throttle (fixed window, in memory): slows password guessing across accounts. */
export class LoginLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}

  /** Records an attempt; returns 0 when allowed, else the milliseconds to wait. */
  hit(key: string, now: number): number {
    if (this.#windows.size > 10_000) this.#sweep(now);
    const w = this.#windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      this.#windows.set(key, { start: now, count: 1 });
      return 0;
    }
    w.count += 1;
    return w.count > this.max ? w.start + this.windowMs - now : 0;
  }

  #sweep(now: number): void {
    for (const [key, w] of this.#windows) if (now - w.start >= this.windowMs) this.#windows.delete(key);
  }
}
