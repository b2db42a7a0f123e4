// `suivi-balf purge` and `SUIVI_RETENTION_DAYS` end to end: the built command spawned on a SQLite
// file and on PostgreSQL (DATABASE_URL), filled by `suivi-balf demo`; exit codes and French errors.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../support/postgres.ts';

const SLOW = { timeout: 240_000 };
const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'build', 'server', 'cli.js');
let dir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  const full: NodeJS.ProcessEnv = { ...process.env, ...env };
  if (!env['DATABASE_URL']) delete full['DATABASE_URL'];
  if (!('SUIVI_RETENTION_DAYS' in env)) delete full['SUIVI_RETENTION_DAYS'];
  return spawn(process.execPath, [cli, ...args], { cwd: dir, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = start(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The first day kept, as printed by the command. */
function horizonOf(out: string): string {
  const m = /Conservation à partir du (\d{4}-\d{2}-\d{2})/.exec(out);
  if (!m?.[1]) throw new Error(`horizon absent de la sortie :\n${out}`);
  return m[1];
}

type Query = (text: string) => Promise<Record<string, unknown>[]>;

/** Everything the purge must keep or remove, read back from the database. */
async function snapshot(query: Query, horizon: string) {
  const one = async (text: string) => (await query(text))[0] ?? {};
  return {
    old: Number((await one(`select count(*) as n from records where day < '${horizon}'`))['n']),
    recent: Number((await one(`select count(*) as n from records where day >= '${horizon}'`))['n']),
    refs: Number((await one('select count(*) as n from record_refs'))['n']),
    flows: await query('select balf, day, dir, cat, count from daily_flows order by balf, day, dir, cat'),
    replies: await query('select balf, day, delay, count from daily_replies order by balf, day, delay'),
    departmentFlows: await query(
      'select department, day, dir, cat, count from department_daily_flows order by department, day, dir, cat',
    ),
  };
}

beforeAll(() => {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-server.mjs')], {
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`node scripts/build-server.mjs a échoué :\n${built.stderr}`);
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

  it('purges a SQLite file: dry run, purge, idempotent rerun, rollups untouched', SLOW, async () => {
    const db = join(dir, 'demo.sqlite');
    const demo = await run(['demo', '--days', '25', '--db', db]);
    expect(demo.code, demo.stderr).toBe(0);
    const query: Query = async (text) => {
      const s = new SQLite(db, { readonly: true });
      try {
        return s.prepare(text).all() as Record<string, unknown>[];
      } finally {
        s.close();
      }
    };

    const dry = await run(['purge', '--older-than', '10', '--db', db, '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const horizon = horizonOf(dry.stdout);
    const before = await snapshot(query, horizon);
    expect(before.old).toBeGreaterThan(0);
    expect(before.recent).toBeGreaterThan(0);
    expect(dry.stdout).toContain('Simulation (--dry-run)');
    expect(dry.stdout).toContain(`enregistrements par message seraient supprimés : ${before.old} (`);
    expect(await snapshot(query, horizon)).toEqual(before);

    const purged = await run(['purge', '--older-than', '10', '--db', db]);
    expect(purged.code, purged.stderr).toBe(0);
    expect(horizonOf(purged.stdout)).toBe(horizon);
    expect(purged.stdout).toContain(`enregistrements par message supprimés : ${before.old} (`);
    expect(purged.stdout).toContain('Les cumuls quotidiens sont conservés');
    const after = await snapshot(query, horizon);
    expect(after).toEqual({ ...before, old: 0, refs: after.refs });
    expect(after.refs).toBeLessThan(before.refs);
    expect(await query("select value from settings where name = 'retention_horizon'")).toEqual([
      { value: horizon },
    ]);

    const again = await run(['purge', '--older-than', '10', '--db', db]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('enregistrements par message supprimés : 0\n');
    expect(await snapshot(query, horizon)).toEqual(after);
  });

  it('serve with SUIVI_RETENTION_DAYS purges at start, logs it, and stops cleanly', SLOW, async () => {
    const db = join(dir, 'serve.sqlite');
    const demo = await run(['demo', '--days', '12', '--db', db]);
    expect(demo.code, demo.stderr).toBe(0);
    const child = start(['serve', '--db', db, '--port', '0'], { SUIVI_RETENTION_DAYS: '5' });
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const logged = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`pas de purge journalisée :\n${stdout}\n${stderr}`)),
        60_000,
      );
      child.stdout?.on('data', (d: Buffer) => {
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
    const s = new SQLite(db, { readonly: true });
    try {
      expect(s.prepare('select count(*) as n from records where day < ?').get(horizon)).toEqual({ n: 0 });
      expect((s.prepare('select count(*) as n from records').get() as { n: number }).n).toBeGreaterThan(0);
    } finally {
      s.close();
    }
  });

  it('purges PostgreSQL through DATABASE_URL with the same result', SLOW, async () => {
    const url = await createDatabase(inject('pgUrl'), 'purge');
    const env = { DATABASE_URL: url };
    const demo = await run(['demo', '--days', '15'], env);
    expect(demo.code, demo.stderr).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const query: Query = async (text) =>
        (await client.query(text)).rows.map((r: Record<string, unknown>) =>
          // bigint sums come back as strings from pg: compare numbers.
          Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'count' ? Number(v) : v])),
        );
      const dry = await run(['purge', '--older-than', '7', '--dry-run'], env);
      expect(dry.code, dry.stderr).toBe(0);
      const horizon = horizonOf(dry.stdout);
      const before = await snapshot(query, horizon);
      expect(before.old).toBeGreaterThan(0);
      const purged = await run(['purge', '--older-than', '7'], env);
      expect(purged.code, purged.stderr).toBe(0);
      expect(purged.stdout).toContain(`enregistrements par message supprimés : ${before.old} (`);
      const after = await snapshot(query, horizon);
      expect(after).toEqual({ ...before, old: 0, refs: after.refs });
      const again = await run(['purge', '--older-than', '7'], env);
      expect(again.stdout).toContain('enregistrements par message supprimés : 0\n');
      expect(
        (await client.query("select value from settings where name = 'retention_horizon'")).rows,
      ).toEqual([{ value: horizon }]);
    } finally {
      await client.end();
    }
  });
});
