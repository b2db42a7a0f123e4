// policies.json for the Thunderbirds of a test: a private one per Thunderbird as root, else the machine-wide
// file, whose previous content is always put back.
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onProcessEnd } from './process-end.ts';

export const POLICIES_PATH = '/etc/thunderbird/policies/policies.json';

interface Backup {
  pid: number;
  /** Which installation wrote this backup: a handle restores only its own. */
  token?: string;
  /** Previous content, or null when there was no file. */
  content: string | null;
  /** Directories we created, deepest first, removed again if empty. */
  createdDirs: string[];
}

export interface PoliciesHandle {
  readonly path: string;
  /** What the file held before (null: no file); `restore()` puts exactly this back. */
  readonly previous: string | null;
  /** Rewrites the policies (same backup). */
  update(policies: unknown): void;
  /** Puts back what was there before (idempotent). */
  restore(): void;
}

function backupPath(path: string): string {
  return `${path}.suivi-test-backup`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function restoreFrom(path: string, backup: Backup): void {
  if (backup.content === null) {
    if (existsSync(path)) unlinkSync(path);
  } else {
    writeFileSync(path, backup.content);
  }
  rmSync(backupPath(path), { force: true });
  for (const dir of backup.createdDirs) {
    try {
      rmdirSync(dir);
    } catch {
      // Not empty: someone else put files there since; leave it.
    }
  }
}

/**
 * Installs `policies` at `path`. The previous state is saved next to it first, so that a run that
 * died (SIGKILL) is repaired by the next one; a run still alive elsewhere makes this throw instead
 * of fighting over the machine-wide file.
 */
export function installPolicies(policies: unknown, path = POLICIES_PATH): PoliciesHandle {
  const backupFile = backupPath(path);
  if (existsSync(backupFile)) {
    const stale = JSON.parse(readFileSync(backupFile, 'utf8')) as Backup;
    if (stale.pid !== process.pid && alive(stale.pid)) {
      throw new Error(`${path} est déjà utilisé par un autre test (pid ${stale.pid})`);
    }
    restoreFrom(path, stale);
  }
  const createdDirs: string[] = [];
  for (let dir = dirname(path); !existsSync(dir); dir = dirname(dir)) createdDirs.push(dir);
  mkdirSync(dirname(path), { recursive: true });
  const backup: Backup = {
    pid: process.pid,
    token: randomUUID(),
    content: existsSync(path) ? readFileSync(path, 'utf8') : null,
    createdDirs,
  };
  writeFileSync(backupFile, JSON.stringify(backup));

  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    unregister();
    // An earlier handle of this same process may have been superseded (a later install found
    // its backup and restored it): then the file is no longer ours to put back.
    const current = existsSync(backupFile) ? (JSON.parse(readFileSync(backupFile, 'utf8')) as Backup) : null;
    if (current?.token !== backup.token) return;
    restoreFrom(path, backup);
  };
  const unregister = onProcessEnd(restore);

  const write = (value: unknown): void => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  write(policies);
  return { path, previous: backup.content, update: write, restore };
}

/** The `policies.json` document that configures one add-on through `storage.managed`. */
export function managedPolicies(
  addonId: string,
  managed: Readonly<Record<string, unknown>>,
  preferences: Readonly<Record<string, unknown>> = {},
): unknown {
  const policies: Record<string, unknown> = { '3rdparty': { Extensions: { [addonId]: managed } } };
  if (Object.keys(preferences).length > 0) {
    policies['Preferences'] = Object.fromEntries(
      Object.entries(preferences).map(([name, value]) => [name, { Value: value, Status: 'default' }]),
    );
  }
  return { policies };
}

/**
 * The policies for the Thunderbirds this process launches next. As root (`canIsolatePolicies`) they go to
 * a private directory that `launchThunderbird` mounts over the machine-wide one for each Thunderbird it
 * starts (`ambientPoliciesDir`): the machine-wide file is left alone, and test files need not take turns.
 * Otherwise they go to the machine-wide file like `installPolicies`, waiting (up to `waitMs`) while another
 * live process holds it: several real-Thunderbird runs on one machine take turns instead of failing.
 */
export async function acquirePolicies(
  policies: unknown,
  options: { waitMs?: number; path?: string } = {},
): Promise<PoliciesHandle> {
  if (options.path === undefined && canIsolatePolicies()) return privatePolicies(policies);
  const deadline = Date.now() + (options.waitMs ?? 600_000);
  for (;;) {
    try {
      return installPolicies(policies, options.path);
    } catch (error) {
      const busy = error instanceof Error && error.message.includes('déjà utilisé');
      if (!busy || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

let ambient: string | undefined;

/** The private policies directory of this process's current `acquirePolicies` handle, if any. */
export function ambientPoliciesDir(): string | undefined {
  return ambient;
}

function privatePolicies(policies: unknown): PoliciesHandle {
  const dir = mkdtempSync(join(tmpdir(), 'suivi-policies-'));
  const path = writePrivatePolicies(dir, policies);
  const remove = (): void => {
    if (ambient === dir) ambient = undefined;
    rmSync(dir, { recursive: true, force: true });
  };
  const unregister = onProcessEnd(remove);
  ambient = dir;
  return {
    path,
    previous: existsSync(POLICIES_PATH) ? readFileSync(POLICIES_PATH, 'utf8') : null,
    update: (value) => writePrivatePolicies(dir, value),
    restore() {
      unregister();
      remove();
    },
  };
}

/**
 * Thunderbird reads policies.json from one machine-wide directory. As root, a Thunderbird can instead be
 * started in a mount namespace of its own where that directory is a private one (`launchThunderbird`'s
 * `policiesDir`): then each run has its own policies.json, and runs need not take turns.
 */
export function canIsolatePolicies(): boolean {
  return process.getuid?.() === 0 && existsSync('/usr/bin/unshare');
}

/** Writes `dir/policies.json`, read by the Thunderbirds started with `dir` as `policiesDir`; returns its path. */
export function writePrivatePolicies(dir: string, policies: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'policies.json');
  writeFileSync(path, `${JSON.stringify(policies, null, 2)}\n`);
  return path;
}
