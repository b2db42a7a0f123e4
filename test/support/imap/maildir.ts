// A Maildir++ tree on disk (INBOX at the top, other folders as `.Name`), written the way a mail server would.
import { randomBytes } from 'node:crypto';
import { chown, cp, mkdir, readdir, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AddOptions {
  /** `new` = just delivered (unseen, what IMAP IDLE reports); `cur` = already seen by a client. */
  state?: 'new' | 'cur';
  /** File time; Dovecot uses it as the IMAP INTERNALDATE (the "received" date). */
  receivedAt?: Date;
}

export interface Owner {
  uid: number;
  gid: number;
}

let counter = 0;

/** Maildir++ folder directory name: `INBOX` → root, `Sent` → `.Sent`, `A/B` or `A.B` → `.A.B`. */
export function folderDirName(folder: string): string {
  if (folder === '' || folder.toUpperCase() === 'INBOX') return '';
  return `.${folder.replace(/^\./, '').replaceAll('/', '.')}`;
}

export class Maildir {
  constructor(
    readonly root: string,
    private readonly owner?: Owner,
  ) {}

  /** Creates INBOX (`cur`, `new`, `tmp`) under `root`, and `folders` besides. */
  static async create(root: string, folders: readonly string[] = [], owner?: Owner): Promise<Maildir> {
    const maildir = new Maildir(root, owner);
    await maildir.ensureFolder('INBOX');
    for (const folder of folders) await maildir.ensureFolder(folder);
    return maildir;
  }

  /** Copies an existing Maildir++ tree (e.g. a scenario's `maildir/`) to `root`. */
  static async copyFrom(source: string, root: string, owner?: Owner): Promise<Maildir> {
    await cp(source, root, { recursive: true });
    const maildir = new Maildir(root, owner);
    await maildir.ensureFolder('INBOX');
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name.startsWith('.')) await maildir.ensureFolder(entry.name);
    }
    if (owner) await chownTree(root, owner);
    return maildir;
  }

  folderPath(folder: string): string {
    return join(this.root, folderDirName(folder));
  }

  async ensureFolder(folder: string): Promise<string> {
    const dir = this.folderPath(folder);
    for (const sub of ['cur', 'new', 'tmp']) {
      await mkdir(join(dir, sub), { recursive: true });
      if (this.owner) await chown(join(dir, sub), this.owner.uid, this.owner.gid);
    }
    if (this.owner) {
      await chown(dir, this.owner.uid, this.owner.gid);
      if (dir !== this.root) await chown(this.root, this.owner.uid, this.owner.gid);
    }
    return dir;
  }

  /**
   * Writes a message into `folder`; through `tmp/` then a rename, as delivery agents do, so that a
   * running Dovecot (IDLE) never sees a half-written file. Returns the file path.
   */
  async add(folder: string, text: string, options: AddOptions = {}): Promise<string> {
    const dir = this.folderPath(folder);
    const state = options.state ?? 'cur';
    const received = options.receivedAt ?? new Date();
    const seconds = Math.floor(received.getTime() / 1000);
    const base = `${seconds}.P${process.pid}Q${counter++}R${randomBytes(4).toString('hex')}.suivi-test`;
    const size = Buffer.byteLength(text, 'utf8');
    const name = state === 'cur' ? `${base},S=${size}:2,S` : `${base},S=${size}`;
    const tmp = join(dir, 'tmp', base);
    await writeFile(tmp, text, { mode: 0o644 });
    await utimes(tmp, received, received);
    if (this.owner) await chown(tmp, this.owner.uid, this.owner.gid);
    const target = join(dir, state, name);
    await rename(tmp, target);
    return target;
  }

  /** Number of message files in a folder (`cur` + `new`). */
  async count(folder: string): Promise<number> {
    const dir = this.folderPath(folder);
    let total = 0;
    for (const sub of ['cur', 'new']) {
      const path = join(dir, sub);
      if ((await stat(path).catch(() => null))?.isDirectory()) total += (await readdir(path)).length;
    }
    return total;
  }
}

export async function chownTree(path: string, owner: Owner): Promise<void> {
  await chown(path, owner.uid, owner.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, owner);
    else await chown(child, owner.uid, owner.gid);
  }
}
