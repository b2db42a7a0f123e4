// The storage watch end to end: a real Thunderbird on a Dovecot BALF with its quota plugin, the built add-on
// reporting the quota, the real collection server answering /api/v1/storage with Dovecot's own figures as mail
// comes and goes; on a server without the QUOTA capability, « quota inconnu » (never 0 %).
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { storagePercent } from '../../src/core/storage.ts';
import type { StorageBalf, StorageView } from '../../src/core/storage-protocol.ts';
import { buildApp } from '../../src/server/app.ts';
import { createToken } from '../../src/server/auth/tokens.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import { getOrCreateDeploymentSecret } from '../../src/server/deploy/policies.ts';
import { applyDirectory } from '../../src/server/directory/import.ts';
import { appendMessage, expungeMessage, storageQuota } from '../support/imap/imap-client.ts';
import { startImapServer, type ImapServer } from '../support/imap/imap-server.ts';
import { buildMessage } from '../support/imap/messages.ts';
import { freePort } from '../support/marionette/thunderbird-ui.ts';
import { startClient, type Client } from '../support/thunderbird/client.ts';
import { acquirePolicies, managedPolicies, type PoliciesHandle } from '../support/thunderbird/policies.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { buildProductXpi } from '../support/thunderbird/xpi.ts';

const BALF = 'sip.stockage@dgfip.finances.gouv.fr';
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** A message of about `kib` KiB (a plain text body of 78-byte lines). */
function message(id: string, kib: number): string {
  return buildMessage({
    messageId: id,
    date: new Date(),
    from: 'Usager <usager@exemple.fr>',
    to: BALF,
    subject: `Pièces jointes ${id}`,
    body: `${'x'.repeat(76)}\n`.repeat(Math.ceil((kib * 1024) / 78)),
  });
}

interface Setup {
  work: string;
  open: OpenDb;
  imap: ImapServer;
  app: FastifyInstance;
  url: string;
  read: string;
  policies?: PoliciesHandle;
  client?: Client;
}

let setup: Setup | undefined;

/** Dovecot (with or without a quota), the collection server with the BALF in its directory, Thunderbird. */
async function start(
  quotaStorage: string | undefined,
  seed: (port: number) => Promise<void>,
): Promise<Setup> {
  requireThunderbirdAndDovecot();
  const work = await mkdtemp(join(tmpdir(), 'suivi-storage-e2e-'));
  await chmod(work, 0o755);
  const imap = await startImapServer({
    baseDir: join(work, 'imap'),
    folders: ['Sent'],
    ...(quotaStorage ? { quotaStorage } : {}),
  });
  const open = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi-balf.sqlite') });
  // The directory as a coordinator's CSV import writes it.
  await applyDirectory(open.db, {
    departments: [{ code: '75', name: 'Paris', region: 'metropole' }],
    services: [{ code: '750001', name: 'SIP Paris', kind: 'SIP', departmentCode: '75', region: null }],
    balfs: [{ address: BALF, serviceCode: '750001' }],
  });
  const ingest = (await createToken(open.db, { scope: 'department:75', canWrite: true })).token;
  const read = (await createToken(open.db, { scope: 'national', canWrite: false })).token;
  const app = await buildApp({ db: open.db, rateLimit: false });
  const port = await freePort();
  await app.listen({ host: '127.0.0.1', port });
  const s: Setup = { work, open, imap, app, url: `http://127.0.0.1:${port}`, read };
  setup = s;
  await seed(imap.port);
  const { id, xpi } = buildProductXpi();
  s.policies = await acquirePolicies(
    managedPolicies(id, {
      endpoint: s.url,
      token: ingest,
      secret: await getOrCreateDeploymentSecret(open.db),
      balfs: [BALF],
      department: '75',
      internalDomains: ['dgfip.finances.gouv.fr'],
      uploadIntervalMinutes: 1,
      logLevel: 'debug',
    }),
    { waitMs: 15 * 60_000 },
  );
  s.client = await startClient({ workDir: work, imapPort: imap.port, balf: BALF, addons: [{ id, xpi }] });
  return s;
}

afterEach(async () => {
  const s = setup;
  setup = undefined;
  // Thunderbird first (it holds policies.json and talks to both servers), then the servers, then the files.
  if (s === undefined) return;
  const steps = [
    async () => s.client?.tb.stop(),
    async () => s.policies?.restore(),
    async () => s.app.close(),
    async () => s.open.close(),
    async () => s.imap.close(),
  ];
  for (const step of steps) await step();
  // SUIVI_E2E_KEEP=1 keeps the profile, Maildir and Thunderbird's log for a post-mortem.
  if (process.env['SUIVI_E2E_KEEP'] !== '1') await rm(s.work, { recursive: true, force: true });
});

async function storageOf(s: Setup): Promise<StorageView> {
  const response = await fetch(`${s.url}/api/v1/storage?level=balf&id=${encodeURIComponent(BALF)}`, {
    headers: { authorization: `Bearer ${s.read}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as StorageView;
}

/**
 * How long a figure may take to reach the server: the add-on reads the quota a few seconds after a folder
 * event and at every upload round (each minute here), and Thunderbird answers late beside a busy neighbour.
 */
const SHOW_MS = 6 * 60_000;

/** Waits until the server's figure for the BALF is `want` (a subset), or says what it had. */
async function serverShows(s: Setup, want: Partial<StorageBalf>, what: string): Promise<StorageView> {
  const deadline = Date.now() + SHOW_MS;
  let last: StorageView | undefined;
  while (Date.now() < deadline) {
    last = await storageOf(s);
    const balf = last.balfs?.[0];
    if (balf && Object.entries(want).every(([k, v]) => balf[k as keyof StorageBalf] === v)) return last;
    await sleep(3000);
  }
  throw new Error(
    `${what} : le serveur ne l'a pas montré en ${SHOW_MS / 60_000} minutes.\nAttendu : ${JSON.stringify(want)}\n` +
      `Dernière réponse : ${JSON.stringify(last?.balfs?.[0])}\nJournal : ${s.client?.logFile}`,
  );
}

/** The figures the server must show, from Dovecot's own GETQUOTAROOT (KiB). */
async function dovecotFigures(port: number): Promise<Partial<StorageBalf>> {
  const q = await storageQuota(port);
  if (!q) throw new Error('Dovecot ne répond pas GETQUOTAROOT');
  const usedBytes = q.usedKiB * 1024;
  const limitBytes = q.limitKiB * 1024;
  return { usedBytes, limitBytes, percent: storagePercent(usedBytes, limitBytes), unknown: null };
}

describe('veille du stockage, dans un Thunderbird réel', () => {
  it("remonte l'occupation du quota IMAP, dans les deux sens quand le courrier arrive puis part", async () => {
    const s = await start('10M', async (port) => {
      await appendMessage(port, 'INBOX', message('ancien-1@exemple.fr', 1200));
      await appendMessage(port, 'INBOX', message('ancien-2@exemple.fr', 300));
    });
    const first = await dovecotFigures(s.imap.port);
    expect(first.limitBytes).toBe(10 * 1024 * 1024);
    const view = await serverShows(s, first, 'occupation au démarrage');
    expect(view.above80).toBe(0);
    expect(view.unknown).toBe(0);
    expect(view.balfs?.[0]?.sampledAt).not.toBeNull();

    // A big message arrives while Thunderbird runs (IDLE): the figure goes up...
    await appendMessage(s.imap.port, 'INBOX', message('gros@exemple.fr', 7000));
    const up = await dovecotFigures(s.imap.port);
    expect(up.percent!).toBeGreaterThanOrEqual(80);
    const full = await serverShows(s, up, 'occupation après un gros message');
    expect(full.above80).toBe(1);

    // ...and down when it is deleted.
    await expungeMessage(s.imap.port, 'INBOX', 'gros@exemple.fr');
    const down = await dovecotFigures(s.imap.port);
    expect(down.usedBytes).toBe(first.usedBytes);
    const after = await serverShows(s, down, 'occupation après suppression');
    expect(after.above80).toBe(0);
  }, 1_500_000);

  it('dit « quota inconnu » pour un serveur IMAP sans QUOTA, jamais 0 %', async () => {
    const s = await start(undefined, async (port) => {
      await appendMessage(port, 'INBOX', message('sans-quota@exemple.fr', 50));
    });
    expect(await storageQuota(s.imap.port)).toBeNull();
    const view = await serverShows(
      s,
      { unknown: 'not_given', percent: null, usedBytes: null, limitBytes: null },
      'quota inconnu',
    );
    expect(view.unknown).toBe(1);
    expect(view.above80).toBe(0);
    // Thunderbird has synced the BALF (its mail is counted) and still gives no quota.
    await s.client!.tb.log.waitFor((st) => st.scanComplete && st.queue === 0, {
      what: 'parcours terminé',
      timeoutMs: 180_000,
    });
    await sleep(70_000);
    expect((await storageOf(s)).balfs?.[0]).toMatchObject({ unknown: 'not_given', percent: null });
  }, 900_000);
});
