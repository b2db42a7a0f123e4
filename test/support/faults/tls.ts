// Certificates for the TLS fault, made with openssl at test time: a test CA the client trusts, a
// server certificate it signed (the fixed state) and a self-signed one (the fault).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  key: string;
  cert: string;
}

export interface TestCertificates {
  ca: string;
  signed: KeyPair;
  selfSigned: KeyPair;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new Error('openssl is missing: apt-get install -y openssl');
    throw error;
  }
}

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'suivi-tls-'));
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        'ca.key',
        '-out',
        'ca.pem',
        '-days',
        '2',
        '-subj',
        '/CN=Suivi BALF test CA',
      ].concat(['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']),
      dir,
    );
    openssl(['req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=127.0.0.1'], dir);
    writeFileSync(
      join(dir, 'ext.cnf'),
      'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
    );
    openssl(
      ['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
        '-out',
        'srv.pem',
        '-days',
        '2',
        '-extfile',
        'ext.cnf',
      ]),
      dir,
    );
    openssl(
      [
        'req',
        '-x509',
        ...ec,
        '-keyout',
        'self.key',
        '-out',
        'self.pem',
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
      ].concat(['-addext', 'subjectAltName=IP:127.0.0.1']),
      dir,
    );
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    return {
      ca: read('ca.pem'),
      signed: { key: read('srv.key'), cert: read('srv.pem') },
      selfSigned: { key: read('self.key'), cert: read('self.pem') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Dispatcher = object;
type AgentConstructor = new (options: { connect: { ca: string } }) => Dispatcher;

/**
 * Node's own fetch, trusting `ca` as the workstation's certificate store would. Node 20 exposes
 * no Agent class for its built-in fetch; its global dispatcher is one (symbol set by undici), so
 * its constructor makes another with our CA — no extra dependency.
 */
export async function fetchTrusting(ca: string): Promise<typeof fetch> {
  const symbol = Symbol.for('undici.globalDispatcher.1');
  const holder = globalThis as unknown as Record<symbol, Dispatcher | undefined>;
  // The dispatcher is created by the first fetch: a refused loopback connection is enough.
  if (!holder[symbol]) await fetch('http://127.0.0.1:9/').catch(() => undefined);
  const global = holder[symbol];
  if (!global) throw new Error("Node's fetch dispatcher not found (Node 20 with built-in fetch required)");
  const dispatcher = new (global.constructor as AgentConstructor)({ connect: { ca } });
  return ((input: string | URL | Request, init?: RequestInit) =>
    fetch(input, { ...init, dispatcher } as RequestInit)) as typeof fetch;
}
