/**
 * A task `serve` runs at start and then every `intervalMs`, one run at a time: a slow run delays the next
 * rather than overlapping it; `stop` lets the run in progress finish and starts none afterwards.
 */
export interface Periodic<T> {
  /** Resolves once the run now in progress (if any) has finished; no run starts afterwards. */
  stop(): Promise<void>;
  /** The run started last (for tests). */
  readonly last: Promise<T>;
}

export function startPeriodic<T>(task: () => Promise<T>, idle: T, intervalMs: number): Periodic<T> {
  let stopped = false;
  let running: Promise<T> = Promise.resolve(idle);
  const run = (): void => {
    if (stopped) return;
    running = running.then(() => (stopped ? idle : task()));
  };
  run();
  const timer = setInterval(run, intervalMs);
  timer.unref();
  return {
    get last() {
      return running;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
