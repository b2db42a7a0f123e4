// startServer's stop and limits: an upload under way when the stop begins is stored and answered, the
// stop does not wait on kept-alive connections, the database closes last; a client trickling its
// headers or its body is cut at the configured limit; the limits' variables are checked.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../../src/server/auth/tokens.ts';
import { openDatabase } from '../../src/server/db/connect.ts';
import {
  DEFAULT_HTTP_TIMEOUTS,
  httpTimeoutsFromEnv,
  type HttpTimeouts,
} from '../../src/server/http-limits.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';

const dir = mkdtempSync(join(tmpdir(), 'suivi-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const running: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

/** A server on a fresh SQLite file, with a national upload token. */
async function serve(
  timeouts: HttpTimeouts,
): Promise<{ server: RunningServer; port: number; token: string; file: string }> {
  const file = join(dir, `${randomUUID()}.sqlite`);
  const setup = await openDatabase({ kind: 'sqlite', file });
  const { token } = await createToken(setup.db, { scope: { level: 'national' }, canWrite: true });
  await setup.close();
  const server = await startServer({
    target: { kind: 'sqlite', file },
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    retentionDays: null,
    timeouts,
  });
  running.push(server);
  return { server, port: Number(new URL(server.url).port), token, file };
}

function uploadBody(records: number): Buffer {
  return Buffer.from(
    JSON.stringify({
      schema: 1,
      batchId: randomUUID(),
      client: { id: 'limites', addon: '0.1.0', thunderbird: '128.0' },
      balf: 'sip.limites@dgfip.finances.gouv.fr',
      records: Array.from({ length: records }, (_, i) => ({
        k: randomBytes(16).toString('base64url').slice(0, 22),
        dir: 'in',
        at: new Date(Date.now() - 86_400_000 - i * 60_000).toISOString(),
        cat: 'usager',
      })),
    }),
  );
}

/**
 * A raw client that writes `first`, then `trickle` every 100 ms for up to `forMs`; resolves with
 * what the server answered and after how long it closed the connection (null: it never did).
 */
function trickle(
  port: number,
  first: string,
  trickleText: string,
  forMs: number,
): Promise<{ closedAfterMs: number | null; answer: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let settled = false;
    const finish = (closedAfterMs: number | null): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ closedAfterMs, answer });
    };
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => finish(Date.now() - started));
    socket.write(first);
    const timer = setInterval(() => {
      if (socket.writable) socket.write(trickleText);
    }, 100);
    const giveUp = setTimeout(() => finish(null), forMs);
  });
}

const SHORT: HttpTimeouts = { headersMs: 500, requestMs: 1500, keepAliveMs: 3_600_000 };

describe('stopping the server', () => {
  it('stores and answers the upload under way, without waiting on kept-alive connections', async () => {
    // Keep-alive of an hour: a stop that waited for it would never end within the test.
    const { server, port, token, file } = await serve({ ...DEFAULT_HTTP_TIMEOUTS, keepAliveMs: 3_600_000 });
    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const get = (): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res));
        })
          .on('error', reject)
          .end();
      });
    // One connection left idle, kept alive by the agent.
    expect((await get()).statusCode).toBe(200);
    const idleClosed = new Promise<void>((resolve) => {
      for (const sockets of Object.values(agent.freeSockets)) sockets?.[0]?.once('close', () => resolve());
    });

    // An upload whose body is half sent when the stop begins.
    const body = uploadBody(1500);
    let upload: IncomingMessage | undefined;
    const uploadText = new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/tallies',
          agent,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': body.length,
          },
        },
        (res) => {
          upload = res;
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString('utf8')));
          res.on('end', () => resolve(text));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, body.length / 2));
      setTimeout(() => req.end(body.subarray(body.length / 2)), 500);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = server.close();
    await idleClosed;
    expect(JSON.parse(await uploadText)).toMatchObject({ accepted: 1500, duplicates: 0 });
    expect(upload?.statusCode).toBe(200);
    // Answered, then closed: the client must not send another request on this connection.
    expect(upload?.headers.connection).toBe('close');
    await stopped;
    agent.destroy();
    // The database closed after the answer, with the batch committed.
    const check = new SQLite(file, { readonly: true });
    try {
      expect(check.prepare('select count(*) n from records').get()).toEqual({ n: 1500 });
    } finally {
      check.close();
    }
    // Closed for good: no new connection is accepted.
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});

describe('request time limits', () => {
  it('cuts a client that trickles its headers (slow loris) at the headers limit', async () => {
    const { port } = await serve(SHORT);
    const cut = await trickle(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Lent: a\r\n', 15_000);
    expect(cut.closedAfterMs, 'connexion jamais coupée en 15 s').not.toBeNull();
    expect(cut.closedAfterMs!).toBeGreaterThanOrEqual(SHORT.headersMs);
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('cuts a body trickled slower than the request limit, and serves a prompt one', async () => {
    const { port, token } = await serve(SHORT);
    const head =
      'POST /api/v1/tallies HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      `Authorization: Bearer ${token}\r\nContent-Length: 100000\r\n\r\n{`;
    const cut = await trickle(port, head, ' ', 15_000);
    expect(cut.closedAfterMs, 'connexion jamais coupée en 15 s').not.toBeNull();
    expect(cut.closedAfterMs!).toBeGreaterThanOrEqual(SHORT.requestMs);
    expect(cut.answer).toMatch(/^HTTP\/1\.1 408 /);

    const prompt = await fetch(`http://127.0.0.1:${port}/api/v1/tallies`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: uploadBody(200).toString('utf8'),
    });
    expect(prompt.status).toBe(200);
    expect(await prompt.json()).toMatchObject({ accepted: 200 });
  });
});

describe('httpTimeoutsFromEnv', () => {
  it('keeps the defaults when nothing is set', () => {
    expect(httpTimeoutsFromEnv({})).toEqual(DEFAULT_HTTP_TIMEOUTS);
    expect(httpTimeoutsFromEnv({ SUIVI_HEADERS_TIMEOUT: ' ' })).toEqual(DEFAULT_HTTP_TIMEOUTS);
  });

  it('reads whole seconds', () => {
    expect(
      httpTimeoutsFromEnv({
        SUIVI_HEADERS_TIMEOUT: '5',
        SUIVI_REQUEST_TIMEOUT: '30',
        SUIVI_KEEPALIVE_TIMEOUT: '65',
      }),
    ).toEqual({ headersMs: 5000, requestMs: 30_000, keepAliveMs: 65_000 });
  });

  it.each([
    ['SUIVI_HEADERS_TIMEOUT', '0'],
    ['SUIVI_REQUEST_TIMEOUT', 'deux'],
    ['SUIVI_KEEPALIVE_TIMEOUT', '1.5'],
    ['SUIVI_REQUEST_TIMEOUT', '3601'],
    ['SUIVI_HEADERS_TIMEOUT', '-3'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(() => httpTimeoutsFromEnv({ [name]: value })).toThrow(
      `${name} invalide « ${value} » : un nombre entier de secondes, de 1 à 3600.`,
    );
  });

  it('refuses a headers limit longer than the request limit', () => {
    expect(() => httpTimeoutsFromEnv({ SUIVI_HEADERS_TIMEOUT: '60', SUIVI_REQUEST_TIMEOUT: '30' })).toThrow(
      /SUIVI_HEADERS_TIMEOUT \(60 s\) dépasse SUIVI_REQUEST_TIMEOUT \(30 s\)/,
    );
  });
});
