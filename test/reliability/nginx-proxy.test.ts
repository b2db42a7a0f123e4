// The nginx configuration shipped in deploy/server/ (and printed in the coordinator guide), run by the
// real nginx in front of the server: a client's own X-Forwarded-For never reaches the server as its
// address, HTTPS is known to the server, and the guide shows exactly the shipped file.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import type { OpenDb } from '../../src/server/db/connect.ts';
import { freePort } from '../support/marionette/thunderbird-ui.ts';
import { PASSWORD, user } from '../server/auth-support.ts';
import { openTestDb } from '../server/support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONF = readFileSync(join(ROOT, 'deploy/server/nginx-suivi-balf.conf'), 'utf8');

function nginxBinary(): string {
  const found = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  if (found.error)
    throw new Error(
      'nginx est requis pour ce test : apt-get install -y nginx-light (ou bash scripts/setup-system.sh)',
    );
  return 'nginx';
}

function httpsCall(port: number, path: string, body: unknown, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; cookie: string }>((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        rejectUnauthorized: false,
        headers: { 'content-type': 'application/json', 'content-length': data.length, ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            cookie: String(res.headers['set-cookie'] ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('the shipped nginx configuration, run by nginx', () => {
  let dir: string;
  let opened: OpenDb;
  let app: FastifyInstance;
  let nginx: ChildProcess | undefined;
  let httpsPort: number;

  beforeAll(async () => {
    const bin = nginxBinary();
    dir = mkdtempSync(join(tmpdir(), 'suivi-nginx-'));
    chmodSync(dir, 0o755);
    opened = await openTestDb('sqlite');
    await user(opened.db, 'nat', { level: 'national' });
    app = await buildApp({
      db: opened.db,
      rateLimit: false,
      config: loadConfig({ SUIVI_TRUST_PROXY: '127.0.0.1' }),
    });
    app.get('/probe', async (req) => ({ ip: req.ip, protocol: req.protocol }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const appPort = (app.server.address() as AddressInfo).port;
    httpsPort = await freePort();
    const httpPort = await freePort();
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=suivi-balf.exemple.gouv.fr',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const site = CONF.replace('listen 443 ssl;', `listen 127.0.0.1:${httpsPort} ssl;`)
      .replace('listen 80;', `listen 127.0.0.1:${httpPort};`)
      .replace('server 127.0.0.1:8080', `server 127.0.0.1:${appPort}`)
      .replace('/etc/ssl/certs/suivi-balf.pem', join(dir, 'cert.pem'))
      .replace('/etc/ssl/private/suivi-balf.key', join(dir, 'key.pem'));
    expect(site).not.toMatch(/^\s*server 127\.0\.0\.1:8080/m);
    writeFileSync(join(dir, 'site.conf'), site);
    const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
    writeFileSync(
      join(dir, 'nginx.conf'),
      [
        ...(process.getuid?.() === 0 ? ['user root;'] : []),
        'worker_processes 1;',
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')} warn;`,
        'events { worker_connections 64; }',
        `http { access_log off; ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')}`,
        `  include ${join(dir, 'site.conf')}; }`,
      ].join('\n'),
    );
    const check = spawnSync(bin, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    nginx = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const ready = await httpsCall(httpsPort, '/probe', {}).catch(() => null);
      if (ready) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 60_000);

  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await app?.close();
    await opened?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes the client’s own address and HTTPS, never a forged X-Forwarded-For', async () => {
    const seen = await new Promise<{ ip: string; protocol: string }>((resolve, reject) => {
      request(
        {
          host: '127.0.0.1',
          port: httpsPort,
          path: '/probe',
          rejectUnauthorized: false,
          headers: { 'x-forwarded-for': '6.6.6.6, 7.7.7.7' },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(JSON.parse(text)));
        },
      )
        .on('error', reject)
        .end();
    });
    expect(seen).toEqual({ ip: '127.0.0.1', protocol: 'https' });
  });

  it('counts 12 wrong passwords under 12 forged addresses as one client (429 after 10)', async () => {
    const codes: number[] = [];
    for (let i = 1; i <= 12; i++) {
      const r = await httpsCall(
        httpsPort,
        '/api/v1/session',
        { login: `compte${i}`, password: 'faux faux faux' },
        { 'x-forwarded-for': `10.0.${i}.${i}` },
      );
      codes.push(r.status);
    }
    expect(codes).toEqual([...Array<number>(10).fill(401), 429, 429]);
  });

  it('gives the session cookie the Secure attribute over HTTPS', async () => {
    await opened.db.deleteFrom('throttles').execute();
    const r = await httpsCall(httpsPort, '/api/v1/session', { login: 'nat', password: PASSWORD });
    expect(r.status, r.body).toBe(200);
    expect(r.cookie).toMatch(/; Secure/);
  });

  it('is printed as is in the coordinator guide (§ 2.4)', () => {
    const guide = readFileSync(join(ROOT, 'docs/guide-coordinateur.md'), 'utf8');
    const block = /### 2\.4[\s\S]*?```nginx\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(block).toBe(CONF);
  });
});
