// A throw-away PostgreSQL cluster for the server tests, from Debian's packages, on loopback.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const INSTALL_HINT = 'sudo apt-get install -y postgresql   (or: bash scripts/setup-system.sh)';

export interface PostgresCluster {
  /** URL of the `postgres` maintenance database (superuser, trust auth on loopback). */
  url: string;
  /** Directory holding the cluster (data, socket, log, owner.pid). */
  dir: string;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error(
      `PostgreSQL est requis pour les tests du serveur et n'est pas installé (initdb introuvable sous ${root}). Installez-le : ${INSTALL_HINT}`,
    );
  }
  return join(root, versions[0]!, 'bin');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL binary as the `postgres` user when we are root (initdb refuses root). */
function run(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const result = spawnSync(cmd, argv, { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `${bin} ${args.join(' ')} a échoué (${result.status}) :\n${result.stdout}\n${result.stderr}`,
    );
  }
}

const CLUSTER_PREFIX = 'suivi-pg-';
const OWNER_FILE = 'owner.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops a cluster directory's server (if any) and removes the directory; never throws. */
function discard(bin: string, dir: string): void {
  const data = join(dir, 'data');
  if (existsSync(join(data, 'postmaster.pid'))) {
    try {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // Already stopped, or its files are gone: removing the directory is all that is left.
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Clusters whose owning test process died (SIGKILL, a CI timeout, Ctrl-C during setup) would keep
 * running forever: each start reaps the ones whose owner is no longer alive.
 */
export function reapOrphanClusters(bin = binDir(), root = tmpdir()): string[] {
  const reaped: string[] = [];
  for (const name of readdirSync(root)) {
    if (!name.startsWith(CLUSTER_PREFIX)) continue;
    const dir = join(root, name);
    let owner = 0;
    try {
      owner = Number(readFileSync(join(dir, OWNER_FILE), 'utf8').trim());
    } catch {
      continue; // Not ours (or still being created by a live process): leave it.
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
      discard(bin, dir);
      reaped.push(dir);
    }
  }
  return reaped;
}

const live = new Set<() => void>();
let exitHooked = false;

/** Ctrl-C or a CI timeout's SIGTERM must not leave a running cluster behind. */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  const stopAll = (): void => {
    for (const stop of [...live]) stop();
  };
  process.once('exit', stopAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      stopAll();
      // Default action (end the process) unless someone else (the test runner) handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** `durable: true` keeps fsync on (benchmarks); tests run without it. */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresCluster> {
  const bin = binDir();
  reapOrphanClusters(bin);
  const dir = mkdtempSync(join(tmpdir(), CLUSTER_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), `${process.pid}\n`);
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
  run(join(bin, 'initdb'), [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
  ]);
  const port = await freePort();
  writeFileSync(join(dir, 'README'), 'Cluster PostgreSQL jetable des tests de suivi-balf.\n');
  run(join(bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    join(dir, 'server.log'),
    '-w',
    '-t',
    '60',
    '-o',
    `-c listen_addresses=127.0.0.1 -c port=${port} -k ${dir} -c max_connections=200 ` +
      (options.durable
        ? '-c shared_buffers=512MB -c work_mem=64MB'
        : '-c fsync=off -c synchronous_commit=off -c full_page_writes=off'),
    'start',
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const emergencyStop = (): void => discard(bin, dir);
  live.add(emergencyStop);
  hookExit();
  return {
    url,
    dir,
    async stop() {
      live.delete(emergencyStop);
      try {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates a fresh database on the cluster and returns its URL. */
export async function createDatabase(maintenanceUrl: string, prefix = 't'): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`.toLowerCase();
  const client = new pg.Client({ connectionString: maintenanceUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(maintenanceUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
