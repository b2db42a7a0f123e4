// Mailboxes of raw address headers: display name, address, and the robot-relevant parts of broken forms.
import { decodeEncodedWords } from './replies.ts';

const ADDRESS = /^[^\s@<>",;:()[\]\\]+@[^\s@<>",;:()[\]\\]+$/;
/** A local part alone, as MTAs write robot senders without a domain (`<MAILER-DAEMON>`). */
const LOCAL_ONLY = /^[^\s@<>",;:()[\]\\]+$/;

/** Removes surrounding quotes and backslash escapes of a display name. */
function unquote(text: string): string {
  const trimmed = text.trim();
  const inner = /^"(.*)"$/s.exec(trimmed)?.[1] ?? trimmed.replace(/"/g, '');
  return inner.replace(/\\(.)/g, '$1').trim();
}

function cleanAddress(text: string): string {
  const candidate = text
    .trim()
    .replace(/^mailto:/i, '')
    .toLowerCase();
  return ADDRESS.test(candidate) ? candidate : '';
}

/** The text outside angle brackets (quotes kept) and the text inside them, or null without brackets. */
function split(raw: string): { outside: string; angle: string | null } {
  let outside = '';
  let angle: string | null = null;
  let current: string | null = null;
  let inQuote = false;
  for (let i = 0; i < raw.length; i += 1) {
    const ch = raw[i]!;
    if (current !== null) {
      if (ch === '>') {
        angle = current;
        current = null;
      } else current += ch;
    } else if (inQuote) {
      outside += ch;
      if (ch === '\\' && i + 1 < raw.length) outside += raw[++i];
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') {
      inQuote = true;
      outside += ch;
    } else if (ch === '<') current = '';
    else outside += ch;
  }
  if (current !== null) angle = current; // an unclosed "<addr": keep what follows the bracket
  return { outside, angle };
}

/**
 * Display name and lower-cased address of one mailbox: `"Dupont, Jean" <J.Dupont@x.fr>`,
 * `j@x.fr`, `<j@x.fr>`, `j@x.fr (Jean)`. Encoded words are left as they are; anything that is
 * not an address gives address ''.
 */
export function parseAddress(raw: string): { name: string; address: string } {
  const { outside, angle } = split(raw);
  if (angle !== null) return { name: unquote(outside), address: cleanAddress(angle) };
  // No angle brackets: "addr" or "addr (Comment name)".
  const comment = /\(([^()]*)\)/.exec(outside);
  const bare = outside.replace(/\([^()]*\)/g, '');
  const address = cleanAddress(bare);
  return { name: address === '' ? '' : (comment?.[1]?.trim() ?? ''), address };
}

/** Splits a raw address list on commas outside quotes, angle brackets and comments. */
export function parseAddressList(raw: string): { name: string; address: string }[] {
  const parts: string[] = [];
  let part = '';
  let inQuote = false;
  let depth = 0;
  for (let i = 0; i < raw.length; i += 1) {
    const ch = raw[i]!;
    if (inQuote) {
      if (ch === '\\' && i + 1 < raw.length) part += ch + raw[++i];
      else {
        if (ch === '"') inQuote = false;
        part += ch;
      }
      continue;
    }
    if (ch === '"') inQuote = true;
    else if (ch === '<' || ch === '(') depth += 1;
    else if ((ch === '>' || ch === ')') && depth > 0) depth -= 1;
    else if ((ch === ',' || ch === ';') && depth === 0) {
      parts.push(part);
      part = '';
      continue;
    }
    part += ch;
  }
  parts.push(part);
  return parts.map(parseAddress).filter((a) => a.address !== '');
}

export interface Mailbox {
  /** Display name (or old-style comment), encoded words decoded. */
  name: string;
  /** Lower-cased address, '' when there is none. */
  address: string;
  /** Lower-cased local part: of the address, or of a domain-less `<MAILER-DAEMON>` / bare `MAILER-DAEMON`. */
  local: string;
  /** Empty angle brackets (`<>`): the null path, which only software writes. */
  nullPath: boolean;
}

/** One raw mailbox as seen by the robot rules, which must also read forms that are no address at all. */
export function mailbox(raw: string): Mailbox {
  const { name, address } = parseAddress(raw);
  const { outside, angle } = split(raw);
  let local = address === '' ? '' : address.slice(0, address.lastIndexOf('@'));
  let display = name;
  if (address === '') {
    const inner = (angle ?? outside.replace(/\([^()]*\)/g, '')).trim();
    if (LOCAL_ONLY.test(inner)) local = inner.toLowerCase();
    if (angle !== null) display = unquote(outside);
  }
  return {
    name: decodeEncodedWords(display).trim(),
    address,
    local,
    nullPath: angle !== null && angle.trim() === '',
  };
}
