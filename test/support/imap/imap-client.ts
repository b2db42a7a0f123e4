// A tiny IMAP client for tests, on loopback: delivers and expunges mail the way a mail server and a client
// would (so that Dovecot's quota follows), and reads the quota root of INBOX as an independent oracle.
import { connect, type Socket } from 'node:net';

/** Runs `commands` in one pre-authenticated session; returns every line the server sent. */
export async function imapSession(port: number, commands: readonly string[]): Promise<string[]> {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  socket.setEncoding('utf8');
  let buffer = '';
  const lines: string[] = [];
  const waiters: { tag: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  let greeted: () => void = () => undefined;
  const greeting = new Promise<void>((resolve, reject) => {
    greeted = resolve;
    socket.once('error', reject);
  });
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let index: number;
    while ((index = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      if (lines.push(line) === 1) greeted();
      const waiter = waiters[0];
      if (waiter && line.startsWith(`${waiter.tag} `)) {
        waiters.shift();
        if (/^\S+ OK/.test(line)) waiter.resolve();
        else waiter.reject(new Error(`IMAP : ${line}`));
      }
    }
  });
  socket.on('error', (error) => {
    for (const w of waiters.splice(0)) w.reject(error);
  });
  await greeting;
  if (!lines[0]?.startsWith('* PREAUTH')) throw new Error(`IMAP : accueil inattendu ${lines[0] ?? ''}`);
  try {
    let n = 0;
    for (const command of commands) {
      const tag = `t${++n}`;
      const done = new Promise<void>((resolve, reject) => waiters.push({ tag, resolve, reject }));
      socket.write(`${tag} ${command}\r\n`);
      await done;
    }
  } finally {
    socket.end();
  }
  return lines;
}

/** Delivers a message into `folder` with IMAP APPEND (LITERAL+, one round trip). */
export async function appendMessage(port: number, folder: string, text: string): Promise<void> {
  const body = text.replace(/\r?\n/g, '\r\n');
  await imapSession(port, [`APPEND ${folder} {${Buffer.byteLength(body, 'utf8')}+}\r\n${body}`]);
}

/** Deletes (flag \Deleted, then EXPUNGE) the messages of `folder` whose Message-ID is `messageId`. */
export async function expungeMessage(port: number, folder: string, messageId: string): Promise<void> {
  const lines = await imapSession(port, [`SELECT ${folder}`, `UID SEARCH HEADER Message-ID "${messageId}"`]);
  const uids = (lines.find((l) => l.startsWith('* SEARCH')) ?? '').split(' ').slice(2).filter(Boolean);
  if (uids.length === 0) throw new Error(`Aucun message ${messageId} dans ${folder}`);
  await imapSession(port, [`SELECT ${folder}`, `UID STORE ${uids.join(',')} +FLAGS (\\Deleted)`, 'EXPUNGE']);
}

/** STORAGE of INBOX's quota root as the server states it (KiB, RFC 9208); null without QUOTA. */
export async function storageQuota(port: number): Promise<{ usedKiB: number; limitKiB: number } | null> {
  const lines = await imapSession(port, ['CAPABILITY']);
  if (!lines.some((l) => /\bQUOTA\b/.test(l))) return null;
  const answer = await imapSession(port, ['GETQUOTAROOT INBOX']);
  const match = answer.map((l) => /^\* QUOTA .*\(STORAGE (\d+) (\d+)\)/.exec(l)).find((m) => m !== null);
  return match ? { usedKiB: Number(match[1]), limitKiB: Number(match[2]) } : null;
}
