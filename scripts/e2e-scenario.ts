// End-to-end scenario runner: a scenario's Maildir over IMAP, real Thunderbird clients, the real collection
// server; writes the server's daily stats for the BALF. Usage: npm run e2e:scenario -- <scenario-dir> <out.json>
// [--mv2] [--db <file.sqlite>] (also SUIVI_ADDON_FLAVOR=mv2); see test/e2e/scenarios/README.md.
// `runScenario` is the same run for a test that builds the add-on once for many scenarios.
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildPolicies, validatePolicies } from '../src/server/deploy/policies.ts';
import { startImapServer, type ImapServer } from '../test/support/imap/imap-server.ts';
import {
  buildFlavor,
  checkInstalledFlavor,
  flavorFromEnv,
  type FlavorBuild,
} from '../test/support/scenario/addon-flavor.ts';
import {
  fetchStats,
  startScenarioServer,
  type ScenarioServer,
} from '../test/support/scenario/collection-server.ts';
import { ClientWatch, foldersToSync, verdict, type Verdict } from '../test/support/scenario/settle.ts';
import { startClient, type Client } from '../test/support/thunderbird/client.ts';
import {
  acquirePolicies,
  canIsolatePolicies,
  writePrivatePolicies,
  type PoliciesHandle,
} from '../test/support/thunderbird/policies.ts';
import { requireThunderbirdAndDovecot } from '../test/support/thunderbird/system.ts';
import { dayRange, loadScenario, parseRunnerArgs, readMaildirDates } from './e2e-scenario-input.ts';

const DEFAULT_TIMEOUT_S = 900;
/** How often the runner looks at its clients' output: every check is in memory. */
const POLL_MS = 250;

export interface ScenarioOptions {
  /** The scenario directory (scenario.json, maildir/). */
  dir: string;
  /** The add-on build the clients install from the server (`buildFlavor`). */
  addon: FlavorBuild;
  /** Whole run, from the moment policies.json is ours (default SUIVI_SCENARIO_TIMEOUT or 900 s). */
  timeoutMs?: number;
  log?: (text: string) => void;
  /** Where to copy the run's SQLite database once the figures are read. */
  db?: string;
  /** Keep the work directory (Thunderbird logs, database) even on success; it is always kept on failure. */
  keepWork?: boolean;
  /** Judges the figures before the clean-up: when it throws, the run has failed and its directory stays. */
  check?: (answer: unknown) => void | Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Runs one scenario and answers the server's daily stats for its BALF over its days. */
export async function runScenario(options: ScenarioOptions): Promise<unknown> {
  const log = options.log ?? (() => undefined);
  const dir = resolve(options.dir);
  const scenario = await loadScenario(dir);
  requireThunderbirdAndDovecot();
  const dates = await readMaildirDates(join(dir, 'maildir'));
  const range = dayRange(dates, scenario.region);
  const oldest = Math.min(...dates.map((d) => d.getTime()));
  const backfillDays = Math.min(3650, Math.max(7, Math.ceil((Date.now() - oldest) / 86_400_000) + 7));
  const work = await mkdtemp(join(tmpdir(), 'suivi-scenario-'));
  await chmod(work, 0o755);
  let imap: ImapServer | undefined;
  let server: ScenarioServer | undefined;
  let policies: PoliciesHandle | undefined;
  const clients: Client[] = [];
  const watches: ClientWatch[] = [];
  let ok = false;
  try {
    imap = await startImapServer({ source: join(dir, 'maildir'), baseDir: join(work, 'imap') });
    server = await startScenarioServer(work, scenario, options.addon);
    const document = buildPolicies({
      addonId: options.addon.id,
      installUrl: `${server.url}${options.addon.route}`,
      endpoint: server.url,
      token: server.ingestToken,
      secret: server.secret,
      platform: 'linux',
      balfs: [scenario.balf],
      department: scenario.department,
      internalDomains: ['dgfip.finances.gouv.fr'],
      backfillDays,
      uploadIntervalMinutes: 1,
      logLevel: 'debug',
      ...scenario.managed,
    });
    validatePolicies(JSON.stringify(document), { addonId: options.addon.id });
    // As root, each Thunderbird reads a policies.json of its own and runs need not wait for each other;
    // otherwise they take turns on the machine-wide file, and the clock starts once it is ours.
    const policiesDir = canIsolatePolicies() ? join(work, 'policies') : undefined;
    if (policiesDir) writePrivatePolicies(policiesDir, document);
    if (!policiesDir) policies = await acquirePolicies(document);
    const deadline =
      Date.now() +
      (options.timeoutMs ?? Number(process.env['SUIVI_SCENARIO_TIMEOUT'] ?? DEFAULT_TIMEOUT_S) * 1000);
    log(
      `module ${options.addon.flavor}, serveur ${server.url}, ${scenario.clients} client(s), jours ${range.from}…${range.to}`,
    );
    // Together, as agents of one BALF are; each through its own IMAP port, which tells what it downloaded.
    for (let i = 1; i <= scenario.clients; i += 1) {
      const name = `client-${i}`;
      await mkdir(join(work, name), { recursive: true });
      const watch = new ClientWatch(name, () => clients[i - 1]!.tb.log, join(work, name, 'imap.log'));
      const port = await imap.listen(watch.events);
      clients.push(
        await startClient({
          workDir: work,
          name,
          imapPort: port,
          balf: scenario.balf,
          addons: [],
          ...(policiesDir ? { policiesDir } : {}),
        }),
      );
      watches.push(watch);
    }
    const folders = await foldersToSync(join(imap.dir, 'Maildir'));
    const query = new URLSearchParams({
      level: 'balf',
      id: scenario.balf,
      from: range.from,
      to: range.to,
      granularity: 'day',
    }).toString();
    const answer = await settle(clients, watches, folders, deadline, () =>
      fetchStats(server!.url, server!.readToken, query),
    );
    log('clients stabilisés, chiffres du serveur lus');
    for (const client of clients) await checkInstalledFlavor(client.profileDir, options.addon);
    await options.check?.(answer);
    ok = true;
    return answer;
  } finally {
    for (const client of clients) await client.tb.stop();
    for (const watch of watches) watch.close();
    policies?.restore();
    await server?.close();
    // Closed first, so the copy holds every committed write (e.g. for the dashboard test).
    if (ok && options.db) await copyFile(join(work, 'suivi-balf.sqlite'), resolve(options.db));
    await imap?.close();
    // On failure the work directory (Thunderbird logs, database) stays for diagnosis.
    if (ok && !options.keepWork) await rm(work, { recursive: true, force: true });
    else log(`dossier de travail conservé : ${work}`);
  }
}

/**
 * Waits until every client has settled (settle.ts), then reads the figures; they stand if no client
 * said anything new meanwhile. Fails at once when a client could not install the add-on.
 */
async function settle(
  clients: readonly Client[],
  watches: readonly ClientWatch[],
  folders: readonly string[],
  deadline: number,
  figures: () => Promise<unknown>,
): Promise<unknown> {
  for (;;) {
    for (const client of clients) {
      const failed = client.tb.log.grep('Policies: "Download failed')[0];
      if (failed) throw new Error(`${client.name} n'a pas pu installer le module : ${failed.trim()}`);
    }
    const verdicts = watches.map((w) => verdict(w, folders));
    if (verdicts.every((v) => v.settled)) {
      const answer = await figures();
      const unchanged = watches.every(
        (w, i) => w.log().all().length - 1 === (verdicts[i] as Verdict & { settled: true }).statusIndex,
      );
      if (unchanged) return answer;
      continue;
    }
    if (Date.now() > deadline) {
      const i = verdicts.findIndex((v) => !v.settled);
      const client = clients[i]!;
      const last = client.tb.log.latest();
      throw new Error(
        `${client.name} ne s'est jamais stabilisé (${(verdicts[i] as { why: string }).why}) — dernier état : ` +
          `${last ? JSON.stringify(last) : 'aucune ligne suivi-balf:status'} ; journal ${client.logFile}`,
      );
    }
    await sleep(POLL_MS);
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const args = parseRunnerArgs(argv, flavorFromEnv());
  const quiet = process.env['SUIVI_SCENARIO_QUIET'] === '1';
  const log = (text: string): void => {
    if (!quiet) process.stderr.write(`[e2e:scenario] ${text}\n`);
  };
  log(`construction du module (${args.flavor === 'mv2' ? 'npm run build:mv2' : 'npm run build'})`);
  const answer = await runScenario({
    dir: args.dir,
    addon: buildFlavor(args.flavor),
    log,
    ...(args.db ? { db: args.db } : {}),
    keepWork: process.env['SUIVI_SCENARIO_KEEP'] === '1',
  });
  await writeFile(resolve(args.out), `${JSON.stringify(answer, null, 2)}\n`);
}

// Run as a command (node scripts/run-ts.mjs scripts/e2e-scenario.ts …), not when a test imports it.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await main(process.argv.slice(2));
    process.exit(0);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (process.env['SUIVI_SCENARIO_DEBUG'] === '1') console.error(error);
    console.error(`e2e:scenario : ${message.split('\n')[0]}`);
    process.exit(1);
  }
}
