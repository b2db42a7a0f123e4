// Builds RFC 5322 message texts for test mailboxes (the headers the add-on reads, nothing more).

export interface MessageSpec {
  /** Message-ID without angle brackets; `null` leaves the header out. */
  messageId: string | null;
  /** `null` leaves the Date header out. */
  date: Date | null;
  from: string;
  to: string | readonly string[];
  subject: string;
  /** Message-ID (no brackets) this one answers. */
  inReplyTo?: string;
  /** Message-IDs (no brackets), oldest first, as mail clients write them. */
  references?: readonly string[];
  /**
   * Extra headers written as given, e.g. `{ 'Auto-Submitted': 'auto-replied' }`. A `Content-Type` here
   * replaces the default plain-text one (then `body` is the whole MIME body, e.g. a multipart/report).
   */
  headers?: Readonly<Record<string, string>>;
  body?: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date in UTC (`Tue, 03 Nov 2026 09:15:00 +0000`). */
export function rfc5322Date(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ` +
    `${date.getUTCFullYear()} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:` +
    `${pad(date.getUTCSeconds())} +0000`
  );
}

/** Encodes a header value as an RFC 2047 word when it is not plain ASCII. */
function encodeHeader(value: string): string {
  if (/^[\x20-\x7e]*$/.test(value)) return value;
  return `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** An address header value: only the display name is encoded, the address must stay readable. */
function encodeAddress(value: string): string {
  const match = /^(.*?)\s*<([^<>]+)>$/.exec(value.trim());
  if (!match || match[1] === '') return value;
  return `${encodeHeader(match[1]!)} <${match[2]}>`;
}

/** The message text with CRLF line ends. */
export function buildMessage(spec: MessageSpec): string {
  const lines: string[] = [];
  const to = typeof spec.to === 'string' ? [spec.to] : spec.to;
  if (spec.date !== null) lines.push(`Date: ${rfc5322Date(spec.date)}`);
  lines.push(`From: ${encodeAddress(spec.from)}`);
  lines.push(`To: ${to.map(encodeAddress).join(', ')}`);
  if (spec.messageId !== null) lines.push(`Message-ID: <${spec.messageId}>`);
  if (spec.inReplyTo !== undefined) lines.push(`In-Reply-To: <${spec.inReplyTo}>`);
  if (spec.references !== undefined && spec.references.length > 0) {
    lines.push(`References: ${spec.references.map((id) => `<${id}>`).join(' ')}`);
  }
  lines.push(`Subject: ${encodeHeader(spec.subject)}`);
  for (const [name, value] of Object.entries(spec.headers ?? {})) lines.push(`${name}: ${value}`);
  lines.push('MIME-Version: 1.0');
  if (!Object.keys(spec.headers ?? {}).some((name) => name.toLowerCase() === 'content-type')) {
    lines.push('Content-Type: text/plain; charset=UTF-8');
    lines.push('Content-Transfer-Encoding: 8bit');
  }
  lines.push('');
  lines.push(...(spec.body ?? 'Bonjour,\n\nCordialement.\n').split('\n'));
  return lines.join('\r\n');
}
