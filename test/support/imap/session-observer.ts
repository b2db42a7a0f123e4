// Follows one IMAP session from both sides — the client's commands, the server's tagged answers — and tells
// when the client has downloaded and stored the headers of a mailbox: the harness then knows that this
// Thunderbird's folder holds those messages, without a margin of time.

export interface SessionEvents {
  /**
   * The server answered OK to a header FETCH in `mailbox` (`folderKey` spelling) and the client has sent
   * its next command in that session. Thunderbird's IMAP thread hands each header download to the main
   * thread, which writes it to the folder database, and waits for it to return before going on: its next
   * command (the bodies, IDLE, NOOP…) means the folder's database and counts hold those messages.
   */
  headersFetched?(mailbox: string, atMs: number): void;
  /** Every command line of the client and tagged answer of the server, for a post-mortem. */
  line?(from: 'client' | 'server', text: string, atMs: number): void;
}

export interface SessionObserver {
  client(chunk: Buffer): void;
  server(chunk: Buffer): void;
}

const SELECT = /^(\S+) (?:SELECT|EXAMINE) ("(?:[^"\\]|\\.)*"|\S+)/i;
/** Thunderbird's header download: `UID fetch <set> (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (…)])`. */
const HEADER_FETCH = /^(\S+) UID fetch \S+ \(.*BODY\.PEEK\[HEADER/i;
const TAGGED = /^(\S+) (OK|NO|BAD)\b/i;
/** A line that announces a literal: its next `n` bytes are data, whatever they contain. */
const LITERAL = /\{(\d+)\+?\}$/;

/**
 * Splits a byte stream into protocol lines, skipping the content of literals (`{n}` then n bytes), so that
 * a header that happens to look like `a1 OK` is never taken for an answer.
 */
function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let pending = '';
  let skip = 0;
  return (chunk) => {
    let text = chunk.toString('latin1');
    for (;;) {
      if (skip > 0) {
        const taken = Math.min(skip, text.length);
        skip -= taken;
        text = text.slice(taken);
        if (skip > 0) return;
      }
      const end = text.indexOf('\r\n');
      if (end < 0) {
        pending += text;
        if (pending.length > 65_536) pending = pending.slice(-1024);
        return;
      }
      const line = pending + text.slice(0, end);
      pending = '';
      text = text.slice(end + 2);
      const literal = LITERAL.exec(line);
      if (literal) skip = Number(literal[1]);
      else onLine(line);
    }
  };
}

function unquote(raw: string): string {
  return raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
}

export function observeSession(events: SessionEvents): SessionObserver {
  let selecting: { tag: string; mailbox: string } | undefined;
  let selected: string | undefined;
  const headerFetches = new Map<string, string>();
  /** Mailboxes whose header FETCH the server completed, told once the client sends its next command. */
  const answered = new Set<string>();
  return {
    client: lineReader((line) => {
      const atMs = Date.now();
      events.line?.('client', line.slice(0, 300), atMs);
      for (const mailbox of answered) events.headersFetched?.(mailbox, atMs);
      answered.clear();
      const select = SELECT.exec(line);
      if (select) selecting = { tag: select[1]!, mailbox: folderKey(unquote(select[2]!), 'imap') };
      const fetch = HEADER_FETCH.exec(line);
      if (fetch && selected !== undefined) headerFetches.set(fetch[1]!, selected);
    }),
    server: lineReader((line) => {
      const tagged = TAGGED.exec(line);
      if (!tagged || tagged[1] === '*' || tagged[1] === '+') return;
      const atMs = Date.now();
      events.line?.('server', line.slice(0, 300), atMs);
      const [, tag, result] = tagged;
      const ok = result!.toUpperCase() === 'OK';
      if (selecting && selecting.tag === tag) {
        selected = ok ? selecting.mailbox : undefined;
        selecting = undefined;
      }
      const mailbox = headerFetches.get(tag!);
      if (mailbox !== undefined) {
        headerFetches.delete(tag!);
        if (ok) answered.add(mailbox);
      }
    }),
  };
}

/**
 * The folder of a Maildir++ directory name (`.Dossiers.Traites`, `''` for INBOX) and of an IMAP mailbox
 * name (`Dossiers.Traites` or `Dossiers/Traites`, whichever separator the server announces) in one
 * spelling, so that the two can be compared: components joined by `/`, INBOX upper-case.
 */
export function folderKey(name: string, source: 'maildir' | 'imap'): string {
  const trimmed = source === 'maildir' ? name.replace(/^\./, '') : name;
  if (trimmed === '' || trimmed.toUpperCase() === 'INBOX') return 'INBOX';
  return trimmed.split(source === 'maildir' ? '.' : /[./]/).join('/');
}
