// Cuts the IMAP sessions this process serves: kills the Dovecot `imap` processes that descend from it
// (never anyone else's), so Thunderbird sees its server drop every connection at once.
import { readdirSync, readFileSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      out.push({ pid: Number(name), ppid: Number(fields[1]), comm: stat.slice(open + 1, close) });
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

/** Pids of the Dovecot `imap` processes below `root` in the process tree (runuser → imap). */
export function ownImapProcesses(root = process.pid): number[] {
  const all = processes();
  const children = new Map<number, Proc[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const found: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    for (const child of children.get(pid) ?? []) {
      if (child.comm === 'imap') found.push(child.pid);
      stack.push(child.pid);
    }
  }
  return found;
}

/** Kills every IMAP session process of ours with `signal`; returns how many were killed. */
export function cutImapSessions(signal: NodeJS.Signals = 'SIGKILL'): number {
  let killed = 0;
  for (const pid of ownImapProcesses()) {
    try {
      process.kill(pid, signal);
      killed += 1;
    } catch {
      // Already gone.
    }
  }
  return killed;
}

/**
 * Bytes written so far by each of our IMAP session processes (to Thunderbird), from /proc/<pid>/io:
 * while they grow, Thunderbird is still downloading — headers of a large folder take minutes.
 */
export function imapBytesWritten(): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of ownImapProcesses()) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      const wchar = /^wchar:\s*(\d+)$/m.exec(io);
      if (wchar) out.set(pid, Number(wchar[1]));
    } catch {
      // Ended while we looked.
    }
  }
  return out;
}

/** True when some session wrote more than at `before` (a new session counts as progress once it wrote). */
export function imapTrafficGrew(
  before: ReadonlyMap<number, number>,
  now: ReadonlyMap<number, number>,
): boolean {
  for (const [pid, bytes] of now) if (bytes > (before.get(pid) ?? 0)) return true;
  return false;
}

/** TCP state CLOSE-WAIT in /proc/net/tcp: the peer closed, this side has not read it or closed. */
const CLOSE_WAIT = '08';

/**
 * Connections to `port` (the test's IMAP listener, to which only its Thunderbird connects) that the
 * server closed and the client left in CLOSE-WAIT. Thunderbird 153 sometimes never reads such a
 * connection again after its server dropped it, and reconnects only once restarted.
 */
export function closeWaitConnections(port: number): number {
  const remote = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let count = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[2]?.endsWith(remote) && fields[3] === CLOSE_WAIT) count += 1;
    }
  }
  return count;
}
