// Real Thunderbird on the `reponses-et-references` scenario when things go wrong: the collection server is down
// at first, or Thunderbird is killed while an upload is in flight. The figures must end exactly as expected.json.
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { getOrCreateDeploymentSecret, LOCKED_PREFERENCES } from '../../src/server/deploy/policies.ts';
import { startImapServer, type ImapServer } from '../support/imap/imap-server.ts';
import { restartClient, startClient, type Client } from '../support/thunderbird/client.ts';
import { acquirePolicies, managedPolicies, type PoliciesHandle } from '../support/thunderbird/policies.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { buildProductXpi, REPO_ROOT } from '../support/thunderbird/xpi.ts';
import { subsetDifferences } from './scenarios/match.ts';

const SCENARIO = join(REPO_ROOT, 'test', 'e2e', 'scenarios', 'reponses-et-references');
const BALF = 'sip.scenario@dgfip.finances.gouv.fr';
const QUERY = `level=balf&id=${encodeURIComponent(BALF)}&from=2025-03-01&to=2025-03-16&granularity=day`;
const expected = JSON.parse(readFileSync(join(SCENARIO, 'expected.json'), 'utf8')) as unknown;
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A loopback port nobody listens on (yet). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise((done) => server.close(done));
  return port;
}

interface Setup {
  work: string;
  open: OpenDb;
  imap: ImapServer;
  port: number;
  ingest: string;
  read: string;
  app?: FastifyInstance;
  policies?: PoliciesHandle;
  client?: Client;
  /** POST /api/v1/tallies answered so far (status codes). */
  uploads: number[];
  /** When set, each upload waits for this before being handled. */
  gate?: Promise<void> | undefined;
  onUpload?: () => void;
}

let setup: Setup | undefined;

async function prepare(): Promise<Setup> {
  requireThunderbirdAndDovecot();
  const work = await mkdtemp(join(tmpdir(), 'suivi-resilience-'));
  await chmod(work, 0o755);
  const imap = await startImapServer({ source: join(SCENARIO, 'maildir'), baseDir: join(work, 'imap') });
  const open = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi-balf.sqlite') });
  await open.db
    .insertInto('departments')
    .values({ code: '75', name: 'Paris', region: 'metropole' })
    .execute();
  await open.db
    .insertInto('services')
    .values({ code: '750001', name: 'SIP Paris', kind: 'SIP', department_code: '75', region: null })
    .execute();
  await open.db.insertInto('balfs').values({ address: BALF, service_code: '750001' }).execute();
  const ingest = (await createToken(open.db, { scope: 'department:75', canWrite: true })).token;
  const read = (await createToken(open.db, { scope: 'national', canWrite: false })).token;
  setup = { work, open, imap, port: await freePort(), ingest, read, uploads: [] };
  return setup;
}

async function startServer(s: Setup): Promise<void> {
  s.app = await buildApp({ db: s.open.db, rateLimit: false });
  s.app.addHook('preHandler', async (request) => {
    if (request.method === 'POST' && request.url === '/api/v1/tallies') {
      s.onUpload?.();
      if (s.gate) await s.gate;
    }
  });
  s.app.addHook('onResponse', async (request, reply) => {
    if (request.method === 'POST' && request.url === '/api/v1/tallies') s.uploads.push(reply.statusCode);
  });
  await s.app.listen({ host: '127.0.0.1', port: s.port });
}

async function startThunderbird(s: Setup): Promise<Client> {
  // Sideloaded, not force-installed: the install URL would be on the server this test takes down.
  const { id, xpi } = buildProductXpi();
  s.policies = await acquirePolicies(
    managedPolicies(
      id,
      {
        endpoint: `http://127.0.0.1:${s.port}`,
        token: s.ingest,
        secret: await getOrCreateDeploymentSecret(s.open.db),
        balfs: [BALF],
        department: '75',
        internalDomains: ['dgfip.finances.gouv.fr'],
        backfillDays: 3650,
        uploadIntervalMinutes: 1,
        logLevel: 'debug',
      },
      LOCKED_PREFERENCES,
    ),
  );
  s.client = await startClient({ workDir: s.work, imapPort: s.imap.port, balf: BALF, addons: [{ id, xpi }] });
  return s.client;
}

async function stats(s: Setup): Promise<unknown> {
  const response = await fetch(`http://127.0.0.1:${s.port}/api/v1/stats?${QUERY}`, {
    headers: { authorization: `Bearer ${s.read}` },
  });
  expect(response.status).toBe(200);
  return response.json();
}

/** Waits until the server's figures match expected.json, then checks they stay so for 20 s. */
async function expectFiguresSettle(s: Setup, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let differences: string[] = [];
  while (Date.now() < deadline) {
    differences = subsetDifferences(await stats(s), expected);
    if (differences.length === 0) break;
    await sleep(3000);
  }
  expect(differences).toEqual([]);
  await sleep(20_000);
  expect(subsetDifferences(await stats(s), expected)).toEqual([]);
}

afterEach(async () => {
  const s = setup;
  setup = undefined;
  if (!s) return;
  await s.client?.tb.stop();
  s.policies?.restore();
  await s.app?.close();
  await s.open.close();
  await s.imap.close();
  await rm(s.work, { recursive: true, force: true });
});

describe('reprise après incident, dans un Thunderbird réel', () => {
  it('serveur de collecte arrêté puis revenu : la file se vide et les chiffres sont exacts', async () => {
    const s = await prepare();
    const client = await startThunderbird(s);
    // Nothing listens yet: the add-on counts, fails to upload and keeps its queue.
    const failed = await client.tb.log.waitFor((st) => st.lastUpload === 'error' && st.queue > 0, {
      what: "échec d'envoi pendant que le serveur est arrêté",
      timeoutMs: 180_000,
    });
    expect(failed.ledger).toBeGreaterThan(0);
    await startServer(s);
    await client.tb.log.waitFor((st) => st.lastUpload === 'ok' && st.queue === 0 && st.scanComplete, {
      what: 'file vidée après le retour du serveur',
      timeoutMs: 420_000,
    });
    await expectFiguresSettle(s, 120_000);
  });

  it('Thunderbird tué pendant un envoi puis relancé : rien de perdu, rien compté deux fois', async () => {
    const s = await prepare();
    let release = (): void => undefined;
    s.gate = new Promise<void>((done) => (release = done));
    let inFlight = (): void => undefined;
    const uploadStarted = new Promise<void>((done) => (inFlight = done));
    s.onUpload = () => inFlight();
    await startServer(s);
    let client = await startThunderbird(s);
    // The first upload reaches the server and is held there; Thunderbird dies before any answer.
    await uploadStarted;
    await client.tb.stop(0);
    // The server then stores the batch (the client never learns it): the replay must be recognised.
    s.gate = undefined;
    release();
    // Fastify runs the handler of a request whose client has gone (no onResponse then): the batch
    // is stored although nobody hears the answer. Read it from the database.
    const storedBatches = async () =>
      Number(
        (
          await s.open.db
            .selectFrom('batches')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    for (let i = 0; i < 50 && (await storedBatches()) === 0; i += 1) await sleep(200);
    expect(await storedBatches()).toBeGreaterThanOrEqual(1);
    client = await restartClient(client);
    s.client = client;
    await client.tb.log.waitFor((st) => st.lastUpload === 'ok' && st.queue === 0 && st.scanComplete, {
      what: 'file vidée après la relance',
      timeoutMs: 420_000,
    });
    await expectFiguresSettle(s, 120_000);
    const stored = await s.open.db
      .selectFrom('records')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(13);
  });
});
