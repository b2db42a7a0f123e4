// `suivi-balf purge` and `SUIVI_RETENTION_DAYS` end to end on SQLite files: French errors, and `serve`
// purging at start (the purge itself on SQLite and PostgreSQL: cli-databases.test.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, SLOW, sqliteRows, startCli, type Run } from './cli-support.ts';

let dir: string;

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runCli(args, { cwd: dir, env });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'suivi-purge-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('suivi-balf purge', () => {
  it('refuses invalid values in French with a non-zero exit', SLOW, async () => {
    const db = join(dir, 'invalid.sqlite');
    for (const value of ['abc', '0', '-3', '1.5']) {
      const r = await run(['purge', `--older-than=${value}`, '--db', db]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(`--older-than invalide « ${value} »`);
      expect(r.stderr).toContain('nombre entier de jours');
    }
    const missing = await run(['purge', '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('Option --older-than <jours> obligatoire');
    const serve = await run(['serve', '--db', db, '--port', '0'], { SUIVI_RETENTION_DAYS: 'deux ans' });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain('SUIVI_RETENTION_DAYS invalide « deux ans »');
    expect(serve.stdout).not.toContain('écoute sur');
  });

  it('serve with SUIVI_RETENTION_DAYS purges at start, logs it, and stops cleanly', SLOW, async () => {
    const db = join(dir, 'serve.sqlite');
    const demo = await run(['demo', '--days', '12', '--db', db]);
    expect(demo.code, demo.stderr).toBe(0);
    const child = startCli(['serve', '--db', db, '--port', '0'], {
      cwd: dir,
      env: { SUIVI_RETENTION_DAYS: '5' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const logged = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`pas de purge journalisée :\n${stdout}\n${stderr}`)),
        60_000,
      );
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString('utf8');
        for (const line of stdout.split('\n')) {
          if (!line.includes('purge de conservation effectuée')) continue;
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        }
      });
    });
    const entry = await logged;
    expect(entry['retention']).toMatchObject({ days: 5, dryRun: false });
    const { horizon, records } = entry['retention'] as { horizon: string; records: number };
    expect(records).toBeGreaterThan(0);
    expect(stdout).toMatch(/Suivi BALF écoute sur http:\/\/127\.0\.0\.1:\d+/);
    // Twice at once, as when the signal goes to a process group and `npm start` forwards it too:
    // still a clean stop, not a forced one.
    child.kill('SIGTERM');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).not.toContain('Arrêt forcé');
    expect(stdout).toContain('Suivi BALF arrêté.');
    expect(sqliteRows(db, `select count(*) as n from records where day < '${horizon}'`)).toEqual([{ n: 0 }]);
    expect(sqliteRows<{ n: number }>(db, 'select count(*) as n from records')[0]!.n).toBeGreaterThan(0);
  });
});
