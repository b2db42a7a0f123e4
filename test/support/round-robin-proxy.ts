// A reverse proxy on loopback for the scale-out test, doing what the guide's nginx does: requests spread
// over the server instances in turn, X-Forwarded-For set to the client's address (never passed on from
// the client), X-Forwarded-Proto https; an instance that refuses connections is skipped for a while, and a
// request it refused goes to the next one.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Proxy {
  url: string;
  /** Requests answered by each backend port. */
  hits: Map<number, number>;
  close(): Promise<void>;
}

/** How long a backend that failed to connect is left out (nginx's fail_timeout). */
const DOWN_MS = 2000;

export async function startProxy(backends: readonly number[]): Promise<Proxy> {
  const hits = new Map<number, number>(backends.map((p) => [p, 0]));
  const downUntil = new Map<number, number>();
  let next = 0;
  const choose = (): number => {
    for (let i = 0; i < backends.length; i++) {
      const port = backends[(next + i) % backends.length]!;
      if ((downUntil.get(port) ?? 0) <= Date.now()) {
        next = (next + i + 1) % backends.length;
        return port;
      }
    }
    return backends[next++ % backends.length]!;
  };
  /**
   * Sends the buffered request to one backend after another, as nginx does by default (request bodies
   * buffered, `proxy_next_upstream error`): a backend that refuses the connection has received nothing, so
   * the next one gets the request; one that fails after that answers 502, since the request may have run.
   */
  const send = (req: IncomingMessage, body: Buffer, res: ServerResponse, tried: Set<number>): void => {
    const port = choose();
    tried.add(port);
    const headers = { ...req.headers };
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
    headers['x-forwarded-proto'] = 'https';
    const upstream = request(
      { host: '127.0.0.1', port, method: req.method, path: req.url, headers },
      (answer) => {
        hits.set(port, (hits.get(port) ?? 0) + 1);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') {
        downUntil.set(port, Date.now() + DOWN_MS);
        if (tried.size < backends.length) return send(req, body, res, tried);
      }
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'bad_gateway', message: `instance ${port} : ${error.message}` }));
      } else res.destroy();
    });
    upstream.end(body);
  };
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => send(req, Buffer.concat(chunks), res, new Set()));
  };
  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
