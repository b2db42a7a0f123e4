// Authentication on SQLite and PostgreSQL: login, lockout, cookie attributes, CSRF, tokens and scopes.
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/server/auth/password.ts';
import { createToken, revokeToken } from '../../src/server/auth/tokens.ts';
import { addUser, removeUser } from '../../src/server/auth/users.ts';
import type { Db } from '../../src/server/db/schema.ts';
import type { OpenDb } from '../../src/server/db/connect.ts';
import { PASSWORD, authApp, login, user } from './auth-support.ts';
import { databaseKinds, openTestDb } from './support.ts';

const FAILED =
  'Identifiant ou mot de passe incorrect (après 5 échecs depuis un même poste, les essais sont suspendus 15 minutes).';

describe('password hashing', () => {
  it('stores scrypt N=2^15 r=8 p=1 with a salt and verifies', async () => {
    const a = await hashPassword('un mot de passe assez long');
    const b = await hashPassword('un mot de passe assez long');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(a, 'salted: two hashes of one password differ').not.toBe(b);
    expect(await verifyPassword('un mot de passe assez long', a)).toBe(true);
    expect(await verifyPassword('un mot de passe assez lonG', a)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
  });
});

describe.each(databaseKinds)('auth on %s', (kind) => {
  let opened: OpenDb;
  let db: Db;
  let app: FastifyInstance;
  const now = { value: new Date('2025-06-30T10:00:00Z') };

  beforeEach(async () => {
    now.value = new Date('2025-06-30T10:00:00Z');
    opened = await openTestDb(kind);
    db = opened.db;
    app = await authApp(db, () => now.value);
    await user(db, 'nat', { level: 'national' });
    await user(db, 'dep67', { level: 'department', code: '67' });
  });
  afterEach(async () => {
    await app.close();
    await opened.close();
  });

  it('logs in with an HttpOnly, SameSite=Strict, Path=/ cookie and answers the session', async () => {
    const s = await login(app, 'dep67');
    expect(s.response.statusCode).toBe(200);
    expect(s.response.json()).toEqual({
      login: 'dep67',
      scope: { level: 'department', code: '67' },
      csrfToken: s.csrfToken,
    });
    expect(s.csrfToken.length).toBeGreaterThanOrEqual(20);
    const raw = String(s.response.headers['set-cookie']);
    expect(raw).toMatch(/suivi_session=[A-Za-z0-9_-]{43}/);
    expect(raw).toContain('HttpOnly');
    expect(raw).toContain('SameSite=Strict');
    expect(raw).toContain('Path=/');
    expect(raw, 'plain http without SUIVI_SECURE_COOKIES: no Secure').not.toContain('Secure');

    const again = await app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: s.cookie } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({
      login: 'dep67',
      scope: { level: 'department', code: '67' },
      csrfToken: s.csrfToken,
    });
    const anonymous = await app.inject({ method: 'GET', url: '/api/v1/session' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('sets Secure when SUIVI_SECURE_COOKIES=1', async () => {
    const secure = await authApp(db, () => now.value, { secureCookies: true });
    try {
      const s = await login(secure, 'nat');
      expect(String(s.response.headers['set-cookie'])).toContain('Secure');
    } finally {
      await secure.close();
    }
  });

  it('answers the same 401 for an unknown login and a wrong password', async () => {
    const wrong = await login(app, 'nat', 'mauvais mot de passe');
    const unknown = await login(app, 'personne', 'mauvais mot de passe');
    expect(wrong.response.statusCode).toBe(401);
    expect(unknown.response.statusCode).toBe(401);
    expect(wrong.response.json()).toEqual({ error: 'unauthorized', message: FAILED });
    expect(unknown.response.json()).toEqual(wrong.response.json());
    expect(wrong.response.headers['set-cookie']).toBeUndefined();
  });

  it('suspends a login for 15 minutes from the address that failed 5 times, not from another one', async () => {
    const attacker = { remoteAddress: '127.0.0.66' };
    for (let i = 1; i <= 5; i++) {
      const r = await login(app, 'nat', `essai numéro ${i}`, attacker);
      expect(r.response.statusCode, `failure ${i}`).toBe(401);
      expect(r.response.json()).toEqual({ error: 'unauthorized', message: FAILED });
    }
    const held = await login(app, 'nat', PASSWORD, attacker);
    expect(held.response.statusCode, 'right password from the failing address').toBe(429);
    expect(Number(held.response.headers['retry-after'])).toBe(15 * 60);
    expect((await login(app, 'nat', PASSWORD)).response.statusCode, 'the owner elsewhere').toBe(200);
    now.value = new Date('2025-06-30T10:14:59Z');
    expect((await login(app, 'nat', PASSWORD, attacker)).response.statusCode, 'one second before').toBe(429);
    now.value = new Date('2025-06-30T10:15:01Z');
    expect((await login(app, 'nat', PASSWORD, attacker)).response.statusCode).toBe(200);
    // Four failures do not suspend; a success clears the count.
    for (let i = 0; i < 4; i++) await login(app, 'dep67', 'faux faux faux');
    expect((await login(app, 'dep67')).response.statusCode).toBe(200);
    for (let i = 0; i < 4; i++) await login(app, 'dep67', 'faux faux faux');
    expect((await login(app, 'dep67')).response.statusCode).toBe(200);
  });

  it('throttles failed logins per address (429 with Retry-After), not successful ones', async () => {
    const throttled = await authApp(db, () => now.value, { loginsPerMinute: 3 });
    try {
      for (let i = 0; i < 4; i++) {
        const ok = await throttled.inject({
          method: 'POST',
          url: '/api/v1/session',
          payload: { login: 'nat', password: PASSWORD },
        });
        expect(ok.statusCode, `successful login ${i}`).toBe(200);
      }
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await throttled.inject({
          method: 'POST',
          url: '/api/v1/session',
          payload: { login: 'x', password: 'y' },
        });
        codes.push(r.statusCode);
        if (i === 3) expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
      }
      expect(codes).toEqual([401, 401, 401, 429]);
      const blocked = await throttled.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { login: 'nat', password: PASSWORD },
      });
      expect(blocked.statusCode, 'even the right password waits').toBe(429);
      now.value = new Date(now.value.getTime() + 61_000);
      const later = await throttled.inject({
        method: 'POST',
        url: '/api/v1/session',
        payload: { login: 'nat', password: PASSWORD },
      });
      expect(later.statusCode, 'a minute later').toBe(200);
    } finally {
      await throttled.close();
    }
  });

  it('requires the CSRF header on cookie-authenticated writes, and logs out', async () => {
    const s = await login(app, 'nat');
    const without = await app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie: s.cookie },
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().message).toContain('CSRF');
    const wrong = await app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken.slice(1) + 'x' },
    });
    expect(wrong.statusCode).toBe(403);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(200);
    const write = await app.inject({ method: 'POST', url: '/probe/write', headers: { cookie: s.cookie } });
    expect(write.statusCode, 'any route, not only the session').toBe(403);
    const writeOk = await app.inject({
      method: 'POST',
      url: '/probe/write',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
    });
    expect(writeOk.statusCode).toBe(200);
    const out = await app.inject({
      method: 'DELETE',
      url: '/api/v1/session',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
    });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toMatch(/suivi_session=;/);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(401);
    expect(await db.selectFrom('sessions').selectAll().execute()).toEqual([]);
  });

  it('ends the sessions of a user whose password is reset or who is removed', async () => {
    const s = await login(app, 'dep67');
    await addUser(db, {
      login: 'dep67',
      password: 'un tout nouveau mot de passe',
      scope: { level: 'department', code: '68' },
    });
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: s.cookie } })).statusCode,
    ).toBe(401);
    expect((await login(app, 'dep67')).response.statusCode, 'old password').toBe(401);
    const again = await login(app, 'dep67', 'un tout nouveau mot de passe');
    expect(again.response.json()).toMatchObject({ scope: { level: 'department', code: '68' } });
    expect(await removeUser(db, 'dep67')).toBe(true);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie: again.cookie } }))
        .statusCode,
    ).toBe(401);
    expect(await removeUser(db, 'dep67')).toBe(false);
  });

  it('expires sessions after 12 hours', async () => {
    const s = await login(app, 'nat');
    now.value = new Date('2025-06-30T22:00:01Z');
    const r = await app.inject({ method: 'GET', url: '/probe/read', headers: { cookie: s.cookie } });
    expect(r.statusCode).toBe(401);
    expect(r.json().message).toContain('Session expirée');
  });

  it('tells ingest tokens, read tokens, revoked and unknown tokens apart', async () => {
    const ingest = await createToken(db, { scope: 'department:67', canWrite: true, label: 'poste' });
    const read = await createToken(db, { scope: { level: 'national' }, canWrite: false });
    expect(ingest.token).toMatch(/^sbt_[A-Za-z0-9_-]{43}$/);
    const stored = await db
      .selectFrom('tokens')
      .selectAll()
      .where('id', '=', ingest.id)
      .executeTakeFirstOrThrow();
    expect(stored.hash, 'only the SHA-256 is stored').toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(ingest.token.slice(4));

    const call = (method: 'GET' | 'POST', url: string, token: string) =>
      app.inject({ method, url, headers: { authorization: `Bearer ${token}` } });
    const ok = await call('POST', '/probe/ingest', ingest.token);
    expect(ok.statusCode, 'bearer writes need no CSRF').toBe(200);
    expect(ok.json().principal).toEqual({
      kind: 'token',
      id: ingest.id,
      scope: { level: 'department', code: '67' },
      canWrite: true,
    });
    expect((await call('GET', '/probe/read', ingest.token)).statusCode).toBe(403);
    expect((await call('GET', '/probe/read', read.token)).statusCode).toBe(200);
    expect((await call('POST', '/probe/ingest', read.token)).statusCode).toBe(403);
    const unknown = await call('POST', '/probe/ingest', 'sbt_' + 'A'.repeat(43));
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().message).toContain('Jeton inconnu');
    expect((await app.inject({ method: 'POST', url: '/probe/ingest' })).statusCode).toBe(401);
    await revokeToken(db, ingest.id, now.value);
    expect((await call('POST', '/probe/ingest', ingest.token)).statusCode, 'revoked').toBe(401);

    const s = await login(app, 'nat');
    const byUser = await app.inject({
      method: 'POST',
      url: '/probe/ingest',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrfToken },
    });
    expect(byUser.statusCode, 'users do not upload tallies').toBe(403);
  });
});
