// A loopback HTTP(S) server in front of the real collection app that injects network faults:
// refused connections, a reset in the middle of the request body, an answer lost after the batch
// was stored, a stall, 5xx, 429 with Retry-After, and (HTTPS) a certificate the client rejects.
import {
  createServer as createHttp,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps, type Server as HttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { KeyPair } from './tls.ts';

export type Fault =
  | 'none'
  | 'refuse'
  | 'reset-mid-body'
  | 'lost-answer'
  | 'stall'
  | 'http-500'
  | 'http-503'
  | 'http-429'
  | 'tls-self-signed';

export interface SeenRequest {
  fault: Fault;
  batchId?: string;
  /** Body bytes received before the server answered or cut the connection. */
  received: number;
  /** The request's Content-Length. */
  length: number;
  status?: number;
  /** For a stall: the client closed the connection (it timed out and aborted). */
  clientClosed?: boolean;
  /** For forwarded requests: the app's JSON answer (a replayed batchId gets the stored answer back). */
  answer?: unknown;
}

export interface FaultServerOptions {
  app: FastifyInstance;
  tls?: { good: KeyPair; bad: KeyPair };
  /** Retry-After sent with 429 (seconds or HTTP date). */
  retryAfter?: string;
  /** Called when a request is stalled: tests move their simulated clock past the timeout here. */
  onStall?: (request: SeenRequest) => void | Promise<void>;
}

export class FaultServer {
  fault: Fault = 'none';
  readonly seen: SeenRequest[] = [];
  private server!: Server;
  private port = 0;
  private stalled = new Set<ServerResponse>();

  private constructor(private readonly options: FaultServerOptions) {}

  static async start(options: FaultServerOptions): Promise<FaultServer> {
    const fs = new FaultServer(options);
    const handler = (req: IncomingMessage, res: ServerResponse) => void fs.handle(req, res);
    fs.server = options.tls ? createHttps(options.tls.good, handler) : createHttp(handler);
    await fs.listen();
    return fs;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  private listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address && typeof address === 'object') this.port = address.port;
        resolve();
      });
    });
  }

  /** Switches the fault; kept-alive connections are cut so the next request meets the new state. */
  async set(fault: Fault): Promise<void> {
    const was = this.fault;
    this.fault = fault;
    for (const res of this.stalled) res.destroy();
    this.stalled.clear();
    this.server.closeAllConnections();
    if (this.options.tls) {
      (this.server as HttpsServer).setSecureContext(
        fault === 'tls-self-signed' ? this.options.tls.bad : this.options.tls.good,
      );
    }
    if (fault === 'refuse' && was !== 'refuse') {
      // Nothing listens on the port any more: the client's connect() is refused.
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    } else if (fault !== 'refuse' && was === 'refuse') {
      await this.listen();
    }
  }

  async close(): Promise<void> {
    for (const res of this.stalled) res.destroy();
    this.server.closeAllConnections();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fault = this.fault;
    const seen: SeenRequest = { fault, received: 0, length: Number(req.headers['content-length'] ?? 0) };
    this.seen.push(seen);
    const chunks: Buffer[] = [];
    const complete = await new Promise<boolean>((resolve) => {
      req.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        seen.received += chunk.length;
        if (fault === 'reset-mid-body' && seen.received < seen.length) {
          // Cut while the body is still arriving: TCP RST, nothing reaches the app.
          req.socket.resetAndDestroy();
          resolve(false);
        }
      });
      req.on('end', () => resolve(true));
      req.on('error', () => resolve(false));
      req.on('close', () => resolve(false));
    });
    if (!complete) return;
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const batchId = (JSON.parse(body) as { batchId?: unknown }).batchId;
      if (typeof batchId === 'string') seen.batchId = batchId;
    } catch {
      // Not a batch: the app will say so.
    }
    const json = (status: number, payload: object, headers: Record<string, string> = {}) => {
      seen.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(JSON.stringify(payload));
    };
    switch (fault) {
      case 'reset-mid-body':
        // The whole body came in one chunk (smaller than a socket read): cut before answering.
        req.socket.resetAndDestroy();
        return;
      case 'stall':
        this.stalled.add(res);
        res.on('close', () => {
          seen.clientClosed = !res.writableEnded;
          this.stalled.delete(res);
        });
        await this.options.onStall?.(seen);
        return;
      case 'http-500':
        return json(500, { error: 'internal', message: 'Erreur interne du serveur.' });
      case 'http-503':
        return json(503, { error: 'unavailable', message: 'Service indisponible.' }, { 'retry-after': '30' });
      case 'http-429':
        return json(
          429,
          { error: 'rate_limited', message: 'Trop de requêtes.' },
          this.options.retryAfter !== undefined ? { 'retry-after': this.options.retryAfter } : {},
        );
      default:
        break;
    }
    const answer = await this.options.app.inject({
      method: req.method as 'POST',
      url: req.url ?? '/',
      headers: { ...req.headers },
      payload: body,
    });
    seen.status = answer.statusCode;
    try {
      seen.answer = JSON.parse(answer.body) as unknown;
    } catch {
      // Not JSON.
    }
    if (fault === 'lost-answer') {
      // Stored and committed, but the answer never leaves: the client cannot know.
      req.socket.resetAndDestroy();
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined || ['connection', 'transfer-encoding', 'keep-alive'].includes(name)) continue;
      headers[name] = Array.isArray(value) ? value : String(value);
    }
    res.writeHead(answer.statusCode, headers);
    res.end(answer.rawPayload);
  }
}

/** Wraps fetch to log every request the add-on makes (including refused ones) on simulated time. */
export function countingFetch(inner: typeof fetch, now: () => number) {
  const requests: { at: number; batchId?: string; outcome: string }[] = [];
  const wrapped = (async (input: string | URL | Request, init?: RequestInit) => {
    const entry: { at: number; batchId?: string; outcome: string } = { at: now(), outcome: 'pending' };
    try {
      const batchId = (JSON.parse(String(init?.body)) as { batchId?: unknown }).batchId;
      if (typeof batchId === 'string') entry.batchId = batchId;
    } catch {
      // Not JSON.
    }
    requests.push(entry);
    try {
      const response = await inner(input, init);
      entry.outcome = String(response.status);
      return response;
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : undefined;
      entry.outcome = `${error instanceof Error ? error.name : 'error'}${cause ? `:${(cause as { code?: string }).code ?? cause.message}` : ''}`;
      throw error;
    }
  }) as typeof fetch;
  return { fetch: wrapped, requests };
}
