// Password guessing on SQLite and PostgreSQL: counted before the check (concurrency), per pair, address
// and account; the owner is never locked out; forged X-Forwarded-For; plain-HTTP logins; `user unlock`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { throttleAddress } from '../../src/server/auth/login-throttle.ts';
import { buildApp } from '../../src/server/app.ts';
import { userCommand } from '../../src/server/cli/admin-commands.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import type { Db } from '../../src/server/db/schema.ts';
import { createDatabase } from '../support/postgres.ts';
import { PASSWORD, authApp, login, user } from './auth-support.ts';
import { databaseKinds, openTestDb, type DatabaseKind } from './support.ts';

const statuses = (responses: { response: { statusCode: number } }[]) => {
  const count: Record<number, number> = {};
  for (const r of responses) count[r.response.statusCode] = (count[r.response.statusCode] ?? 0) + 1;
  return count;
};

describe('throttleAddress', () => {
  it('counts IPv4 as is and IPv6 by /64', () => {
    expect(throttleAddress('203.0.113.7')).toBe('203.0.113.7');
    expect(throttleAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(throttleAddress('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:db8:1:2:ffff:ffff:ffff:fffe')).toBe('2001:db8:1:2::/64');
    expect(throttleAddress('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(throttleAddress('::1')).toBe('0:0:0:0::/64');
  });
});

describe('SUIVI_TRUST_PROXY', () => {
  it('takes a list of addresses and blocks, and refuses the old « 1 » that trusted every hop', () => {
    expect(loadConfig({ SUIVI_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,::1,loopback' }).trustProxy).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'loopback',
    ]);
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(() => loadConfig({ SUIVI_TRUST_PROXY: '1' })).toThrow(
      /n’est plus accepté.*SUIVI_TRUST_PROXY=127\.0\.0\.1/,
    );
    expect(() => loadConfig({ SUIVI_TRUST_PROXY: 'nginx.local' })).toThrow(/ni une adresse IP/);
    expect(() => loadConfig({ SUIVI_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/ni une adresse IP/);
  });
});

describe.each(databaseKinds)('login throttle on %s', (kind: DatabaseKind) => {
  let opened: OpenDb;
  let db: Db;
  let app: FastifyInstance;
  const now = { value: new Date('2025-06-30T10:00:00Z') };

  beforeEach(async () => {
    now.value = new Date('2025-06-30T10:00:00Z');
    opened = await openTestDb(kind);
    db = opened.db;
    // Addresses of other machines below, in plain HTTP: that part has its own test.
    app = await authApp(db, () => now.value, { loginsPerMinute: 10, allowHttpLogin: true });
    await user(db, 'nat', { level: 'national' });
  });
  afterEach(async () => {
    await app.close();
    await opened.close();
  });

  it('judges 100 simultaneous wrong passwords against one count: 5 checked, 95 refused, then the right one too', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 100 }, (_, i) => login(app, 'nat', `mauvais mot de passe ${i}`)),
    );
    expect(statuses(attempts)).toEqual({ 401: 5, 429: 95 });
    const right = await login(app, 'nat', PASSWORD);
    expect(right.response.statusCode, 'the right password after the failures').toBe(429);
    expect(right.response.cookies).toEqual([]);
  });

  it('does not let the owner be locked out: another address, and an address the owner used before', async () => {
    // The owner has logged in from their workstation before.
    const office = { remoteAddress: '192.0.2.10' };
    expect((await login(app, 'nat', PASSWORD, office)).response.statusCode).toBe(200);
    // Eight addresses each try one wrong password (here the account allows 5 an hour from unknown
    // addresses; 20 by default): the account is slowed for unknown addresses…
    const strict = await authApp(db, () => now.value, {
      allowHttpLogin: true,
      limits: { account: { max: 5, windowMs: 3_600_000 } },
    });
    const spray = [];
    for (let i = 1; i <= 8; i++)
      spray.push(await login(strict, 'nat', 'devinette devinette', { remoteAddress: `198.51.100.${i}` }));
    expect(statuses(spray)).toEqual({ 401: 5, 429: 3 });
    expect(
      (await login(strict, 'nat', PASSWORD, { remoteAddress: '198.51.100.200' })).response.statusCode,
    ).toBe(429);
    // …not for the owner's own workstation.
    expect((await login(strict, 'nat', PASSWORD, office)).response.statusCode).toBe(200);
    await strict.close();
  });

  it('refuses logins over plain HTTP from another machine, unless through a trusted HTTPS proxy or allowed', async () => {
    const remote = { remoteAddress: '10.1.2.3' };
    const strict = await authApp(db, () => now.value);
    const refused = await login(strict, 'nat', PASSWORD, remote);
    expect(refused.response.statusCode).toBe(403);
    expect(refused.response.json().message).toMatch(/^Connexion refusée en HTTP simple/);
    expect(refused.response.cookies).toEqual([]);
    expect((await login(strict, 'nat', PASSWORD, { remoteAddress: '::1' })).response.statusCode).toBe(200);
    await strict.close();
    const allowed = await authApp(db, () => now.value, { allowHttpLogin: true });
    expect((await login(allowed, 'nat', PASSWORD, remote)).response.statusCode).toBe(200);
    await allowed.close();
    const proxied = await authApp(db, () => now.value, { trustProxy: ['127.0.0.1'] });
    const viaProxy = await login(proxied, 'nat', PASSWORD, {
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': '10.1.2.3', 'x-forwarded-proto': 'https' },
    });
    expect(viaProxy.response.statusCode).toBe(200);
    expect(String(viaProxy.response.headers['set-cookie'])).toContain('Secure');
    // The same headers from a client that is no trusted proxy change nothing.
    const forged = await login(proxied, 'nat', PASSWORD, {
      remoteAddress: '10.9.9.9',
      headers: { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https' },
    });
    expect(forged.response.statusCode).toBe(403);
    await proxied.close();
  });
});

describe.each(databaseKinds)('`suivi-balf user unlock` on %s', (kind: DatabaseKind) => {
  it('clears the counters of a login, which `user list` showed as suspended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'suivi-unlock-'));
    const target =
      kind === 'sqlite'
        ? { kind: 'sqlite' as const, file: join(dir, 'db.sqlite') }
        : { kind: 'postgres' as const, url: await createDatabase(inject('pgUrl')) };
    // The command opens its own connection, as it would beside a running server.
    const env = target.kind === 'postgres' ? { DATABASE_URL: target.url } : {};
    const dbArgs = target.kind === 'sqlite' ? ['--db', target.file] : [];
    const now = { value: new Date() };
    const opened = await openDatabase(target);
    const app = await authApp(opened.db, () => now.value, { allowHttpLogin: true });
    const run = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const status = await userCommand([...args, ...dbArgs], {
        out: (t) => out.push(t),
        err: (t) => err.push(t),
        env,
        stdin: new PassThrough(),
      });
      return { status, out: out.join(''), err: err.join('') };
    };
    try {
      await user(opened.db, 'nat', { level: 'national' });
      const from = { remoteAddress: '198.51.100.7' };
      for (let i = 0; i < 5; i++) await login(app, 'nat', 'faux faux faux', from);
      expect((await login(app, 'nat', PASSWORD, from)).response.statusCode).toBe(429);
      const listed = await run(['list']);
      expect(listed.out).toMatch(/^nat\s+national\s+\S+\s+\d{4}-\d\d-\d\dT/m);
      const unlocked = await run(['unlock', 'nat']);
      expect(unlocked).toMatchObject({ status: 0 });
      expect(unlocked.out).toContain('Utilisateur nat débloqué');
      expect((await login(app, 'nat', PASSWORD, from)).response.statusCode).toBe(200);
      expect((await run(['list'])).out).toMatch(/^nat\s+national\s+\S+$/m);
      expect(await run(['unlock', 'personne'])).toMatchObject({
        status: 1,
        err: 'Utilisateur inconnu : personne\n',
      });
    } finally {
      await app.close();
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(databaseKinds)('forged X-Forwarded-For on %s', (kind: DatabaseKind) => {
  it('30 wrong passwords with 30 forged addresses are one client: 429 after the limit', async () => {
    const opened = await openTestDb(kind);
    const app = await buildApp({
      db: opened.db,
      rateLimit: false,
      config: loadConfig({ SUIVI_TRUST_PROXY: '127.0.0.1' }),
    });
    try {
      await user(opened.db, 'nat', { level: 'national' });
      const codes: number[] = [];
      for (let i = 1; i <= 30; i++) {
        // As nginx's `$proxy_add_x_forwarded_for` would pass it: the client's own header, then its address.
        const r = await app.inject({
          method: 'POST',
          url: '/api/v1/session',
          remoteAddress: '127.0.0.1',
          headers: { 'x-forwarded-for': `10.0.${i}.${i}, 203.0.113.50`, 'x-forwarded-proto': 'https' },
          payload: { login: `compte${i}`, password: 'faux faux faux' },
        });
        codes.push(r.statusCode);
      }
      expect(codes.filter((c) => c === 429).length).toBe(20);
      const direct = [];
      for (let i = 1; i <= 12; i++) {
        const r = await app.inject({
          method: 'POST',
          url: '/api/v1/session',
          remoteAddress: '203.0.113.9',
          headers: { 'x-forwarded-for': `10.1.${i}.${i}`, 'x-forwarded-proto': 'https' },
          payload: { login: `autre${i}`, password: 'faux faux faux' },
        });
        direct.push(r.statusCode);
      }
      // Not a trusted proxy: its headers are ignored (plain HTTP from afar, refused), and it is one address.
      expect(new Set(direct)).toEqual(new Set([403]));
    } finally {
      await app.close();
      await opened.close();
    }
  });
});
