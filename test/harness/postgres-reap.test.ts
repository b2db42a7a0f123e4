// The throw-away PostgreSQL clusters of the test setup never outlive their test process.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { reapOrphanClusters, startPostgres, type PostgresCluster } from '../support/postgres.ts';

/** The pid of a process that has already exited. */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$']);
  return Number(child.stdout.toString().trim());
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('grappes PostgreSQL jetables', () => {
  let cluster: PostgresCluster | undefined;
  afterEach(async () => {
    if (cluster && existsSync(cluster.dir)) await cluster.stop();
    cluster = undefined;
  });

  it('une grappe dont le processus propriétaire est mort est arrêtée et supprimée', async () => {
    cluster = await startPostgres();
    expect(await answers(cluster.url)).toBe(true);
    // Ours and alive: left alone.
    expect(reapOrphanClusters()).not.toContain(cluster.dir);
    expect(await answers(cluster.url)).toBe(true);
    // Its owner is now a dead process, as after a SIGKILL of the test run.
    writeFileSync(join(cluster.dir, 'owner.pid'), `${deadPid()}\n`);
    expect(reapOrphanClusters()).toContain(cluster.dir);
    expect(existsSync(cluster.dir)).toBe(false);
    expect(await answers(cluster.url)).toBe(false);
  }, 120_000);
});
