// Reads Thunderbird's stdout line by line and picks out `<marker> {json}` lines printed by add-ons.

export const STATUS_MARKER = 'suivi-balf:status';

/** What the add-on prints after every scan and upload attempt (`logLevel: 'debug'`). */
export interface AddonStatus {
  scanComplete: boolean;
  scanning: boolean;
  queue: number;
  ledger: number;
  lastUpload: 'ok' | 'error' | 'none';
  [other: string]: unknown;
}

export interface MarkedEntry {
  marker: string;
  value: unknown;
  /** Milliseconds since the log was created. */
  at: number;
}

type Waiter = () => void;

/**
 * Thunderbird prints `console.info("text")` of extension pages as `console.info: "text"`, the text
 * JSON-escaped; returns the text itself (or the line unchanged when it has another shape).
 */
export function unquoteConsoleLine(line: string): string {
  const match = /^console\.\w+: ("(?:[^"\\]|\\.)*")\s*$/.exec(line);
  if (!match) return line;
  try {
    return JSON.parse(match[1]!) as string;
  } catch {
    return line;
  }
}

/**
 * Extracts the JSON object after `marker` in a console line. The console service may wrap the
 * logged string in quotes or prefix it (`console.info: "…"`), so the object is found by brace
 * matching rather than by position.
 */
export function extractMarked(rawLine: string, marker: string): unknown {
  if (!rawLine.includes(marker)) return undefined;
  const line = unquoteConsoleLine(rawLine);
  const at = line.indexOf(`${marker} `);
  if (at < 0) return undefined;
  const start = line.indexOf('{', at + marker.length);
  if (start < 0) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = start; i < line.length; i += 1) {
    const c = line[i];
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0) {
        try {
          return JSON.parse(line.slice(start, i + 1)) as unknown;
        } catch {
          return undefined;
        }
      }
    }
  }
  return undefined;
}

export class ConsoleLog {
  private readonly started = Date.now();
  private readonly lines: string[] = [];
  private readonly entries: MarkedEntry[] = [];
  private readonly waiters = new Set<Waiter>();
  private partial = '';
  private closedReason: string | null = null;

  constructor(private readonly markers: readonly string[] = [STATUS_MARKER]) {}

  /** Feeds raw output (chunks may split lines). */
  push(chunk: string): void {
    const text = this.partial + chunk;
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.addLine(line);
  }

  /** Marks the source as gone: pending waits fail at once with `reason`. */
  close(reason: string): void {
    if (this.partial) this.addLine(this.partial);
    this.partial = '';
    this.closedReason = reason;
    this.notify();
  }

  private addLine(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 20000) this.lines.splice(0, 10000);
    for (const marker of this.markers) {
      const value = extractMarked(line, marker);
      if (value !== undefined) this.entries.push({ marker, value, at: Date.now() - this.started });
    }
    this.notify();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  all(marker: string = STATUS_MARKER): MarkedEntry[] {
    return this.entries.filter((e) => e.marker === marker);
  }

  latest<T = AddonStatus>(marker: string = STATUS_MARKER): T | undefined {
    for (let i = this.entries.length - 1; i >= 0; i -= 1) {
      if (this.entries[i]!.marker === marker) return this.entries[i]!.value as T;
    }
    return undefined;
  }

  tail(count = 40): string {
    return this.lines.slice(-count).join('\n');
  }

  /** Every line seen so far that contains `needle`. */
  grep(needle: string | RegExp): string[] {
    return this.lines.filter((l) => (typeof needle === 'string' ? l.includes(needle) : needle.test(l)));
  }

  /**
   * Resolves with the first entry for `marker` (seen after `since`, default: any) that satisfies
   * `predicate`; rejects after `timeoutMs` naming `what` and the last value seen.
   */
  waitFor<T = AddonStatus>(
    predicate: (value: T) => boolean,
    options: { what: string; timeoutMs: number; marker?: string; sinceIndex?: number },
  ): Promise<T> {
    const marker = options.marker ?? STATUS_MARKER;
    let checked = options.sinceIndex ?? 0;
    return new Promise<T>((resolve, reject) => {
      const check: Waiter = () => {
        const list = this.all(marker);
        for (; checked < list.length; checked += 1) {
          const value = list[checked]!.value as T;
          if (predicate(value)) {
            finish();
            resolve(value);
            return;
          }
        }
        if (this.closedReason !== null) {
          finish();
          reject(
            new Error(this.failure(options.what, marker, `Thunderbird s'est arrêté (${this.closedReason})`)),
          );
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(this.failure(options.what, marker, `délai de ${options.timeoutMs} ms dépassé`)));
      }, options.timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  private failure(what: string, marker: string, why: string): string {
    const last = this.latest<unknown>(marker);
    return (
      `Attente « ${what} » : ${why}. Dernier ${marker} : ` +
      `${last === undefined ? '(aucun)' : JSON.stringify(last)}\n--- fin de la sortie de Thunderbird ---\n` +
      this.tail(30)
    );
  }
}
