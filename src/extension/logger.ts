// Named loggers per area, filtered by the configured level; the status line for the test harness.
import type { LogLevel } from './config.ts';

const rank: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Sink {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
}

export interface Logger {
  error(message: string, detail?: unknown): void;
  warn(message: string, detail?: unknown): void;
  info(message: string, detail?: unknown): void;
  debug(message: string, detail?: unknown): void;
}

export function makeLogger(area: string, level: () => LogLevel, sink: Sink = console): Logger {
  const at =
    (l: LogLevel) =>
    (message: string, detail?: unknown): void => {
      if (rank[l] > rank[level()]) return;
      const line = `suivi-balf[${area}] ${message}`;
      if (detail === undefined) sink[l](line);
      else sink[l](line, detail);
    };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
}

/** The one line the real-Thunderbird harness reads from stdout (logLevel 'debug' only). */
export interface StatusLine {
  scanComplete: boolean;
  scanning: boolean;
  queue: number;
  ledger: number;
  /** Received rows of the BALFs still waiting for their headers: the figures are provisional until 0. */
  unrefined: number;
  /** Received rows given up (unreadable, gone): counted with their list-only category, unverified. */
  unverified: number;
  lastUpload: 'ok' | 'error' | 'none';
  lastError?: string;
  at: string;
}

export const STATUS_PREFIX = 'suivi-balf:status ';

export function emitStatus(sink: Pick<Sink, 'info'>, status: StatusLine): void {
  sink.info(STATUS_PREFIX + JSON.stringify(status));
}
