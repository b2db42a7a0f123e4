// Graceful shutdown of the server process logic: a batch whose upload is under way when the
// shutdown starts is still read, stored and acknowledged, and the database closes after it.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createToken } from '../../src/server/auth/tokens.ts';
import { openDatabase } from '../../src/server/db/connect.ts';
import { startServer } from '../../src/server/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'suivi-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startServer', () => {
  it('finishes an in-flight upload before closing the database', { timeout: 60_000 }, async () => {
    const file = join(dir, 'serve.sqlite');
    const setup = await openDatabase({ kind: 'sqlite', file });
    const { token } = await createToken(setup.db, { scope: { level: 'national' }, canWrite: true });
    await setup.close();

    const server = await startServer({
      target: { kind: 'sqlite', file },
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const body = Buffer.from(
      JSON.stringify({
        schema: 1,
        batchId: randomUUID(),
        client: { id: 'arret', addon: '0.1.0', thunderbird: '128.0' },
        balf: 'sip.arret@dgfip.finances.gouv.fr',
        records: Array.from({ length: 2000 }, (_, i) => ({
          k: randomBytes(16).toString('base64url').slice(0, 22),
          dir: 'in',
          at: new Date(Date.now() - 86_400_000 - i * 60_000).toISOString(),
          cat: 'usager',
        })),
      }),
    );
    const { port } = new URL(server.url);
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: Number(port),
          method: 'POST',
          path: '/api/v1/tallies',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString('utf8')));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      // Half the body now; the shutdown starts while the server waits for the rest.
      req.write(body.subarray(0, body.length / 2));
      setTimeout(() => {
        closing = server.close();
        setTimeout(() => req.end(body.subarray(body.length / 2)), 200);
      }, 300);
    });
    let closing: Promise<void> | undefined;
    const result = await answer;
    expect(result.status, result.body).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ accepted: 2000, duplicates: 0 });
    await closing;
    const check = new SQLite(file, { readonly: true });
    try {
      expect(check.prepare('select count(*) n from records').get()).toEqual({ n: 2000 });
    } finally {
      check.close();
    }
    // Closed for good: no new connection is accepted.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
