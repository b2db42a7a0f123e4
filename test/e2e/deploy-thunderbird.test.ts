// Deployment as a coordinator does it, in a real headless Thunderbird: the policies.json printed by
// `suivi-balf policies` force-installs the add-on from the collection server (no sideloading), the
// add-on reads its configuration from storage.managed and fills the server's database; then a new
// xpi dropped on the server reaches the client through /addon/updates.json.
import { chmod, cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageKey } from '../../src/core/keys.ts';
import { buildApp } from '../../src/server/app.ts';
import { loadConfig } from '../../src/server/config.ts';
import { openDatabase, type OpenDb } from '../../src/server/db/connect.ts';
import {
  getOrCreateDeploymentSecret,
  policiesCommand,
  validatePolicies,
} from '../../src/server/deploy/policies.ts';
import { startImapServer, type ImapServer } from '../support/imap/imap-server.ts';
import { freePort } from '../support/marionette/thunderbird-ui.ts';
import { buildMessage } from '../support/imap/messages.ts';
import { startClient, type Client } from '../support/thunderbird/client.ts';
import { installPolicies, type PoliciesHandle } from '../support/thunderbird/policies.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { buildProductXpi, REPO_ROOT, zipDirectory } from '../support/thunderbird/xpi.ts';

const BALF = 'sip.deploiement@dgfip.finances.gouv.fr';
const MESSAGE_ID = 'demande-deploiement@exemple.fr';

/** Polls `condition` every 2 s; fails naming `what` after `timeoutMs`. */
async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Attente « ${what} » : délai de ${timeoutMs} ms dépassé`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

describe('déploiement par policies.json dans un Thunderbird réel', () => {
  let work: string;
  let open: OpenDb;
  let app: FastifyInstance;
  let url: string;
  let imap: ImapServer;
  let policies: PoliciesHandle | undefined;
  let client: Client | undefined;
  let addonId: string;
  const served = (): string => join(work, 'served', 'suivi-balf.xpi');
  const requests: string[] = [];

  /** Repacks the built add-on with another version and this server's update manifest, then publishes it. */
  async function publish(version: string): Promise<void> {
    const dir = join(work, `addon-${version}`);
    await cp(join(REPO_ROOT, 'dist', 'mv3'), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    manifest.version = version;
    manifest.browser_specific_settings.gecko.update_url = `${url}/addon/updates.json`;
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const packed = join(work, `suivi-balf-${version}.xpi`);
    zipDirectory(dir, packed);
    // rename: the server never sees a half-written file.
    await rename(packed, served());
  }

  beforeAll(async () => {
    requireThunderbirdAndDovecot();
    addonId = buildProductXpi().id;
    work = await mkdtemp(join(tmpdir(), 'suivi-deploy-e2e-'));
    await chmod(work, 0o755);
    await mkdir(join(work, 'served'));

    imap = await startImapServer({ baseDir: join(work, 'imap'), folders: ['Sent'] });
    // Unseen, so both paths of the add-on can count it: the new-mail event at first sync and the scan.
    const date = new Date(Math.floor(Date.now() / 1000 - 600) * 1000);
    await imap.maildir.add(
      'INBOX',
      buildMessage({
        messageId: MESSAGE_ID,
        date,
        from: 'Usager <usager@exemple.fr>',
        to: BALF,
        subject: 'Demande',
      }),
      { state: 'new', receivedAt: date },
    );

    open = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi-balf.sqlite') });
    await open.db
      .insertInto('departments')
      .values({ code: '75', name: 'Paris', region: 'metropole' })
      .execute();
    await open.db
      .insertInto('services')
      .values({ code: '750001', name: 'SIP Paris 1er', kind: 'SIP', department_code: '75', region: null })
      .execute();
    await open.db.insertInto('balfs').values({ address: BALF, service_code: '750001' }).execute();

    process.env['SUIVI_ADDON_XPI'] = served();
    // The update manifest's links come from the configured public URL: the port is chosen first.
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = await buildApp({ db: open.db, rateLimit: false, config: { ...loadConfig(), publicUrl: url } });
    app.addHook('onResponse', async (request, reply) => {
      requests.push(`${request.method} ${request.url} ${reply.statusCode}`);
    });
    await app.listen({ host: '127.0.0.1', port });
    await publish('0.1.0');

    // Exactly what the coordinator runs, then the settings a test needs (fast uploads, status lines).
    const text = await policiesCommand({ db: open.db, department: '75', endpoint: url, xpiPath: served() });
    const document = JSON.parse(text);
    Object.assign(document.policies['3rdparty'].Extensions[addonId], {
      logLevel: 'debug',
      uploadIntervalMinutes: 1,
      backfillDays: 7,
    });
    validatePolicies(JSON.stringify(document), { addonId });
    policies = installPolicies(document);

    client = await startClient({
      workDir: work,
      imapPort: imap.port,
      balf: BALF,
      addons: [],
      prefs: {
        // Let the add-on manager look for updates within seconds instead of once a day.
        'extensions.update.enabled': true,
        'extensions.update.interval': 10,
        'app.update.timerFirstInterval': 5000,
        'app.update.timerMinimumDelay': 5,
        // The test server speaks http on loopback; production is https.
        'extensions.checkUpdateSecurity': false,
      },
    });
  });

  afterAll(async () => {
    await client?.tb.stop();
    // Keep Thunderbird's output for a post-mortem; the work directory goes away.
    await mkdir(join(REPO_ROOT, 'test-results'), { recursive: true });
    if (client)
      await cp(client.logFile, join(REPO_ROOT, 'test-results', 'deploy-thunderbird.log')).catch(
        () => undefined,
      );
    policies?.restore();
    await app?.close();
    await open?.close();
    await imap?.close();
    delete process.env['SUIVI_ADDON_XPI'];
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('installe le module depuis le serveur, lui passe sa configuration et remplit la base', async () => {
    // Nothing was sideloaded: the add-on can only come from the server's install_url.
    await until(
      () => requests.includes('GET /addon/suivi-balf.xpi 200'),
      'téléchargement du module',
      300_000,
    );
    // The message is counted and uploaded with the endpoint, token and secret of the policies.
    const key = await messageKey(await getOrCreateDeploymentSecret(open.db), MESSAGE_ID);
    let rows: { balf: string; key: string; dir: string; cat: string }[] = [];
    await until(
      async () => {
        rows = await open.db.selectFrom('records').select(['balf', 'key', 'dir', 'cat']).execute();
        return rows.length > 0;
      },
      'comptage reçu par le serveur',
      360_000,
    );
    expect(rows).toEqual([{ balf: BALF, key, dir: 'in', cat: 'usager' }]);
    // The batch came with the department token that `policies` created.
    const batch = await open.db
      .selectFrom('batches')
      .innerJoin('tokens', 'tokens.id', 'batches.token_id')
      .select(['tokens.scope', 'tokens.label'])
      .executeTakeFirst();
    expect(batch).toEqual({ scope: 'department:75', label: 'policies.json 75 (linux)' });
  });

  it('passe à la version suivante publiée sur le serveur, sans toucher au poste', async () => {
    await publish('0.1.1');
    const extensionsJson = join(client!.profileDir, 'extensions.json');
    const deadline = Date.now() + 240_000;
    let version: string | undefined;
    while (Date.now() < deadline) {
      const db = JSON.parse(await readFile(extensionsJson, 'utf8').catch(() => '{"addons":[]}')) as {
        addons: { id: string; version: string; active: boolean }[];
      };
      const addon = db.addons.find((a) => a.id === addonId);
      version = addon?.version;
      if (version === '0.1.1' && addon?.active) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    expect(version, `requêtes vues : ${requests.join(', ')}`).toBe('0.1.1');
    expect(requests.some((r) => r.startsWith('GET /addon/updates.json 200'))).toBe(true);
    expect(requests).toContain('GET /addon/suivi-balf.xpi?v=0.1.1 200');
  });
});
