// When the Thunderbird clients of a scenario have counted and uploaded everything their BALF holds, told by
// events rather than by a quiet period: the folders whose headers each Thunderbird has downloaded and stored
// (its IMAP session, session-observer.ts) and the add-on's status lines.
import { createWriteStream, type WriteStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { folderKey, type SessionEvents } from '../imap/session-observer.ts';
import type { AddonStatus, ConsoleLog } from '../thunderbird/console-log.ts';

/** Folders Thunderbird leaves alone until a user opens them (notes/thunderbird-e2e.md). */
const NOT_SYNCED_BY_THUNDERBIRD = /^\.(trash|junk)$/i;

/**
 * A status line reuses folder counts read up to this long before its `at` (`recentSignature` of
 * background-core.ts): it describes Thunderbird's folders as they were at `at` minus this.
 */
export const STATUS_COUNTS_AGE_MS = 1000;

/**
 * A client is idle once it has walked the whole BALF, classified each received message with its headers,
 * and uploaded everything. A new condition of the add-on's status line belongs here: the settling of
 * every scenario follows it.
 */
export function idle(status: AddonStatus): boolean {
  return (
    status.scanComplete &&
    !status.scanning &&
    status.unrefined === 0 &&
    status.queue === 0 &&
    status.lastUpload !== 'error'
  );
}

/** The non-empty folders of a served Maildir++ tree that Thunderbird syncs by itself, by `folderKey`. */
export async function foldersToSync(root: string): Promise<string[]> {
  const names = ['', ...(await readdir(root)).filter((n) => n.startsWith('.') && n !== '.' && n !== '..')];
  const folders: string[] = [];
  for (const name of names) {
    if (NOT_SYNCED_BY_THUNDERBIRD.test(name)) continue;
    let files = 0;
    for (const sub of ['cur', 'new']) {
      const entries = await readdir(join(root, name, sub)).catch(() => [] as string[]);
      files += entries.filter((n) => !n.startsWith('.')).length;
    }
    if (files > 0) folders.push(folderKey(name, 'maildir'));
  }
  return folders;
}

/** One Thunderbird as the settling sees it: its output, and when it last downloaded each folder's headers. */
export class ClientWatch {
  private readonly fetched = new Map<string, number>();
  private readonly trace: WriteStream;

  /** `imapLog`: where the session's commands and answers are written, for a post-mortem. */
  constructor(
    readonly name: string,
    readonly log: () => ConsoleLog,
    imapLog: string,
  ) {
    this.trace = createWriteStream(imapLog);
  }

  /** Events of its IMAP listener (`ImapServer.listen`). */
  readonly events: SessionEvents = {
    headersFetched: (mailbox, atMs) => this.fetched.set(mailbox, atMs),
    line: (from, text, atMs) => this.trace.write(`${new Date(atMs).toISOString()} ${from} ${text}\n`),
  };

  /** Folders of `folders` whose headers this Thunderbird has not downloaded yet. */
  unopened(folders: readonly string[]): string[] {
    return folders.filter((f) => !this.fetched.has(f));
  }

  /** When it had downloaded the headers of every folder of `folders`, or null while one is missing. */
  openedAllAt(folders: readonly string[]): number | null {
    let last = 0;
    for (const folder of folders) {
      const at = this.fetched.get(folder);
      if (at === undefined) return null;
      last = Math.max(last, at);
    }
    return last;
  }

  close(): void {
    this.trace.end();
  }
}

export type Verdict = { settled: true; statusIndex: number } | { settled: false; why: string };

/**
 * A client has settled when the add-on's latest status is idle and describes a Thunderbird that had
 * stored the headers of every folder: the add-on then counts every message Thunderbird shows, all of
 * them uploaded. When the last idle status is older than that, the next one comes with the add-on's next
 * upload attempt (every minute in a scenario: `uploadIntervalMinutes: 1`), which prints one idle or not.
 */
export function verdict(watch: ClientWatch, folders: readonly string[]): Verdict {
  const storedAt = watch.openedAllAt(folders);
  if (storedAt === null)
    return { settled: false, why: `en-têtes pas encore téléchargés : ${watch.unopened(folders).join(', ')}` };
  const statuses = watch.log().all();
  const statusIndex = statuses.length - 1;
  const latest = statuses[statusIndex]?.value as AddonStatus | undefined;
  if (!latest) return { settled: false, why: 'aucune ligne suivi-balf:status' };
  if (!idle(latest)) return { settled: false, why: `occupé : ${JSON.stringify(latest)}` };
  if (Date.parse(String(latest['at'])) < storedAt + STATUS_COUNTS_AGE_MS)
    return { settled: false, why: 'dernier état antérieur au dernier dossier téléchargé' };
  return { settled: true, statusIndex };
}
