// Starts a headless Thunderbird on a profile, watches its stdout, and stops it (only the processes it started).
import { spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConsoleLog, STATUS_MARKER } from './console-log.ts';
import { onProcessEnd } from './process-end.ts';
import { ambientPoliciesDir, POLICIES_PATH } from './policies.ts';
import { requireThunderbirdAndDovecot, THUNDERBIRD_BIN } from './system.ts';

export interface LaunchOptions {
  profileDir: string;
  /** HOME for Thunderbird (default: `<profileDir>/../home`), so nothing outside the temp dir is touched. */
  homeDir?: string;
  /** Also write everything Thunderbird prints here. */
  logFile?: string;
  /** Markers of `<marker> {json}` lines to collect (default: the add-on's status). */
  markers?: readonly string[];
  /**
   * A directory holding the policies.json this Thunderbird alone reads (`writePrivatePolicies`; root
   * only, see `canIsolatePolicies`); default: that of this process's `acquirePolicies` handle, if
   * private; without either, Thunderbird reads the machine-wide file.
   */
  policiesDir?: string;
}

export interface ThunderbirdProcess {
  readonly pid: number;
  readonly log: ConsoleLog;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** Resident memory of Thunderbird and its child processes, in bytes (Linux /proc). */
  memory(): Promise<number>;
  /** SIGTERM, then SIGKILL after `graceMs`, to the process group it leads; removes profile locks. */
  stop(graceMs?: number): Promise<void>;
}

async function processTreeRss(rootPid: number): Promise<number> {
  // Thunderbird's children (content, GPU, socket processes) share its process group.
  let total = 0;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgrp = Number(fields[2]);
      if (pgrp !== rootPid) continue;
      const status = await readFile(`/proc/${name}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+) kB/.exec(status);
      if (rss) total += Number(rss[1]) * 1024;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

export async function removeProfileLocks(profileDir: string): Promise<void> {
  await rm(join(profileDir, 'lock'), { force: true });
  await rm(join(profileDir, '.parentlock'), { force: true });
}

export async function launchThunderbird(options: LaunchOptions): Promise<ThunderbirdProcess> {
  requireThunderbirdAndDovecot();
  const home = options.homeDir ?? join(options.profileDir, '..', 'home');
  await mkdir(home, { recursive: true });
  await removeProfileLocks(options.profileDir);
  const log = new ConsoleLog(options.markers ?? [STATUS_MARKER]);
  let file: WriteStream | null = null;
  if (options.logFile) file = createWriteStream(options.logFile, { flags: 'a' });

  const args = ['--headless', '--no-remote', '--profile', options.profileDir];
  const policiesDir = options.policiesDir ?? ambientPoliciesDir();
  // The mount point: an empty directory changes nothing for a Thunderbird started without a private one.
  if (policiesDir) await mkdir(dirname(POLICIES_PATH), { recursive: true });
  // Same process (unshare and sh exec): a private mount of the policies directory, then Thunderbird.
  const [command, argv] = policiesDir
    ? [
        'unshare',
        [
          '--mount',
          '--propagation',
          'private',
          '--',
          'sh',
          '-c',
          'mount --bind "$0" "$1" && shift && exec "$@"',
          policiesDir,
          dirname(POLICIES_PATH),
          THUNDERBIRD_BIN,
          ...args,
        ],
      ]
    : [THUNDERBIRD_BIN, args];
  const child = spawn(command, argv, {
    // Own process group: stop() signals exactly this Thunderbird and its children.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HOME: home,
      MOZ_HEADLESS: '1',
      MOZ_CRASHREPORTER_DISABLE: '1',
      MOZ_NO_REMOTE: '1',
      MOZ_DISABLE_AUTO_SAFE_MODE: '1',
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`Impossible de lancer ${THUNDERBIRD_BIN}`);
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    log.push(text);
    file?.write(text);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);

  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  // If the test process dies first, do not leave a Thunderbird behind.
  const unregister = onProcessEnd(() => killGroup('SIGKILL'));

  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      unregister();
      log.close(signal ? `signal ${signal}` : `code ${code}`);
      file?.end();
      resolve();
    });
  });

  let stopping: Promise<void> | null = null;
  return {
    pid,
    log,
    exited,
    memory: () => processTreeRss(pid),
    stop(graceMs = 5000) {
      stopping ??= (async () => {
        killGroup('SIGTERM');
        const timer = setTimeout(() => killGroup('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
        // Children of the group may outlive the parent by a moment.
        killGroup('SIGKILL');
        await removeProfileLocks(options.profileDir);
      })();
      return stopping;
    },
  };
}
