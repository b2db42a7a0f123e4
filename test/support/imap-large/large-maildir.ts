// Writes a very large INBOX straight into a served Maildir (one synchronous write per message, no
// tmp/ rename: Dovecot is not reading it yet), fast enough for 100,000 messages in a test.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMessage, rfc5322Date } from '../imap/messages.ts';

export interface LargeInboxOptions {
  /** The Maildir++ root (INBOX's `cur/` is written). */
  root: string;
  balf: string;
  count: number;
  /** Messages are spread evenly over this many days, the last one `endAgoMs` before `now`. */
  days: number;
  now?: Date;
  endAgoMs?: number;
  /** `user:group` to give the tree to (the IMAP user), when running as root. */
  owner?: string;
}

export interface LargeInbox {
  /** Message-IDs without brackets, in writing order. */
  ids: string[];
  first: Date;
  last: Date;
  ms: number;
}

/** Message-ID of message `i`. */
export const largeMessageId = (i: number): string => `m${i}.gros-dossier@exemple.fr`;

/**
 * Plain questions from external users: nothing in them makes the add-on read full headers (no
 * automatic-looking subject or author), so the back-fill cost is the message list, not getFull.
 */
export function writeLargeInbox(options: LargeInboxOptions): LargeInbox {
  const started = Date.now();
  const now = (options.now ?? new Date()).getTime();
  const end = now - (options.endAgoMs ?? 3_600_000);
  const span = options.days * 86_400_000;
  const step = Math.max(1000, Math.floor(span / Math.max(1, options.count)));
  const start = end - step * (options.count - 1);
  const cur = join(options.root, 'cur');
  const ids: string[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const date = new Date(Math.floor((start + i * step) / 1000) * 1000);
    const id = largeMessageId(i);
    ids.push(id);
    const text =
      `Received: from mx.exemple.fr by imap.dgfip.finances.gouv.fr with ESMTP; ${rfc5322Date(date)}\r\n` +
      buildMessage({
        messageId: id,
        date,
        from: `Usager ${i % 5000} <usager${i % 5000}@exemple.fr>`,
        to: options.balf,
        subject: `Demande de renseignement n° ${i}`,
        body: `Bonjour,\n\nDemande ${i}.\n`,
      });
    const size = Buffer.byteLength(text, 'utf8');
    const path = join(cur, `${Math.floor(date.getTime() / 1000)}.M${i}P1.gros-dossier,S=${size}:2,S`);
    writeFileSync(path, text);
    // Dovecot takes the file time as INTERNALDATE (the received date).
    utimesSync(path, date, date);
  }
  if (options.owner) {
    const out = spawnSync('chown', ['-R', options.owner, options.root], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`chown -R ${options.owner} ${options.root} : ${out.stderr.trim()}`);
  }
  return { ids, first: new Date(start), last: new Date(end), ms: Date.now() - started };
}

/**
 * How many of our Message-IDs Thunderbird's INBOX summary (`ImapMail/<host>/INBOX.msf`, Mork text)
 * holds: tells "Thunderbird has not synced them yet" apart from "the add-on missed them".
 */
export function idsInThunderbirdInbox(profileDir: string): number {
  const ids = new Set<string>();
  const root = join(profileDir, 'ImapMail');
  for (const host of readdirSync(root, { withFileTypes: true })) {
    if (!host.isDirectory()) continue;
    let text: string;
    try {
      text = readFileSync(join(root, host.name, 'INBOX.msf'), 'latin1');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/m\d+\.gros-dossier@exemple\.fr/g)) ids.add(m[0]);
  }
  return ids.size;
}
