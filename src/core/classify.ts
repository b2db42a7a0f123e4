// Direction and category of a message seen in a BALF account (DESIGN.md, "Counting rules").
import { decodeEncodedWords, subjectPrefixKind } from './replies.ts';

export interface ClassifyInput {
  /** Raw "Name <addr>" or addr. */
  author: string;
  /** To + Cc, raw. */
  recipients?: readonly string[];
  /** Thunderbird specialUse of the folder ('inbox', 'sent', 'drafts', 'templates', 'outbox', 'trash', 'junk', 'archives'); [] for user folders. */
  folderSpecialUse?: readonly string[];
  /** MessageHeader.junk. */
  junk?: boolean;
  /** Raw Subject header, with its "Re:"/"TR:" prefix, when available. */
  subject?: string;
  /** Raw headers, lower-case names. */
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The BALF's own addresses (compared lower-case). */
  balfAddresses: readonly string[];
  /** Internal domains, e.g. ['dgfip.finances.gouv.fr']; subdomains count as internal. */
  internalDomains: readonly string[];
}

export type Classification =
  | { direction: 'in'; category: 'usager' | 'interne' | 'auto' | 'junk'; correspondent: string }
  | { direction: 'out'; category: 'reply' | 'forward' | 'new' | 'auto'; correspondents: string[] }
  | { direction: 'ignored'; reason: 'draft' | 'template' | 'outbox' | 'not-balf' };

const ADDRESS = /^[^\s@<>",;:()[\]\\]+@[^\s@<>",;:()[\]\\]+$/;

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

/**
 * Display name and lower-cased address of one mailbox: `"Dupont, Jean" <J.Dupont@x.fr>`,
 * `j@x.fr`, `<j@x.fr>`, `j@x.fr (Jean)`. Encoded words are left as they are; anything that is
 * not an address gives address ''.
 */
export function parseAddress(raw: string): { name: string; address: string } {
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

type Headers = NonNullable<ClassifyInput['headers']>;

function values(headers: Headers | undefined, name: string): string[] {
  const value = headers?.[name];
  if (value === undefined) return [];
  return (typeof value === 'string' ? [value] : [...value]).map((v) => v.trim());
}

/** First token of a structured header value, lower-case ("auto-replied; owner=…" → "auto-replied"). */
function token(value: string): string {
  return value.split(';')[0]!.trim().toLowerCase();
}

function isAutoSubmitted(headers: Headers | undefined): boolean {
  return values(headers, 'auto-submitted').some((v) => token(v) !== '' && token(v) !== 'no');
}

function hasAutoReplyHeader(headers: Headers | undefined): boolean {
  return ['x-autoreply', 'x-autorespond'].some((name) =>
    values(headers, name).some((v) => !['no', 'false', '0'].includes(token(v))),
  );
}

const AUTO_PRECEDENCE = new Set(['bulk', 'list', 'junk', 'auto_reply', 'auto-reply']);
/** Local parts of robots: bounces, postmasters and "do not reply" senders, with optional suffixes. */
const ROBOT_LOCAL =
  /^(?:mailer-daemon|postmaster|(?:no|do[-_.]?not)[-_.]?reply|ne[-_.]?pas[-_.]?repondre|bounces?)(?:[-_.+=].*)?$/;
/**
 * Subjects of out-of-office replies from servers that set no Auto-Submitted header (older Exchange,
 * some webmails). A colon is required, so a person's subject such as "Réponse automatique ?" passes.
 */
const AUTO_REPLY_SUBJECT =
  /^(?:reponse automatique|automatic reply|auto(?:matic)?[- ]?(?:reply|response)|out of office(?: reply)?|absence du bureau|abwesenheitsnotiz|risposta automatica|respuesta automatica)\s*[:：]/;

function fold(text: string): string {
  return decodeEncodedWords(text)
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .trim();
}

/** Why a received message is automatic, or null: the reason keeps the rules testable one by one. */
export function autoReason(
  address: string,
  subject: string | undefined,
  headers: Headers | undefined,
): string | null {
  if (isAutoSubmitted(headers)) return 'auto-submitted';
  if (hasAutoReplyHeader(headers)) return 'x-autoreply';
  if (values(headers, 'precedence').some((v) => AUTO_PRECEDENCE.has(token(v)))) return 'precedence';
  if (values(headers, 'list-id').some((v) => v !== '')) return 'list-id';
  // Newsletters sent through mass-mailing services often carry List-Unsubscribe without List-Id.
  if (values(headers, 'list-unsubscribe').some((v) => v !== '')) return 'list-unsubscribe';
  // Every multipart/report is machine-made (RFC 6522): delivery status, read receipts, feedback.
  if (values(headers, 'content-type').some((v) => token(v) === 'multipart/report')) return 'report';
  // A null reverse path is what RFC 5321 prescribes for bounces and other automatic notices.
  if (values(headers, 'return-path').some((v) => v.replace(/\s/g, '') === '<>')) return 'null-return-path';
  const local = fold(address.split('@')[0] ?? '');
  if (address !== '' && ROBOT_LOCAL.test(local)) return 'robot-sender';
  if (subject !== undefined && AUTO_REPLY_SUBJECT.test(fold(subject))) return 'auto-reply-subject';
  return null;
}

function normalizeDomain(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/^[@.]+/, '')
    .replace(/\.$/, '');
}

/** True when the address's domain is one of `domains` or a subdomain of one. */
export function isInternal(address: string, domains: readonly string[]): boolean {
  const at = address.lastIndexOf('@');
  if (at < 0) return false;
  const domain = normalizeDomain(address.slice(at + 1));
  return domains.some((d) => {
    const internal = normalizeDomain(d);
    return internal !== '' && (domain === internal || domain.endsWith(`.${internal}`));
  });
}

function present(headers: Headers | undefined, name: string): boolean {
  return values(headers, name).some((v) => v !== '');
}

function sentCategory(input: ClassifyInput): 'reply' | 'forward' | 'new' | 'auto' {
  const { headers } = input;
  if (isAutoSubmitted(headers) || hasAutoReplyHeader(headers)) return 'auto';
  // The first prefix decides: "RE: TR: …" is a reply to a forward, "TR: RE: …" a forward. It comes
  // before the headers because clients also set References when forwarding.
  const prefix = input.subject === undefined ? null : subjectPrefixKind(input.subject);
  if (prefix !== null) return prefix;
  if (present(headers, 'x-forwarded-message-id')) return 'forward';
  if (present(headers, 'in-reply-to') || present(headers, 'references')) return 'reply';
  return 'new';
}

/**
 * Decides whether a message counts as received (`in`), sent (`out`) or not at all, and its category.
 * Drafts, Templates and Outbox are ignored; a message authored by the BALF is sent wherever it is
 * (an Inbox copy included); a message of a Sent folder not authored by the BALF is ignored.
 */
export function classify(input: ClassifyInput): Classification {
  const uses = new Set((input.folderSpecialUse ?? []).map((u) => u.toLowerCase()));
  if (uses.has('drafts')) return { direction: 'ignored', reason: 'draft' };
  if (uses.has('templates')) return { direction: 'ignored', reason: 'template' };
  if (uses.has('outbox')) return { direction: 'ignored', reason: 'outbox' };

  const balf = new Set(
    input.balfAddresses.map((a) => parseAddress(a).address || a.trim().toLowerCase()).filter((a) => a !== ''),
  );
  const author = parseAddress(input.author).address;
  if (author !== '' && balf.has(author)) {
    const correspondents = [
      ...new Set(
        (input.recipients ?? [])
          .flatMap((r) => parseAddressList(r))
          .map((a) => a.address)
          .filter((a) => !balf.has(a)),
      ),
    ];
    return { direction: 'out', category: sentCategory(input), correspondents };
  }
  if (uses.has('sent')) return { direction: 'ignored', reason: 'not-balf' };

  const category =
    input.junk === true || uses.has('junk')
      ? 'junk'
      : autoReason(author, input.subject, input.headers) !== null
        ? 'auto'
        : isInternal(author, input.internalDomains)
          ? 'interne'
          : 'usager';
  return { direction: 'in', category, correspondent: author };
}

/**
 * Received categories in the order that settles two classifications of one message made with the
 * same knowledge (both with headers, or both without): the first listed wins. Clients of one BALF can
 * disagree (a junk flag set on one workstation, internal domains configured differently); a fixed order
 * makes the stored category independent of which client uploads first, on every database. A message any
 * client saw as automatic or junk is not counted as a usager waiting for an answer.
 */
export const RECEIVED_PRECEDENCE = ['auto', 'junk', 'interne', 'usager'] as const;

/**
 * Whether an incoming classification of a received message replaces the stored one: one made with the
 * message's headers (`hdr`) beats one made from the message list alone, whatever the arrival order;
 * at equal knowledge, `RECEIVED_PRECEDENCE` decides. Equal classifications never replace each other, so
 * a replay changes nothing.
 */
export function categoryWins(
  incoming: { cat: string; hdr: boolean },
  stored: { cat: string; hdr: boolean },
): boolean {
  if (incoming.hdr !== stored.hdr) return incoming.hdr;
  if (incoming.cat === stored.cat) return false;
  const rank = (cat: string): number => {
    const i = (RECEIVED_PRECEDENCE as readonly string[]).indexOf(cat);
    return i < 0 ? RECEIVED_PRECEDENCE.length : i;
  };
  return rank(incoming.cat) < rank(stored.cat);
}
