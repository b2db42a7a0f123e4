// Bounded work per client on SQLite and PostgreSQL: the upload rate limit keyed on the token (not the
// header's spelling), authentication before a large body is read, concurrent statistics bounded with a
// 429, calendar limits at parse, identifiers in strict Unicode, reused ids that name no BALF, no source map.
import { request as httpRequest } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase } from '../../src/server/db/connect.ts';
import dashboardRoutes from '../../src/server/routes/dashboard/index.ts';
import {
  batch,
  databaseKinds,
  getStats,
  harness,
  newKey,
  post,
  seedDirectory,
  token,
  type Harness,
} from './support.ts';

const PARIS = 'sip.paris1@dgfip.finances.gouv.fr';
const LYON = 'sip.lyon3@dgfip.finances.gouv.fr';
const one = () => [{ k: newKey(), dir: 'in' as const, at: '2025-06-02T08:00:00Z', cat: 'usager' as const }];

describe.each(databaseKinds)('hardening on %s', (kind) => {
  let h: Harness;
  let write75: string;
  beforeEach(async () => {
    h = await harness(kind, { rateLimit: { max: 1000, timeWindowMs: 60_000 } });
    await seedDirectory(h.db, [
      { department: '75', region: 'metropole', service: 'SIP75', balfs: [PARIS] },
      { department: '69', region: 'metropole', service: 'SIP69', balfs: [LYON] },
    ]);
    write75 = await token(h.db, { level: 'department', code: '75' });
  });
  afterEach(async () => h.close());

  it('counts uploads per token, whatever the spelling of the Authorization header', async () => {
    const app = await buildApp({
      db: h.db,
      clock: () => h.now.value,
      rateLimit: { max: 3, timeWindowMs: 60_000 },
      config: loadConfig({}),
    });
    const spellings = [`Bearer ${write75}`, `bearer  ${write75}`, `Bearer\t${write75} `, `BEARER ${write75}`];
    const codes = [];
    for (const authorization of spellings) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/tallies',
        headers: { 'content-type': 'application/json', authorization },
        payload: JSON.stringify(batch(PARIS, one())),
      });
      codes.push(r.statusCode);
    }
    expect(codes).toEqual([200, 200, 200, 429]);
    // Another token has its own count.
    const other = await token(h.db, { level: 'department', code: '75' });
    expect((await post(app, other, batch(PARIS, one()))).statusCode).toBe(200);
    await app.close();
  });

  it('authenticates a directory import before reading its body', async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (h.app.server.address() as AddressInfo).port;
    const national = await token(h.db, { level: 'national' }, false);
    for (const [authorization, status] of [
      [undefined, 401],
      [`Bearer ${national}`, 403],
    ] as const) {
      const answer = await new Promise<{ status: number; sent: number }>((resolve, reject) => {
        const size = 19 * 1024 * 1024;
        let sent = 0;
        const req = httpRequest({
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/directory/import',
          headers: {
            'content-type': 'text/csv',
            'content-length': String(size),
            ...(authorization ? { authorization } : {}),
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, sent });
          req.destroy();
        });
        req.on('error', (error) => {
          if (sent < size) return; // the server closed the connection after answering
          reject(error);
        });
        // 64 KiB, then nothing more: the answer must come without the rest of the 19 MB.
        setTimeout(() => {
          req.destroy();
          reject(new Error('no answer while the body was not sent: the server waits for it'));
        }, 10_000).unref();
        const chunk = Buffer.alloc(64 * 1024, 'a');
        req.write(chunk);
        sent += chunk.length;
      });
      expect(answer.status, String(authorization)).toBe(status);
      expect(answer.sent).toBeLessThan(1024 * 1024);
    }
  });

  it('bounds statistics running at once, per caller and in all, with a 429 and Retry-After', async () => {
    // On SQLite a file in WAL mode, whose tokens are read through a second connection: holding the
    // main one then stops the statistics queries, not the authentication.
    const dir = mkdtempSync(join(tmpdir(), 'suivi-stats-'));
    const file =
      kind === 'sqlite' ? await openDatabase({ kind: 'sqlite', file: join(dir, 'db.sqlite') }) : null;
    const db = file?.db ?? h.db;
    const app = file ? await buildApp({ db, rateLimit: false, config: loadConfig({}) }) : h.app;
    onTestFinished(async () => {
      if (file) {
        await app.close();
        await file.close();
      }
      rmSync(dir, { recursive: true, force: true });
    });
    const readers = await Promise.all(
      Array.from({ length: 6 }, () => token(db, { level: 'national' }, false)),
    );
    const query = { level: 'national', from: '2025-01-01', to: '2025-12-31' };
    // Hold the database so that the queries that start stay running.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = db.transaction().execute(async (trx) => {
      if (kind === 'postgres') await sql`lock table settings in access exclusive mode`.execute(trx);
      locked();
      await held;
    });
    await isLocked;
    const settled: { status: number; retryAfter: unknown; message: string }[] = [];
    const fire = (reader: string) =>
      getStats(app, reader, query).then((r) => {
        const entry = {
          status: r.statusCode,
          retryAfter: r.headers['retry-after'],
          message: r.json().message,
        };
        settled.push(entry);
        return entry;
      });
    // One caller, five at once: the fifth is refused at once (four per caller).
    const own = Array.from({ length: 5 }, () => fire(readers[0]!));
    await expect.poll(() => settled.length).toBe(1);
    expect(settled[0]).toEqual({
      status: 429,
      retryAfter: '2',
      message: expect.stringMatching(/^Trop de requêtes de statistiques simultanées pour cet utilisateur/),
    });
    // Ten more from five other callers: two run (six in all), eight are refused at once.
    const others = readers.slice(1).flatMap((r) => [fire(r), fire(r)]);
    await expect.poll(() => settled.length).toBe(9);
    expect(settled.slice(1).every((s) => s.status === 429 && /^Serveur occupé/.test(s.message))).toBe(true);
    if (kind === 'postgres') {
      // The database still has connections for everybody else.
      const started = Date.now();
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
      expect(Date.now() - started).toBeLessThan(5000);
    }
    release();
    await holder;
    const all = await Promise.all([...own, ...others]);
    expect(all.filter((r) => r.status === 200)).toHaveLength(6);
    expect((await getStats(app, readers[0]!, query)).statusCode, 'slots are given back').toBe(200);
  });

  it('refuses days outside the calendar at parse (400 with the reason), and groups its last month and week', async () => {
    const read = await token(h.db, { level: 'national' }, false);
    const far = await getStats(h.app, read, { level: 'national', from: '9999-12-31', to: '9999-12-31' });
    expect(far.statusCode).toBe(400);
    expect(far.json().details).toEqual(
      expect.arrayContaining([
        { path: 'from', message: 'date hors du calendrier pris en charge (années 1900 à 2200)' },
        { path: 'to', message: 'date hors du calendrier pris en charge (années 1900 à 2200)' },
      ]),
    );
    expect(
      (await getStats(h.app, read, { level: 'national', from: '1899-12-31', to: '1900-01-02' })).statusCode,
    ).toBe(400);
    for (const granularity of ['month', 'week', 'day']) {
      const end = await getStats(h.app, read, {
        level: 'national',
        from: '2200-11-15',
        to: '2200-12-31',
        granularity,
      });
      expect(end.statusCode, `${granularity}: ${end.body}`).toBe(200);
      expect(end.json().series.at(-1).period <= '2200-12-31').toBe(true);
    }
  });

  it('refuses identifiers with lone surrogates, bidi or other format characters', async () => {
    const cases: [string, unknown][] = [
      ['lone surrogate in the BALF', batch(`sip.paris1\uD800@dgfip.finances.gouv.fr`, one())],
      ['right-to-left override in the BALF', batch(`sip.paris1\u202E@dgfip.finances.gouv.fr`, one())],
      [
        'zero-width space in the client id',
        batch(PARIS, one(), { client: { id: 'poste\u200B1', addon: '0.1.0', thunderbird: '128.5' } }),
      ],
      [
        'lone surrogate in the client id',
        batch(PARIS, one(), { client: { id: 'poste\uDC00', addon: '0.1.0', thunderbird: '128.5' } }),
      ],
    ];
    for (const [what, body] of cases) {
      const r = await post(h.app, write75, body);
      expect(r.statusCode, what).toBe(400);
      expect(JSON.stringify(r.json().details), what).toContain('caractères interdits');
    }
    const counted = await h.db.selectFrom('batches').select('batch_id').execute();
    expect(counted).toEqual([]);
    // Composed and decomposed accents name one BALF.
    const national = await token(h.db, { level: 'national' });
    await post(h.app, national, batch('boîte.é@exemple.fr'.normalize('NFD'), one()));
    await post(h.app, national, batch('boîte.é@exemple.fr'.normalize('NFC'), one()));
    const balfs = await h.db.selectFrom('balf_homes').select('balf').execute();
    expect(balfs.map((b) => b.balf)).toEqual(['boîte.é@exemple.fr'.normalize('NFC')]);
  });

  it('answers a reused batch or spot-check id with a 409 that names no other BALF', async () => {
    const write69 = await token(h.db, { level: 'department', code: '69' });
    const first = batch(PARIS, one());
    expect((await post(h.app, write75, first)).statusCode).toBe(200);
    for (const [who, balf] of [
      [write69, LYON],
      [write69, PARIS],
      [write75, 'inconnue@exemple.fr'],
    ] as const) {
      const reused = await post(h.app, who, { ...first, balf });
      expect(reused.statusCode, balf).toBe(409);
      expect(reused.json().message).not.toContain(PARIS);
    }
  });
});

// PostgreSQL only (SQLite is one process's file): in server-pg, not in server-sqlite.
const postgresOnly = databaseKinds.filter((kind) => kind === 'postgres');

describe.each(postgresOnly)('shared upload counts on %s', (kind) => {
  it('two server instances on one database share one token count', async () => {
    const h = await harness(kind, { rateLimit: { max: 3, timeWindowMs: 60_000 } });
    const second = await buildApp({
      db: h.db,
      clock: () => h.now.value,
      rateLimit: { max: 3, timeWindowMs: 60_000 },
      config: loadConfig({}),
    });
    try {
      const national = await token(h.db, { level: 'national' });
      const codes = [];
      for (const app of [h.app, second, h.app, second])
        codes.push((await post(app, national, batch(PARIS, one()))).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
    } finally {
      await second.close();
      await h.close();
    }
  });
});

describe('dashboard files', () => {
  it('serves the built dashboard but not its source map', async () => {
    const root = mkdtempSync(join(tmpdir(), 'suivi-dashboard-'));
    const app = Fastify();
    try {
      writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
      writeFileSync(join(root, 'app.js'), 'console.log(1);\n//# sourceMappingURL=app.js.map');
      writeFileSync(join(root, 'app.js.map'), '{"sources":["../../src/dashboard/app.ts"]}');
      await app.register(dashboardRoutes, { root });
      expect((await app.inject({ method: 'GET', url: '/app.js' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/app.js.map' })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    } finally {
      await app.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
