// The built `suivi-balf` command on the database its environment names — SQLite through SUIVI_BALF_DATA,
// PostgreSQL through DATABASE_URL: tokens, users, directory, demo data, and the retention purge.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { databaseKinds, type DatabaseKind } from '../support/databases.ts';
import { createDatabase } from '../support/postgres.ts';
import { runCli, SLOW, sqliteRows, type Run } from './cli-support.ts';

type Query = (text: string) => Promise<Record<string, unknown>[]>;

interface Target {
  /** The environment that names this database to the command. */
  env: Record<string, string>;
  query: Query;
  close(): Promise<void>;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'suivi-cli-db-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A new empty database of `kind`, named only by the environment (no --db). */
async function freshTarget(kind: DatabaseKind, name: string): Promise<Target> {
  if (kind === 'sqlite') {
    const data = mkdtempSync(join(dir, `${name}-`));
    const file = join(data, 'suivi-balf.sqlite');
    return {
      env: { SUIVI_BALF_DATA: data },
      query: async (text) => sqliteRows<Record<string, unknown>>(file, text),
      close: async () => undefined,
    };
  }
  const url = await createDatabase(inject('pgUrl'), name);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    env: { DATABASE_URL: url },
    query: async (text) =>
      (await client.query(text)).rows.map((r: Record<string, unknown>) =>
        // bigint sums come back as strings from pg: compare numbers.
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'count' ? Number(v) : v])),
      ),
    close: () => client.end(),
  };
}

/** The first day kept, as printed by the command. */
function horizonOf(out: string): string {
  const m = /Conservation à partir du (\d{4}-\d{2}-\d{2})/.exec(out);
  if (!m?.[1]) throw new Error(`horizon absent de la sortie :\n${out}`);
  return m[1];
}

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

describe.each(databaseKinds)('suivi-balf on the database named by the environment, %s', (kind) => {
  let target: Target | undefined;
  afterAll(() => target?.close());
  const run = (args: string[], input?: string): Promise<Run> =>
    runCli(args, { cwd: dir, env: target!.env, ...(input === undefined ? {} : { input }) });

  it('creates tokens and users, imports and exports the directory, fills demo data', SLOW, async () => {
    target = await freshTarget(kind, 'cli');
    const created = await run(['token', 'create', '--scope', 'national']);
    expect(created.code, created.stderr).toBe(0);
    expect((await run(['token', 'list'])).stdout).toMatch(/national\s+envoi/);
    const added = await run(
      ['user', 'add', 'env.user', '--scope', 'department:974'],
      'mot de passe solide\n',
    );
    expect(added.code, added.stderr).toBe(0);
    expect((await run(['user', 'list'])).stdout).toMatch(/env\.user\s+department:974/);
    const file = join(dir, `annuaire-${kind}.csv`);
    writeFileSync(
      file,
      'department_code,department_name,service_code,service_name,service_kind,balf_address\n974,Réunion,S974,SIP,SIP,a@b.fr\n',
    );
    expect((await run(['directory', 'import', file])).code).toBe(0);
    const demo = await run(['demo', '--days', '7', '--until', '2025-09-30', '--user', 'env.admin']);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toContain('du 2025-09-24 au 2025-09-30');
    expect(demo.stdout).toMatch(/identifiant : env\.admin {2}mot de passe : \S+/);
    const exported = await run(['directory', 'export']);
    expect(exported.stdout).toContain('sip.saint-denis@dgfip.finances.gouv.fr');
    expect(exported.stdout).toContain('a@b.fr');
    const admins = await target.query("select count(*) as n from users where login = 'env.admin'");
    expect(Number(admins[0]?.['n'])).toBe(1);
  });

  it('purges: dry run, purge, idempotent rerun, rollups untouched', SLOW, async () => {
    await target?.close();
    target = await freshTarget(kind, 'purge');
    const { query } = target;
    const demo = await run(['demo', '--days', '15']);
    expect(demo.code, demo.stderr).toBe(0);

    const dry = await run(['purge', '--older-than', '7', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    const horizon = horizonOf(dry.stdout);
    const before = await snapshot(query, horizon);
    expect(before.old).toBeGreaterThan(0);
    expect(before.recent).toBeGreaterThan(0);
    expect(dry.stdout).toContain('Simulation (--dry-run)');
    expect(dry.stdout).toContain(`enregistrements par message seraient supprimés : ${before.old} (`);
    expect(await snapshot(query, horizon)).toEqual(before);

    const purged = await run(['purge', '--older-than', '7']);
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

    const again = await run(['purge', '--older-than', '7']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('enregistrements par message supprimés : 0\n');
    expect(await snapshot(query, horizon)).toEqual(after);
  });
});
