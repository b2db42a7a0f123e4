// Turns a scenario .eml fixture into what Thunderbird would show the add-on: a MessageHeader
// (subject without a leading "Re: ", Message-ID without brackets) and getFull's header map.
import { readFileSync } from 'node:fs';
import type { MailFolder } from '../../src/extension/platform.ts';
import { header, type StoredMessage } from './fake-messenger.ts';

const dir = new URL('./fixtures/', import.meta.url);

export function parseEml(text: string): { headers: Record<string, string[]>; size: number } {
  const head = text.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const headers: Record<string, string[]> = {};
  for (const line of unfolded.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    (headers[name] ??= []).push(line.slice(i + 1).trim());
  }
  return { headers, size: new TextEncoder().encode(text).length };
}

const first = (h: Record<string, string[]>, name: string): string => h[name]?.[0] ?? '';
const list = (v: string): string[] => (v ? v.split(',').map((s) => s.trim()) : []);

/** Loads `fixtures/<name>.eml` as a stored message of `accountId` in `folder`. */
export function eml(
  name: string,
  folder: MailFolder = { accountId: 'account1', path: '/INBOX', specialUse: ['inbox'] },
  over: { junk?: boolean } = {},
): StoredMessage {
  const { headers, size } = parseEml(readFileSync(new URL(`${name}.eml`, dir), 'utf8'));
  return {
    accountId: folder.accountId ?? 'account1',
    headers,
    header: header({
      author: first(headers, 'from'),
      recipients: list(first(headers, 'to')),
      ccList: list(first(headers, 'cc')),
      date: new Date(first(headers, 'date')),
      // Thunderbird synthesises an md5: id for messages without one; '' exercises the fallback key.
      headerMessageId: first(headers, 'message-id').replace(/^<|>$/g, ''),
      subject: first(headers, 'subject').replace(/^Re: /i, ''),
      size,
      junk: over.junk ?? false,
      folder,
    }),
  };
}

export const INBOX: MailFolder = { accountId: 'account1', path: '/INBOX', specialUse: ['inbox'] };
export const SENT: MailFolder = { accountId: 'account1', path: '/Sent', specialUse: ['sent'] };
export const ARCHIVES: MailFolder = { accountId: 'account1', path: '/INBOX/Dossiers 2026' };

/** Automatic only by their headers: ordinary authors and subjects. */
export const HEADER_ONLY_AUTOMATIC = [
  'newsletter-list-unsubscribe-ordinary-author',
  'notice-auto-generated-ordinary-subject',
  'bounce-multipart-report-ordinary-author',
  'notice-null-return-path',
] as const;
