/** Shared pieces of the command line: usage errors, database opening, stdin, table output. */
import { dbTargetFrom, openDatabase, type OpenDb } from '../db/connect.ts';

/** A mistake in the command line itself: printed with a hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export async function withDatabase<T>(
  dbFile: string | undefined,
  io: Io,
  run: (open: OpenDb) => Promise<T>,
): Promise<T> {
  const open = await openDatabase(dbTargetFrom({ db: dbFile, env: io.env }));
  try {
    return await run(open);
  } finally {
    await open.close();
  }
}

/** The first line of standard input (without its line ending), or '' at end of input. */
export async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  let buffer = '';
  for await (const chunk of stdin) {
    buffer += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    const end = buffer.search(/\r?\n/);
    if (end >= 0) return buffer.slice(0, end);
  }
  return buffer;
}

/** Left-aligned columns separated by two spaces. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
