// A real SMTP server on 127.0.0.1 (the `smtp-server` library): accepts every submission without
// authentication, keeps each message's envelope and text, and can be stopped and started again on the
// same port (a send that fails because the server is down, then the retry), or refuse messages with a
// chosen reply (a relay answering 451 or 550).
import { SMTPServer } from 'smtp-server';

export interface SubmittedMessage {
  from: string;
  to: string[];
  /** The message as Thunderbird submitted it (CRLF line ends). */
  text: string;
  /** Header fields, lower-case names, values unfolded (first occurrence of each). */
  headers: Record<string, string>;
}

export interface SmtpServer {
  readonly port: number;
  /** Every message accepted so far, in order. */
  readonly messages: SubmittedMessage[];
  /** Closes the listener: connections are refused until `start()` (same port). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** From now on, answers every message's data with this SMTP reply (null: accept again). */
  refuse(reply: { code: number; message: string } | null): void;
  /** Resolves with the first message (from now on or already there) that satisfies `predicate`. */
  waitFor(
    predicate: (m: SubmittedMessage) => boolean,
    what: string,
    timeoutMs: number,
  ): Promise<SubmittedMessage>;
  close(): Promise<void>;
}

/** The header block of a message as a map (lower-case names, folded lines joined, first value kept). */
export function headerFields(text: string): Record<string, string> {
  const end = text.search(/\r?\n\r?\n/);
  const block = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const out: Record<string, string> = {};
  for (const line of block.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    out[name] ??= line.slice(colon + 1).trim();
  }
  return out;
}

function listen(server: SMTPServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export async function startSmtpServer(): Promise<SmtpServer> {
  const messages: SubmittedMessage[] = [];
  const waiters = new Set<() => void>();
  let refusal: { code: number; message: string } | null = null;
  const make = (): SMTPServer =>
    new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      banner: 'suivi-balf test SMTP',
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          if (refusal) {
            callback(Object.assign(new Error(refusal.message), { responseCode: refusal.code }));
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          const envelope = session.envelope;
          messages.push({
            from: envelope.mailFrom ? envelope.mailFrom.address : '',
            to: envelope.rcptTo.map((r) => r.address),
            text,
            headers: headerFields(text),
          });
          for (const w of [...waiters]) w();
          callback();
        });
      },
    });
  let server: SMTPServer | null = make();
  const port = await listen(server, 0);
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      const s = server;
      server = null;
      if (!s) return resolve();
      s.close(() => resolve());
    });
  return {
    port,
    messages,
    stop: close,
    refuse(reply) {
      refusal = reply;
    },
    async start() {
      if (server) return;
      server = make();
      await listen(server, port);
    },
    waitFor(predicate, what, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const found = messages.find(predicate);
          if (found) {
            done();
            resolve(found);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(`SMTP : « ${what} » non reçu après ${timeoutMs} ms (${messages.length} message(s))`),
          );
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close,
  };
}
