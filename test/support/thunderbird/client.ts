// One Thunderbird client on a BALF: builds its profile in a work directory and launches it.
import { join } from 'node:path';
import { launchThunderbird, type ThunderbirdProcess } from './launcher.ts';
import { buildProfile, type PrefValue, type SideloadedAddon } from './profile.ts';

export interface ClientOptions {
  workDir: string;
  /** Distinguishes several clients of one run (`client-1`, `client-2`…). */
  name?: string;
  imapPort: number;
  balf: string;
  addons: readonly SideloadedAddon[];
  prefs?: Readonly<Record<string, PrefValue>>;
  markers?: readonly string[];
  /** A private policies.json directory (`launchThunderbird`), kept for restarts. */
  policiesDir?: string;
}

export interface Client {
  readonly name: string;
  readonly policiesDir?: string;
  readonly profileDir: string;
  readonly logFile: string;
  readonly tb: ThunderbirdProcess;
}

export async function startClient(options: ClientOptions): Promise<Client> {
  const name = options.name ?? 'client-1';
  const profileDir = join(options.workDir, name, 'profile');
  const logFile = join(options.workDir, name, 'thunderbird.log');
  await buildProfile({
    dir: profileDir,
    imap: { port: options.imapPort, address: options.balf },
    addons: options.addons,
    ...(options.prefs ? { prefs: options.prefs } : {}),
  });
  const tb = await launchThunderbird({
    profileDir,
    homeDir: join(options.workDir, name, 'home'),
    logFile,
    ...(options.markers ? { markers: options.markers } : {}),
    ...(options.policiesDir ? { policiesDir: options.policiesDir } : {}),
  });
  return {
    name,
    profileDir,
    logFile,
    tb,
    ...(options.policiesDir ? { policiesDir: options.policiesDir } : {}),
  };
}

/** Restarts a stopped client on the same profile (its add-on data survives). */
export async function restartClient(client: Client, markers?: readonly string[]): Promise<Client> {
  await client.tb.stop();
  const tb = await launchThunderbird({
    profileDir: client.profileDir,
    homeDir: join(client.profileDir, '..', 'home'),
    logFile: client.logFile,
    ...(markers ? { markers } : {}),
    ...(client.policiesDir ? { policiesDir: client.policiesDir } : {}),
  });
  return { ...client, tb };
}
