// Serves a Maildir over IMAP on 127.0.0.1: one Dovecot `imap` process per connection, pre-authenticated.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observeSession, type SessionEvents } from './session-observer.ts';
import { chownTree, Maildir, type Owner } from './maildir.ts';

export const DOVECOT_IMAP = '/usr/lib/dovecot/imap';
export const DEFAULT_IMAP_USER = 'suivibalf';

export interface SystemUser extends Owner {
  name: string;
}

/**
 * The unprivileged user Dovecot runs as (Dovecot refuses to serve mail as root). Created with
 * `useradd --system` when missing and we are root; otherwise the error gives the command.
 */
export function ensureImapUser(name = DEFAULT_IMAP_USER): SystemUser {
  const lookup = (): SystemUser | null => {
    const out = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
    if (out.status !== 0) return null;
    const fields = out.stdout.trim().split(':');
    return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
  };
  const existing = lookup();
  if (existing) return existing;
  const command = `useradd --system --no-create-home --shell /usr/sbin/nologin ${name}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`Utilisateur système « ${name} » absent ; créez-le en root : ${command}`);
  }
  const made = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', name], {
    encoding: 'utf8',
  });
  const created = lookup();
  if (made.status !== 0 || !created) {
    throw new Error(`Échec de « ${command} » : ${made.stderr.trim()}`);
  }
  return created;
}

export interface ImapServer {
  readonly port: number;
  readonly maildir: Maildir;
  /** Directory holding `home/` and `Maildir/`, owned by the IMAP user. */
  readonly dir: string;
  /** Number of IMAP sessions started so far. */
  readonly sessions: () => number;
  /** Last lines Dovecot wrote on stderr (for error messages). */
  readonly stderrTail: () => string;
  /**
   * Another port on the same Maildir whose sessions report what their client does (`SessionEvents`):
   * one per Thunderbird tells when that Thunderbird has downloaded the headers of each folder.
   */
  listen(events: SessionEvents): Promise<number>;
  close(): Promise<void>;
}

export interface ImapServerOptions {
  /** Existing Maildir++ tree to serve (copied); otherwise an empty INBOX. */
  source?: string;
  /** Folders to create besides INBOX, e.g. `['Sent', 'Dossiers.Urgent']`. */
  folders?: readonly string[];
  /** Parent directory for the served copy (default: a new temp directory). */
  baseDir?: string;
  user?: string;
  /**
   * Dovecot's quota plugin with a `maildir` quota of this storage limit (Dovecot's syntax, e.g. `10M`):
   * the server then announces QUOTA and answers GETQUOTAROOT (RFC 9208, STORAGE in KiB). Without it the
   * server has no QUOTA capability.
   */
  quotaStorage?: string;
}

/** Starts the listener; the Maildir is served from a copy owned by the IMAP user. */
export async function startImapServer(options: ImapServerOptions = {}): Promise<ImapServer> {
  await access(DOVECOT_IMAP).catch(() => {
    throw new Error(`Dovecot absent (${DOVECOT_IMAP}) : apt-get install -y dovecot-imapd`);
  });
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? ensureImapUser(options.user) : null;
  const owner = user ? { uid: user.uid, gid: user.gid } : undefined;
  const dir = options.baseDir ?? (await mkdtemp(join(tmpdir(), 'suivi-imap-')));
  await mkdir(dir, { recursive: true });
  // mkdtemp makes 0700 directories: the IMAP user must be able to walk into its own tree.
  await chmod(dir, 0o755);
  const home = join(dir, 'home');
  await mkdir(home, { recursive: true });
  const root = join(dir, 'Maildir');
  const maildir = options.source
    ? await Maildir.copyFrom(options.source, root, owner)
    : await Maildir.create(root, [], owner);
  for (const folder of options.folders ?? []) await maildir.ensureFolder(folder);
  if (owner) await chownTree(home, owner);
  if (user) {
    // A parent made by mkdtemp (0700) hides the tree from the IMAP user: say so instead of serving nothing.
    const probe = spawnSync('runuser', ['-u', user.name, '--', 'test', '-w', join(root, 'cur')]);
    if (probe.status !== 0) {
      throw new Error(
        `L'utilisateur ${user.name} ne peut pas écrire dans ${root} : rendez ses dossiers parents ` +
          `traversables (chmod 755 sur chaque parent créé par mkdtemp).`,
      );
    }
  }

  const children = new Set<ChildProcess>();
  const sockets = new Set<Socket>();
  let sessions = 0;
  let stderr = '';
  const env = { USER: user?.name ?? process.env['USER'] ?? 'suivi', HOME: home, PATH: '/usr/bin:/bin' };
  const imapArgs = [DOVECOT_IMAP, '-o', `mail_location=maildir:${root}`];
  if (options.quotaStorage !== undefined) {
    if (!/^\d+[KMG]?$/.test(options.quotaStorage))
      throw new Error(`Limite de quota invalide « ${options.quotaStorage} » (par exemple 10M)`);
    imapArgs.push(
      '-o',
      'mail_plugins=quota imap_quota',
      '-o',
      'plugin/quota=maildir:User quota',
      '-o',
      `plugin/quota_rule=*:storage=${options.quotaStorage}`,
    );
  }

  const servers: Server[] = [];
  const openListener = async (events?: SessionEvents): Promise<number> => {
    const server: Server = createServer((socket) => {
      sessions += 1;
      sockets.add(socket);
      const child = user
        ? spawn('runuser', ['-u', user.name, '--', 'env', `USER=${env.USER}`, `HOME=${home}`, ...imapArgs], {
            stdio: ['pipe', 'pipe', 'pipe'],
          })
        : spawn(imapArgs[0]!, imapArgs.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env });
      children.add(child);
      socket.pipe(child.stdin!);
      child.stdout!.pipe(socket);
      if (events) {
        const observer = observeSession(events);
        socket.on('data', (chunk: Buffer) => observer.client(chunk));
        child.stdout!.on('data', (chunk: Buffer) => observer.server(chunk));
      }
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString('utf8')).slice(-4000);
      });
      const end = (): void => {
        socket.destroy();
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      };
      child.on('exit', () => {
        children.delete(child);
        socket.end();
      });
      child.stdin!.on('error', () => undefined);
      socket.on('error', end);
      socket.on('close', () => {
        sockets.delete(socket);
        end();
      });
    });
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('écoute IMAP impossible');
    return address.port;
  };
  const port = await openListener();

  return {
    port,
    maildir,
    dir,
    sessions: () => sessions,
    stderrTail: () => stderr,
    listen: (events) => openListener(events),
    async close() {
      for (const socket of sockets) socket.destroy();
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    },
  };
}
