// Shared helpers of the command-line tests: the `suivi-balf` bundle (built once by the server projects'
// global setup) spawned in a temporary directory, with only the environment a test gives it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';

/** Each case spawns several Node processes; the machine may be shared and slow. */
export const SLOW = { timeout: 240_000 };

export const CLI = join(import.meta.dirname, '..', '..', 'build', 'server', 'cli.js');

/** Variables that choose the database or change what `serve` does: a test sets them explicitly. */
const CHOSEN_BY_TESTS = ['DATABASE_URL', 'SUIVI_BALF_DATA', 'SUIVI_RETENTION_DAYS'];

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  input?: string;
}

export function startCli(args: string[], options: RunOptions): ChildProcessWithoutNullStreams {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CHOSEN_BY_TESTS) delete env[name];
  Object.assign(env, options.env);
  return spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function runCli(args: string[], options: RunOptions): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, options);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** Rows of a query on a SQLite file, opened read-only for the query only. */
export function sqliteRows<T>(file: string, query: string): T[] {
  const db = new SQLite(file, { readonly: true });
  try {
    return db.prepare(query).all() as T[];
  } finally {
    db.close();
  }
}
