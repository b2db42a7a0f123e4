// A minimal stand-in for the collection server on 127.0.0.1: validates and records tally uploads.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tallyBatchSchema, type TallyBatch, type TallyRecord } from '../../../src/core/protocol.ts';

export interface ReceivedRecord extends TallyRecord {
  balf: string;
}

export interface Failure {
  status: number;
  body?: unknown;
  headers?: Readonly<Record<string, string>>;
}

export interface ReceiverRequest {
  at: number;
  method: string;
  url: string;
  status: number;
  authorization: string | undefined;
}

export interface Receiver {
  /** Base URL, e.g. `http://127.0.0.1:41234` (the add-on's `endpoint`). */
  readonly url: string;
  /** Every accepted batch, in arrival order (replays included). */
  readonly batches: TallyBatch[];
  /** Every request with the status it got. */
  readonly requests: ReceiverRequest[];
  /** Bodies refused as invalid, with the reason (a test should expect none). */
  readonly invalid: { body: string; reason: string }[];
  /** Distinct records by `balf|key` (first one kept). */
  records(): ReceivedRecord[];
  /** Answer the next `count` uploads with `failure` instead of storing them. */
  failNext(count: number, failure: Failure): void;
  /** Answer every upload with `failure` until called again with `null`. */
  failAll(failure: Failure | null): void;
  /** Resolves when `predicate(records())` holds; rejects after `timeoutMs` with `what`. */
  waitFor(predicate: (records: ReceivedRecord[]) => boolean, what: string, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  /** Expected bearer token; requests without it get 401. */
  token: string;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startReceiver(options: ReceiverOptions): Promise<Receiver> {
  const batches: TallyBatch[] = [];
  const requests: ReceiverRequest[] = [];
  const invalid: { body: string; reason: string }[] = [];
  const byKey = new Map<string, ReceivedRecord>();
  const seenBatches = new Set<string>();
  const listeners = new Set<() => void>();
  let failCount = 0;
  let nextFailure: Failure | null = null;
  let alwaysFail: Failure | null = null;
  const started = Date.now();

  const send = (
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    const body = await readBody(req);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'authorization, content-type',
        'access-control-allow-methods': 'POST',
      });
      res.end();
      return 204;
    }
    if (req.method !== 'POST' || req.url !== '/api/v1/tallies') {
      send(res, 404, { error: 'not_found' });
      return 404;
    }
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      send(res, 401, { error: 'unauthorized', message: 'jeton absent ou invalide' });
      return 401;
    }
    const failure = alwaysFail ?? (failCount > 0 ? nextFailure : null);
    if (failure) {
      if (!alwaysFail) failCount -= 1;
      send(res, failure.status, failure.body ?? { error: 'test_failure' }, { ...failure.headers });
      return failure.status;
    }
    let parsed: TallyBatch;
    try {
      const result = tallyBatchSchema.safeParse(JSON.parse(body));
      if (!result.success) throw new Error(result.error.message);
      parsed = result.data;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      invalid.push({ body, reason });
      send(res, 400, { error: 'invalid', message: reason });
      return 400;
    }
    batches.push(parsed);
    let accepted = 0;
    let duplicates = 0;
    const replay = seenBatches.has(parsed.batchId);
    seenBatches.add(parsed.batchId);
    for (const record of parsed.records) {
      const key = `${parsed.balf}|${record.k}`;
      if (byKey.has(key) || replay) duplicates += 1;
      else {
        byKey.set(key, { ...record, balf: parsed.balf });
        accepted += 1;
      }
    }
    send(res, 200, { accepted, duplicates });
    for (const listener of [...listeners]) listener();
    return 200;
  };

  const server = createServer((req, res) => {
    handle(req, res)
      .then((status) => {
        requests.push({
          at: Date.now() - started,
          method: req.method ?? '',
          url: req.url ?? '',
          status,
          authorization: req.headers.authorization,
        });
      })
      .catch((error: unknown) => {
        send(res, 500, { error: 'receiver', message: String(error) });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('écoute HTTP impossible');
  const records = (): ReceivedRecord[] => [...byKey.values()];

  return {
    url: `http://127.0.0.1:${address.port}`,
    batches,
    requests,
    invalid,
    records,
    failNext(count, failure) {
      failCount = count;
      nextFailure = failure;
    },
    failAll(failure) {
      alwaysFail = failure;
    },
    waitFor(predicate, what, timeoutMs) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (predicate(records())) {
            done();
            resolve();
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new Error(
              `Réception « ${what} » : délai de ${timeoutMs} ms dépassé ; ${byKey.size} enregistrement(s) reçus, ` +
                `${requests.length} requête(s) (${requests.map((r) => r.status).join(',')}), ` +
                `${invalid.length} invalide(s)${invalid[0] ? ` : ${invalid[0].reason}` : ''}`,
            ),
          );
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
