// End-to-end scenario runner: a scenario's Maildir over IMAP, real Thunderbird clients, the real collection
// server; writes the server's daily stats for the BALF. Usage: npm run e2e:scenario -- <scenario-dir> <out.json>
// [--mv2] [--db <file.sqlite>] (also SUIVI_ADDON_FLAVOR=mv2); see test/e2e/scenarios/README.md.
import { chmod, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildApp } from '../src/server/app.ts';
import { createToken } from '../src/server/auth/tokens.ts';
import { openDatabase, type OpenDb } from '../src/server/db/connect.ts';
import {
  buildPolicies,
  getOrCreateDeploymentSecret,
  validatePolicies,
} from '../src/server/deploy/policies.ts';
import {
  buildFlavor,
  checkInstalledFlavor,
  flavorFromEnv,
  type FlavorBuild,
} from '../test/support/scenario/addon-flavor.ts';
import { startImapServer, type ImapServer } from '../test/support/imap/imap-server.ts';
import { startClient, type Client } from '../test/support/thunderbird/client.ts';
import type { AddonStatus } from '../test/support/thunderbird/console-log.ts';
import { acquirePolicies, type PoliciesHandle } from '../test/support/thunderbird/policies.ts';
import { requireThunderbirdAndDovecot } from '../test/support/thunderbird/system.ts';
import {
  dayRange,
  loadScenario,
  parseRunnerArgs,
  readMaildirDates,
  type RunnerArgs,
  type Scenario,
} from './e2e-scenario-input.ts';

const DEFAULT_TIMEOUT_S = 900;
/** The server's figures must stay identical this long (seconds) to count as settled. */
const DEFAULT_SETTLE_S = 30;
/** The add-on's folders-check alarm (1 min) + walk + upload debounce (10 s), with a margin. */
const FOLDERS_CHECK_S = 90;
const POLL_MS = 3000;

interface Run {
  work: string;
  imap?: ImapServer;
  open?: OpenDb;
  app?: Awaited<ReturnType<typeof buildApp>>;
  policies?: PoliciesHandle;
  clients: Client[];
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

function log(text: string): void {
  if (process.env['SUIVI_SCENARIO_QUIET'] !== '1') process.stderr.write(`[e2e:scenario] ${text}\n`);
}

/** A client is idle once it has walked the whole BALF, classified each received message with its headers, and uploaded everything. */
function idle(status: AddonStatus): boolean {
  return (
    status.scanComplete &&
    !status.scanning &&
    status.unrefined === 0 &&
    status.queue === 0 &&
    status.lastUpload !== 'error'
  );
}

async function startServer(run: Run, scenario: Scenario, addon: FlavorBuild): Promise<string> {
  run.open = await openDatabase({ kind: 'sqlite', file: join(run.work, 'suivi-balf.sqlite') });
  const db = run.open.db;
  await db
    .insertInto('departments')
    .values({
      code: scenario.department,
      name: `Département ${scenario.department}`,
      region: scenario.region,
    })
    .execute();
  const service = `${scenario.department}0001`;
  await db
    .insertInto('services')
    .values({
      code: service,
      name: `Service du scénario (${scenario.department})`,
      kind: 'SIP',
      department_code: scenario.department,
      region: null,
    })
    .execute();
  await db.insertInto('balfs').values({ address: scenario.balf, service_code: service }).execute();
  // A private copy: another checkout user rebuilding dist/ must not make the download fail half-way.
  // Each build under the name the server hosts it by (the MV2 one at /addon/suivi-balf-mv2.xpi).
  await copyFile(addon.xpi, join(run.work, addon.fileName));
  process.env['SUIVI_ADDON_XPI'] = join(run.work, 'suivi-balf.xpi');
  process.env['SUIVI_ADDON_XPI_MV2'] = join(run.work, 'suivi-balf-mv2.xpi');
  run.app = await buildApp({ db, rateLimit: false });
  await run.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(run.app.server.address() as AddressInfo).port}`;
}

async function fetchStats(url: string, token: string, query: string): Promise<unknown> {
  const response = await fetch(`${url}/api/v1/stats?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET /api/v1/stats a répondu ${response.status} : ${body.slice(0, 300)}`);
  return JSON.parse(body) as unknown;
}

/** Rejects as soon as a client's log says the force-install download failed (it is not retried). */
async function watchInstall(run: Run, stop: { done: boolean }): Promise<void> {
  while (!stop.done) {
    for (const client of run.clients) {
      const failed = client.tb.log.grep('Policies: "Download failed')[0];
      if (failed) throw new Error(`${client.name} n'a pas pu installer le module : ${failed.trim()}`);
    }
    await sleep(1000);
  }
}

async function waitClients(run: Run, deadline: number): Promise<void> {
  const stop = { done: false };
  try {
    await Promise.race([idleClients(run, deadline), watchInstall(run, stop)]);
  } finally {
    stop.done = true;
  }
}

/** Resolves when the LATEST status of every client says idle; names the first one that never did. */
async function idleClients(run: Run, deadline: number): Promise<void> {
  for (;;) {
    const busy = run.clients.find((c) => {
      const last = c.tb.log.latest();
      return !last || !idle(last);
    });
    if (!busy) return;
    if (Date.now() > deadline) {
      const last = busy.tb.log.latest();
      throw new Error(
        `${busy.name} ne s'est jamais stabilisé (scanComplete et file vide) — dernier état : ` +
          `${last ? JSON.stringify(last) : 'aucune ligne suivi-balf:status'} ; journal ${busy.logFile}`,
      );
    }
    await sleep(1000);
  }
}

/** Folders Thunderbird leaves alone until a user opens them (notes/thunderbird-e2e.md). */
const NOT_SYNCED_BY_THUNDERBIRD = /^\.(trash|junk)$/i;

/**
 * Folders of the served Maildir whose messages Dovecot has not all indexed yet, i.e. no client has
 * opened them since they were filled: a client that says it is done has not seen them.
 */
async function unopenedFolders(root: string): Promise<string[]> {
  const folders = [
    '',
    ...(await readdir(root)).filter((n) => n.startsWith('.') && !NOT_SYNCED_BY_THUNDERBIRD.test(n)),
  ];
  const unopened: string[] = [];
  for (const folder of folders) {
    let files = 0;
    for (const sub of ['cur', 'new']) {
      files += (await readdir(join(root, folder, sub)).catch(() => [] as string[])).filter(
        (n) => !n.startsWith('.'),
      ).length;
    }
    if (files === 0) continue;
    const uidlist = await readFile(join(root, folder, 'dovecot-uidlist'), 'utf8').catch(() => '');
    const indexed = uidlist
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '').length;
    if (indexed < files) unopened.push(folder === '' ? 'INBOX' : folder.slice(1));
  }
  return unopened;
}

async function waitFoldersOpened(root: string, deadline: number): Promise<void> {
  for (;;) {
    const unopened = await unopenedFolders(root);
    if (unopened.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`Thunderbird n'a jamais ouvert le(s) dossier(s) IMAP ${unopened.join(', ')}`);
    }
    await sleep(POLL_MS);
  }
}

async function waitStable(
  fetchOnce: () => Promise<unknown>,
  settleMs: number,
  deadline: number,
): Promise<unknown> {
  let last = '';
  let since = Date.now();
  for (;;) {
    const answer = await fetchOnce();
    const text = JSON.stringify(answer);
    if (text !== last) {
      if (last !== '') log(`les chiffres du serveur ont changé (${new Date().toISOString()})`);
      last = text;
      since = Date.now();
    }
    if (Date.now() - since >= settleMs) return answer;
    if (Date.now() > deadline) {
      throw new Error('les chiffres du serveur (GET /api/v1/stats) changent encore à la fin du délai');
    }
    await sleep(POLL_MS);
  }
}

async function main(args: RunnerArgs): Promise<void> {
  const dir = resolve(args.dir);
  const out = resolve(args.out);
  const scenario = await loadScenario(dir);
  const timeoutS = Number(process.env['SUIVI_SCENARIO_TIMEOUT'] ?? DEFAULT_TIMEOUT_S);
  requireThunderbirdAndDovecot();

  const dates = await readMaildirDates(join(dir, 'maildir'));
  const range = dayRange(dates, scenario.region);
  const oldest = Math.min(...dates.map((d) => d.getTime()));
  const backfillDays = Math.min(3650, Math.max(7, Math.ceil((Date.now() - oldest) / 86_400_000) + 7));

  log(`construction du module (${args.flavor === 'mv2' ? 'npm run build:mv2' : 'npm run build'})`);
  const addon = buildFlavor(args.flavor);
  const run: Run = { work: await mkdtemp(join(tmpdir(), 'suivi-scenario-')), clients: [] };
  await chmod(run.work, 0o755);
  let ok = false;
  try {
    run.imap = await startImapServer({ source: join(dir, 'maildir'), baseDir: join(run.work, 'imap') });
    const url = await startServer(run, scenario, addon);
    const db = run.open!.db;
    const ingest = await createToken(db, {
      scope: `department:${scenario.department}`,
      canWrite: true,
      label: 'scénario',
    });
    const read = await createToken(db, { scope: 'national', canWrite: false, label: 'scénario (lecture)' });
    const document = buildPolicies({
      addonId: addon.id,
      installUrl: `${url}${addon.route}`,
      endpoint: url,
      token: ingest.token,
      secret: await getOrCreateDeploymentSecret(db),
      platform: 'linux',
      balfs: [scenario.balf],
      department: scenario.department,
      internalDomains: ['dgfip.finances.gouv.fr'],
      backfillDays,
      uploadIntervalMinutes: 1,
      logLevel: 'debug',
      ...scenario.managed,
    });
    validatePolicies(JSON.stringify(document), { addonId: addon.id });
    // Other real-Thunderbird runs on this machine take turns on policies.json: the clock starts after.
    run.policies = await acquirePolicies(document);
    const deadline = Date.now() + timeoutS * 1000;
    log(
      `module ${args.flavor}, serveur ${url}, IMAP 127.0.0.1:${run.imap.port}, ${scenario.clients} client(s), jours ${range.from}…${range.to}`,
    );

    // Together, as agents of one BALF are; a short stagger spreads Thunderbird's start-up over 2 cores.
    for (let i = 1; i <= scenario.clients; i += 1) {
      run.clients.push(
        await startClient({
          workDir: run.work,
          name: `client-${i}`,
          imapPort: run.imap.port,
          balf: scenario.balf,
          addons: [],
        }),
      );
      if (i < scenario.clients) await sleep(5000);
    }
    await waitFoldersOpened(join(run.imap.dir, 'Maildir'), deadline);
    const linesAtOpen = run.clients.map((c) => c.tb.log.all().length);
    const query = new URLSearchParams({
      level: 'balf',
      id: scenario.balf,
      from: range.from,
      to: range.to,
      granularity: 'day',
    }).toString();
    const settleS = Number(process.env['SUIVI_SCENARIO_SETTLE'] ?? DEFAULT_SETTLE_S);
    let answer: unknown;
    for (;;) {
      await waitClients(run, deadline);
      // A client whose last word predates the sync of the last folder may only notice it at its next
      // folders check (every minute): then the figures must hold still for longer than that.
      const quietSinceSync = run.clients.some((c, i) => c.tb.log.all().length <= linesAtOpen[i]!);
      log('clients stabilisés ; attente de chiffres stables côté serveur');
      const settleMs = (quietSinceSync ? Math.max(settleS, FOLDERS_CHECK_S) : settleS) * 1000;
      answer = await waitStable(() => fetchStats(url, read.token, query), settleMs, deadline);
      // A client that queued something meanwhile (e.g. replies held until its account settled): go again.
      if (run.clients.every((c) => idle(c.tb.log.latest()!))) break;
      log('un client a encore des envois en file ; nouvelle attente');
    }
    for (const client of run.clients) await checkInstalledFlavor(client.profileDir, addon);
    await writeFile(out, `${JSON.stringify(answer, null, 2)}\n`);
    ok = true;
  } finally {
    for (const client of run.clients) await client.tb.stop();
    run.policies?.restore();
    await run.app?.close();
    await run.open?.close();
    // Closed first, so the copy holds every committed write (e.g. for the dashboard test).
    if (ok && args.db) await copyFile(join(run.work, 'suivi-balf.sqlite'), resolve(args.db));
    await run.imap?.close();
    // On failure the work directory (Thunderbird logs, database) stays for diagnosis.
    if (ok && process.env['SUIVI_SCENARIO_KEEP'] !== '1')
      await rm(run.work, { recursive: true, force: true });
    else log(`dossier de travail conservé : ${run.work}`);
  }
}

try {
  await main(parseRunnerArgs(process.argv.slice(2), flavorFromEnv()));
  process.exit(0);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (process.env['SUIVI_SCENARIO_DEBUG'] === '1') console.error(error);
  console.error(`e2e:scenario : ${message.split('\n')[0]}`);
  process.exit(1);
}
