// Benchmark of the add-on in a real Thunderbird: first back-fill of a large IMAP BALF against the floor (a bare
// query + continueList walk in the same run) — first figures, then every received message classified with its
// headers — memory, and handling time of one new message; checks its answers. Prints JSON.
// `npm run bench:addon [-- --messages 50000] [--keep] [--cold] [--profile FILE]`
// By default run 1 also waits for Thunderbird's offline copies of the messages (IMAP accounts keep them by
// default: a workstation that has had the BALF open for a while); `--cold` starts the back-fill without them.
// `--profile FILE` runs Thunderbird's own (Gecko) profiler from the start of run 2 and writes its profile to FILE
// once the back-fill has counted every message (open it in profiler.firefox.com).
import { createServer } from 'node:http';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { categoryWins } from '../src/core/classify.ts';
import { messageKey } from '../src/core/keys.ts';
import type { TallyRecord } from '../src/core/protocol.ts';
import { generateBalf } from '../test/support/imap/generate.ts';
import { startImapServer } from '../test/support/imap/imap-server.ts';
import { buildMessage } from '../test/support/imap/messages.ts';
import {
  BENCH_EXTENSION_ID,
  BENCH_MARKERS,
  benchBackground,
  type BenchCommand,
} from '../test/support/thunderbird/bench-extension.ts';
import {
  STATUS_MARKER,
  unquoteConsoleLine,
  type AddonStatus,
} from '../test/support/thunderbird/console-log.ts';
import { SAMPLING_MARKER, type DrawTiming } from '../src/extension/sampling/trace.ts';
import { launchThunderbird, type ThunderbirdProcess } from '../test/support/thunderbird/launcher.ts';
import { freePort, quitLikeAUser, withMarionetteEnv } from '../test/support/marionette/thunderbird-ui.ts';
import { Marionette } from '../test/support/marionette/marionette.ts';
import { acquirePolicies, managedPolicies } from '../test/support/thunderbird/policies.ts';
import { buildProfile } from '../test/support/thunderbird/profile.ts';
import { startReceiver } from '../test/support/thunderbird/receiver.ts';
import { requireThunderbirdAndDovecot } from '../test/support/thunderbird/system.ts';
import { buildProductXpi, packTestExtension } from '../test/support/thunderbird/xpi.ts';

const BALF = 'sip.bench@dgfip.finances.gouv.fr';
const TOKEN = 'jeton-bench';
const SECRET = 'secret-de-deploiement-bench';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const total = Number(arg('--messages') ?? 50_000);
const keep = process.argv.includes('--keep');
const cold = process.argv.includes('--cold');
const profileFile = arg('--profile');
if (!Number.isInteger(total) || total < 10) throw new Error('--messages attend un entier ≥ 10');
const receivedCount = Math.round(total * 0.8);
/** Every 10th received message is automatic by its headers alone (ordinary author and subject). */
const AUTOMATIC_EVERY = 10;
const sentCount = total - receivedCount;
const log = (text: string): void => {
  process.stderr.write(`[bench:addon ${new Date().toISOString().slice(11, 19)}] ${text}\n`);
};

/** Bytes and messages of each folder of a Maildir++ tree (`cur/` and `new/`), by Thunderbird's folder name. */
async function maildirFolders(root: string): Promise<Map<string, { bytes: number; messages: number }>> {
  const out = new Map<string, { bytes: number; messages: number }>();
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    const m = /(?:^|[/\\])(?:\.([^/\\]+)[/\\])?(cur|new)$/.exec(entry.parentPath.slice(root.length));
    if (!entry.isFile() || !m) continue;
    // Maildir++: the root is INBOX, `.Sent` is Sent.
    const folder = m[1] ?? 'INBOX';
    const size = (await stat(join(entry.parentPath, entry.name))).size;
    const seen = out.get(folder) ?? { bytes: 0, messages: 0 };
    out.set(folder, { bytes: seen.bytes + size, messages: seen.messages + 1 });
  }
  return out;
}

/**
 * Waits until Thunderbird's offline store of the account (`ImapMail/<host>/<folder>`, mbox files next to the
 * `.msf` summaries) holds every message of each served Maildir folder — distinct `Message-ID` lines of the mbox
 * (a byte threshold let a Sent store 18 % short pass at 50,000 messages) — or stops growing for a minute.
 */
async function waitOfflineStore(
  profileDir: string,
  maildir: ReadonlyMap<string, { bytes: number; messages: number }>,
  timeoutMs: number,
): Promise<{
  ms: number;
  bytes: Record<string, number>;
  messages: Record<string, number>;
  complete: boolean;
}> {
  const started = Date.now();
  const storeState = async (): Promise<{
    bytes: Record<string, number>;
    messages: Record<string, number>;
  }> => {
    const bytes: Record<string, number> = {};
    const messages: Record<string, number> = {};
    const root = join(profileDir, 'ImapMail');
    for (const host of await readdir(root, { withFileTypes: true }).catch(() => [])) {
      if (!host.isDirectory()) continue;
      for (const folder of maildir.keys()) {
        const text = await readFile(join(root, host.name, folder), 'latin1').catch(() => '');
        bytes[folder] = (bytes[folder] ?? 0) + text.length;
        // Distinct ids: Thunderbird appends a second copy of a message it downloads again.
        messages[folder] = (messages[folder] ?? 0) + new Set(text.match(/^Message-ID:.*$/gim)).size;
      }
    }
    return { bytes, messages };
  };
  let last = '';
  let lastChange = Date.now();
  for (;;) {
    const state = await storeState();
    if ([...maildir].every(([folder, served]) => (state.messages[folder] ?? 0) >= served.messages)) {
      return { ms: Date.now() - started, ...state, complete: true };
    }
    const signature = JSON.stringify(state);
    if (signature !== last) {
      last = signature;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > 60_000 || Date.now() - started > timeoutMs) {
      return { ms: Date.now() - started, ...state, complete: false };
    }
    await new Promise((done) => setTimeout(done, 2000));
  }
}

/** Thunderbird's memory (process tree RSS) sampled every second until `stop`; `peak()` is the highest so far. */
function rssSampler(tb: ThunderbirdProcess): { peak: () => number; stop: () => void } {
  let peak = 0;
  const sample = () => void tb.memory().then((rss) => (peak = Math.max(peak, rss)));
  sample();
  const timer = setInterval(sample, 1000);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

/** Bytes of the extensions' IndexedDB databases in a Thunderbird profile: the add-on's ledger (~26 MB at 25,000 rows), the rest is kB. */
async function extensionDatabasesSize(profileDir: string): Promise<number> {
  const root = join(profileDir, 'storage', 'default');
  let total = 0;
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (
      !entry.isFile() ||
      !/moz-extension/.test(entry.parentPath) ||
      !/[\\/]idb([\\/]|$)/.test(entry.parentPath)
    )
      continue;
    total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

/** Commands for the floor extension, served on loopback; results come back on Thunderbird's stdout. */
function commandServer(): Promise<{ url: string; send: (c: BenchCommand) => void; close: () => void }> {
  let current: BenchCommand = { id: 0, action: 'idle' };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(current));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        url: `http://127.0.0.1:${port}/cmd`,
        send: (c) => {
          current = c;
        },
        close: () => server.close(),
      });
    });
  });
}

type CommandInput = BenchCommand extends infer C ? (C extends BenchCommand ? Omit<C, 'id'> : never) : never;

let commandId = 0;
async function runCommand(
  tb: ThunderbirdProcess,
  send: (c: BenchCommand) => void,
  command: CommandInput,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const id = ++commandId;
  const before = tb.log.all('suivi-bench:result').length;
  send({ ...command, id } as BenchCommand);
  const result = await tb.log.waitFor<Record<string, number>>((r) => r['id'] === id, {
    what: `commande ${command.action}`,
    timeoutMs,
    marker: 'suivi-bench:result',
    sinceIndex: before,
  });
  send({ id: 0, action: 'idle' });
  return result;
}

/**
 * The add-on's answers against the generated folder: the ledger holds every message, the uploaded keys are the
 * folder's messages exactly, and each received message ends (as the server keeps it, src/core/classify.ts
 * categoryWins) classified with its headers — `auto` for those automatic by their headers, `usager` otherwise.
 * Throws when one does not hold: a fast wrong answer is no result.
 */
async function checkAnswers(
  sentRecords: readonly TallyRecord[],
  generated: Awaited<ReturnType<typeof generateBalf>>,
  status: AddonStatus,
): Promise<Record<string, number | boolean>> {
  const final = new Map<string, TallyRecord>();
  for (const record of sentRecords) {
    const stored = final.get(record.k);
    const wins =
      stored === undefined ||
      categoryWins(
        { cat: record.cat, hdr: record.hdr === true },
        { cat: stored.cat, hdr: stored.hdr === true },
      );
    if (wins) final.set(record.k, record);
  }
  const automatic = new Set(generated.automatic);
  const expected = new Map<string, string>();
  for (const id of generated.ids.received)
    expected.set(await messageKey(SECRET, id), automatic.has(id) ? 'auto' : 'usager');
  for (const id of generated.ids.sent) expected.set(await messageKey(SECRET, id), 'reply');
  let wrongCategory = 0;
  let unrefined = 0;
  for (const [key, cat] of expected) {
    const record = final.get(key);
    if (record?.cat !== cat) wrongCategory += 1;
    if (record?.dir === 'in' && record.hdr !== true) unrefined += 1;
  }
  const checks = {
    ledgerEqualsFolder: status.ledger === expected.size,
    uploadedKeysEqualFolder: final.size === expected.size && [...expected.keys()].every((k) => final.has(k)),
    wrongCategory,
    receivedNotRefined: unrefined,
    recordsSent: sentRecords.length,
    distinctKeys: final.size,
  };
  if (!checks.ledgerEqualsFolder || !checks.uploadedKeysEqualFolder || wrongCategory > 0 || unrefined > 0) {
    throw new Error(`réponses du module fausses : ${JSON.stringify(checks)}`);
  }
  return checks;
}

function machine(): Record<string, unknown> {
  const tbVersion = spawnSync('/usr/lib/thunderbird/thunderbird', ['--version'], {
    encoding: 'utf8',
  }).stdout.trim();
  const dovecot = spawnSync('dovecot', ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
  return {
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    thunderbird: tbVersion,
    dovecot,
    node: process.version,
  };
}

async function main(): Promise<void> {
  requireThunderbirdAndDovecot();
  const work = await mkdtemp(join(tmpdir(), 'suivi-bench-addon-'));
  await chmod(work, 0o755);
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    log(`construction du module (npm run build)`);
    const product = buildProductXpi();
    const commands = await commandServer();
    cleanups.push(() => commands.close());
    const floorXpi = await packTestExtension(work, {
      id: BENCH_EXTENSION_ID,
      name: 'suivi-bench-floor',
      background: benchBackground(commands.url),
      permissions: ['accountsRead', 'messagesRead'],
      hostPermissions: ['http://127.0.0.1/*'],
    });

    log(`génération du BALF : ${receivedCount} reçus, ${sentCount} réponses`);
    const imap = await startImapServer({ baseDir: join(work, 'imap'), folders: ['Sent'] });
    cleanups.push(() => imap.close());
    const genStart = Date.now();
    const generated = await generateBalf(imap.maildir, {
      balf: BALF,
      received: receivedCount,
      sent: sentCount,
      days: 80,
      automaticEvery: AUTOMATIC_EVERY,
      progress: (n) => log(`  ${n} messages écrits`),
    });
    const generationMs = Date.now() - genStart;

    const receiver = await startReceiver({ token: TOKEN });
    cleanups.push(() => receiver.close());
    const managedValues = {
      endpoint: receiver.url,
      token: TOKEN,
      secret: SECRET,
      balfs: [BALF],
      internalDomains: ['dgfip.finances.gouv.fr'],
      department: '75',
      backfillDays: 90,
      uploadIntervalMinutes: 1,
      logLevel: 'debug',
    };
    const managed = managedPolicies(product.id, managedValues);
    // Run 1 gives the add-on no configuration, so it stays idle while Thunderbird syncs.
    const policies = await acquirePolicies({ policies: {} });
    cleanups.push(() => policies.restore());

    // Run 1: Thunderbird syncs the headers (a workstation before the add-on is configured). Both extensions
    // are installed now: one dropped into an existing profile would only start at the restart after.
    const profileDir = join(work, 'profile');
    const marionettePort = await freePort();
    await buildProfile({
      dir: profileDir,
      imap: { port: imap.port, address: BALF },
      addons: [
        { id: BENCH_EXTENSION_ID, xpi: floorXpi },
        { id: product.id, xpi: product.xpi },
      ],
      // The floor extension waits for commands with fetch() only, which does not keep an event page alive:
      // without this it is suspended after 30 s idle. (The add-on is then not suspended either: noted in the docs.)
      // Marionette (run 1 only: withMarionetteEnv below) quits Thunderbird the way a user does; see the end of run 1.
      prefs: { 'extensions.background.idle.timeout': 3_600_000, 'marionette.port': marionettePort },
    });
    const markers = [STATUS_MARKER, ...BENCH_MARKERS];
    log('passe 1 : synchronisation IMAP (module installé, sans configuration)');
    let tb = await withMarionetteEnv({}, () =>
      launchThunderbird({ profileDir, logFile: join(work, 'thunderbird-1.log'), markers }),
    );
    cleanups.push(() => tb.stop());
    const launch1 = Date.now();
    const synced = await runCommand(tb, commands.send, { action: 'waitSynced', total }, 30 * 60_000);
    const firstSyncMs = Date.now() - launch1;
    log(`  synchronisé en ${firstSyncMs} ms (${synced['count']} messages)`);
    let offlineStore: {
      ms: number;
      bytes: Record<string, number>;
      messages: Record<string, number>;
      complete: boolean;
      maildir: Record<string, { bytes: number; messages: number }>;
    } | null = null;
    if (!cold) {
      const maildir = await maildirFolders(imap.maildir.root);
      log(
        `  attente des copies locales de Thunderbird (Maildir : ${JSON.stringify(Object.fromEntries(maildir))})`,
      );
      offlineStore = {
        ...(await waitOfflineStore(profileDir, maildir, 30 * 60_000)),
        maildir: Object.fromEntries(maildir),
      };
      log(
        `  copies locales : ${JSON.stringify(offlineStore.messages)} messages, ${JSON.stringify(offlineStore.bytes)} octets, en ${offlineStore.ms} ms (complet : ${offlineStore.complete})`,
      );
    }
    // Thunderbird writes each message's offline flag into its folder summaries (.msf) when it quits. On SIGTERM it
    // exits at once (0.1 s) without doing so: at the next start its offline sync (MOZ_LOG=IMAPAutoSync:5) believed
    // 9,110 of 20,000 INBOX messages had no local copy and downloaded them again during the measures. A user quits
    // Thunderbird from its menu: so does the benchmark, through Marionette (eAttemptQuit).
    const stopStarted = Date.now();
    const quit = await quitLikeAUser(tb, marionettePort);
    log(
      `  Thunderbird ${quit ? 'quitté' : 'arrêté (pas quitté en 2 min)'} en ${Date.now() - stopStarted} ms`,
    );

    // Cold floor: the bare walk right at a start of Thunderbird (add-on still without configuration), as the
    // add-on's first back-fill is in run 2; run 2's floor is walked after the back-fill, in a Thunderbird whose
    // folder databases the back-fill has just opened. Both are reported.
    log('passe 1 bis : parcours nu au démarrage de Thunderbird (plancher à froid)');
    tb = await withMarionetteEnv({}, () =>
      launchThunderbird({ profileDir, logFile: join(work, 'thunderbird-1b.log'), markers }),
    );
    await tb.log.waitFor(() => true, {
      what: 'démarrage des extensions (passe 1 bis)',
      timeoutMs: 120_000,
      marker: 'suivi-bench:ready',
    });
    const coldRssAtStart = await tb.memory();
    const coldSampler = rssSampler(tb);
    const coldWalk = await runCommand(tb, commands.send, { action: 'walk' }, 10 * 60_000).finally(() =>
      coldSampler.stop(),
    );
    const coldPeakRss = Math.max(coldSampler.peak(), await tb.memory());
    log(`  plancher à froid : ${coldWalk['count']} en ${coldWalk['ms']} ms`);
    const coldQuit = await quitLikeAUser(tb, marionettePort);
    log(`  Thunderbird ${coldQuit ? 'quitté' : 'arrêté (pas quitté en 2 min)'}`);

    // Run 2: the add-on gets its configuration and back-fills the synced account; the floor is walked in the same run.
    policies.update(managed);
    log('passe 2 : premier rattrapage du module');
    // Gecko's start-up profiler: 1 ms samples of the threads the back-fill runs on (JS and native stacks).
    const profilerEnv: Record<string, string> = profileFile
      ? {
          MOZ_PROFILER_STARTUP: '1',
          MOZ_PROFILER_STARTUP_INTERVAL: '1',
          MOZ_PROFILER_STARTUP_ENTRIES: String(64 * 2 ** 20),
          MOZ_PROFILER_STARTUP_FEATURES: 'js,stackwalk,cpu',
          MOZ_PROFILER_STARTUP_FILTERS: 'GeckoMain,IndexedDB,Cache2,StreamTrans,IMAP,mozStorage,Socket',
        }
      : {};
    const launchRun2 = () =>
      launchThunderbird({ profileDir, logFile: join(work, 'thunderbird-2.log'), markers });
    // Marionette (to dump the profile) only when profiling: the measured run is otherwise as in run 3.
    tb = await (profileFile ? withMarionetteEnv(profilerEnv, launchRun2) : launchRun2());
    const launch2 = Date.now();
    const sampler = rssSampler(tb);
    cleanups.push(() => sampler.stop());
    const ready = await tb.log.waitFor<{ at: number }>(() => true, {
      what: 'démarrage des extensions',
      timeoutMs: 120_000,
      marker: 'suivi-bench:ready',
    });
    const readyLocal = Date.now();
    const rssAtStart = await tb.memory();
    const backfilled = await tb.log.waitFor<AddonStatus>((s) => s.scanComplete && s.ledger >= total, {
      what: `rattrapage de ${total} messages`,
      timeoutMs: Math.max(5 * 60_000, total * 40),
    });
    const backfillMs = Date.now() - readyLocal;
    // From the add-on's own clock (status `at`) relative to the floor extension's start (same Thunderbird clock).
    const sinceReady = (predicate: (s: AddonStatus) => boolean): number | null => {
      const entry = tb.log.all().find((e) => predicate(e.value as AddonStatus));
      const at = entry ? Date.parse(String((entry.value as AddonStatus)['at'])) : NaN;
      return Number.isNaN(at) ? null : at - ready.at;
    };
    const firstCounted = tb.log.all().find((e) => (e.value as AddonStatus).ledger > 0)?.value as
      AddonStatus | undefined;
    const firstCountedMs = sinceReady((s) => s.ledger > 0);
    const allCountedMs = sinceReady((s) => s.ledger >= total);
    // Every received message classified with its own headers (the walk's reads done and written).
    const allRefinedMs = sinceReady((s) => s.ledger >= total && s['unrefined'] === 0);
    const unrefinedAtFirstFigures = tb.log
      .all()
      .map((e) => e.value as AddonStatus)
      .find((s) => s.ledger >= total)?.['unrefined'];
    const rssAfterBackfill = await tb.memory();
    if (profileFile) {
      const ui = await Marionette.connect(marionettePort, 30_000);
      try {
        await ui.startChromeSession();
        await ui.run('await Services.profiler.dumpProfileToFileAsync(args[0]);', [profileFile], 300_000);
        log(`  profil de Thunderbird écrit : ${profileFile}`);
      } finally {
        ui.close();
      }
    }
    const peakDuringBackfill = sampler.peak();
    log(`  rattrapage en ${backfillMs} ms (registre ${backfilled.ledger})`);
    const drained = await tb.log.waitFor<AddonStatus>((s) => s.queue === 0 && s.lastUpload === 'ok', {
      what: 'file de téléversement vide',
      timeoutMs: 30 * 60_000,
    });
    const uploadedMs = Date.now() - readyLocal;
    const peakUntilUploaded = Math.max(sampler.peak(), await tb.memory());
    log(`  téléversé (${receiver.records().length} enregistrements reçus) à ${uploadedMs} ms`);
    const checks = await checkAnswers(
      receiver.batches.flatMap((b) => b.records),
      generated,
      backfilled,
    );
    log(`  vérifications : ${JSON.stringify(checks)}`);

    const walks = [];
    for (let i = 0; i < 2; i += 1)
      walks.push(await runCommand(tb, commands.send, { action: 'walk' }, 10 * 60_000));
    const floorMs = Math.min(...walks.map((w) => w['ms'] ?? Infinity));
    log(`  plancher : ${walks.map((w) => `${w['count']} en ${w['ms']} ms`).join(', ')}`);
    const per = Math.min(100, Math.floor(sentCount / 5));
    const headerReads = await runCommand(tb, commands.send, { action: 'headers', per }, 10 * 60_000);
    log(`  lecture d'en-têtes (ms par message) : ${JSON.stringify(headerReads)}`);
    // When Thunderbird let the API see each folder's messages after start-up (floor extension's probe).
    const folderVisible = (path: string): number | null => {
      const e = tb.log
        .all('suivi-bench:folder')
        .find(
          (x) =>
            (x.value as { path: string; listed: boolean }).path === path &&
            (x.value as { listed: boolean }).listed,
        );
      return e ? (e.value as { at: number }).at - ready.at : null;
    };
    const visibleMs = { inbox: folderVisible('/INBOX'), sent: folderVisible('/Sent') };
    // The add-on's own walks (debug log `scan: {…, ms}`): time it spent scanning, whatever it waited for.
    const scans = tb.log.grep('suivi-balf[background] scan: {').map((line) => {
      const text = unquoteConsoleLine(line);
      return JSON.parse(text.slice(text.indexOf('{'))) as { seen: number; added: number; ms?: number };
    });

    // Steady state: one message delivered while everything is idle.
    const liveId = 'bench-live@exemple.fr';
    const newBefore = tb.log.all('suivi-bench:new').length;
    const statusBefore = tb.log.all().length;
    const dropAt = Date.now();
    await imap.maildir.add(
      'INBOX',
      buildMessage({
        messageId: liveId,
        date: new Date(),
        from: 'usager@exemple.fr',
        to: BALF,
        subject: 'Direct',
      }),
      { state: 'new' },
    );
    const event = await tb.log.waitFor<{ at: number; ids: string[] }>((e) => e.ids.includes(liveId), {
      what: 'onNewMailReceived du message direct',
      timeoutMs: 120_000,
      marker: 'suivi-bench:new',
      sinceIndex: newBefore,
    });
    const counted = await tb.log.waitFor<AddonStatus>((s) => s.ledger >= (backfilled.ledger ?? total) + 1, {
      what: 'message direct compté',
      timeoutMs: 120_000,
      sinceIndex: statusBefore,
    });
    const countedAt = typeof counted['at'] === 'string' ? Date.parse(counted['at']) : NaN;
    const rssEnd = await tb.memory();
    sampler.stop();
    await tb.stop();
    const ledgerBytes = await extensionDatabasesSize(profileDir);

    // Run 3 (issue 6): the sampling panel, opened at start-up on the real ledger, draws over every received
    // message of the BALF (the whole generated span), DRAWS times in a row (`draw=N`): the first on a cold
    // ledger while Thunderbird starts and the add-on's start-up scan runs, the last on a warm one (a chef de
    // service drawing in a running Thunderbird). Times: the panel's own clock, click to rendered table.
    const DRAWS = 3;
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const from = day(Date.now() - 82 * 86_400_000);
    const to = day(Date.now());
    const page =
      `sampling/sampling.html?balf=${encodeURIComponent(BALF)}&period=custom&from=${from}&to=${to}` +
      `&n=200&seed=bench&stratify=1&draw=${DRAWS}`;
    policies.update(managedPolicies(product.id, { ...managedValues, debugOpenTab: page }));
    log('passe 3 : tirage du panneau de sondage sur le registre');
    tb = await launchThunderbird({
      profileDir,
      logFile: join(work, 'thunderbird-3.log'),
      markers: [...markers, SAMPLING_MARKER],
    });
    type DrawTrace = Partial<DrawTiming> & { population: number; asOf: string; keys: string[] };
    const traces: DrawTrace[] = [];
    while (traces.length < DRAWS) {
      traces.push(
        await tb.log.waitFor<DrawTrace>(() => true, {
          marker: SAMPLING_MARKER,
          what: `ligne « suivi-balf:sampling » n° ${traces.length + 1} du panneau`,
          timeoutMs: 5 * 60_000,
          sinceIndex: traces.length,
        }),
      );
    }
    const trace = traces[0]!;
    const drawMs = Date.now() - Date.parse(traces[DRAWS - 1]!.asOf);
    for (const [i, x] of traces.entries())
      log(
        `  tirage ${i + 1} : population ${x.population}, ${x.keys.length} tirés, ${x.ms} ms dans le panneau ` +
          `(lecture ${x.readMs} dont références ${x.refsMs}, tirage ${x.drawMs}, affichage ${x.renderMs})`,
      );
    if (traces.some((x) => x.keys.join() !== trace.keys.join()))
      throw new Error('les tirages successifs (même graine, même registre) diffèrent');
    await tb.stop();

    const records = receiver.records();
    const scanBusyMs = scans.reduce((sum, x) => sum + (x.ms ?? 0), 0);
    const round3 = (x: number) => Math.round(x * 1000) / 1000;
    const result = {
      messages: total,
      received: receivedCount,
      sent: sentCount,
      machine: machine(),
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      generationMs: generationMs,
      thunderbirdFirstSyncMs: firstSyncMs,
      // null with --cold: the back-fill read reply headers from the IMAP server, message by message.
      offlineStore,
      /**
       * First full back-fill: from the extensions' start (the floor extension's first line, same Thunderbird
       * clock as the add-on's status `at`) to the first status whose ledger holds every message.
       */
      backfill: {
        allCountedMs,
        /** The first status that counted anything: how many, and when. */
        firstStatus: { counted: firstCounted?.ledger ?? 0, ms: firstCountedMs },
        /** Until the add-on reports scanComplete (folder counts held still during walks that saw them). */
        completeMs: backfillMs,
        recordsPerSecond: allCountedMs === null ? null : Math.round((total / allCountedMs) * 1000),
        ledger: backfilled.ledger,
        /** The add-on's walks (start-up, folders opened late, incremental): count and summed duration. */
        walks: scans.length,
        scanBusyMs,
        untilUploadedMs: uploadedMs,
        uploadedRecords: records.length,
        batches: receiver.batches.length,
        invalidBatches: receiver.invalid.length,
        queueAfter: drained.queue,
      },
      /**
       * Thunderbird's own delay after start-up before messages.list answers a folder's first message (floor
       * extension's probe): nothing of that folder can be counted earlier, by the add-on or anyone.
       */
      thunderbirdFolderVisibleMs: visibleMs,
      floor: {
        ms: floorMs,
        messagesPerSecond: Math.round((total / floorMs) * 1000),
        walks: walks.map((w) => ({ count: w['count'], ms: w['ms'] })),
        /** The same walk at the end of run 1 (after Thunderbird's first sync), for the load's drift. */
        run1WalkMs: synced['walkMs'] ?? null,
        /** The same walk first thing after a start of Thunderbird (run 1 bis), like the add-on's back-fill. */
        coldWalkMs: coldWalk['ms'] ?? null,
      },
      /** Header reads of sent messages, ms per message (after the back-fill: the add-on read them once already). */
      headerReads,
      /** The issue's ratio: floor walk time over the first full back-fill time (goal ≥ 0.5). */
      ratioToFloor: allCountedMs === null ? null : round3(floorMs / allCountedMs),
      /**
       * Issue 22: time until every received message is classified with its own headers, from the extensions'
       * start like allCountedMs, and as a multiple of the floor (goal ≤ 3).
       */
      refinement: {
        allRefinedMs,
        timesFloor: allRefinedMs === null ? null : round3(allRefinedMs / floorMs),
        timesColdFloor:
          allRefinedMs === null || typeof coldWalk['ms'] !== 'number'
            ? null
            : round3(allRefinedMs / coldWalk['ms']),
        /** Received messages still to read when the first figures (every message counted) came. */
        unrefinedAtFirstFigures,
        automaticExpected: generated.automatic.length,
      },
      /** The bench's own checks of the add-on's answers (it fails when one does not hold). */
      checks,
      ratioToFloorUntilComplete: round3(floorMs / backfillMs),
      /** Cold floor (run 1 bis) over the first full back-fill: both start with Thunderbird. */
      ratioToColdFloor:
        allCountedMs === null || typeof coldWalk['ms'] !== 'number'
          ? null
          : round3(coldWalk['ms'] / allCountedMs),
      /**
       * Our part only: floor walk time over the time the add-on spent in its walks (Thunderbird's folder
       * opening delay and the waits between walks excluded; live events counted meanwhile are not).
       */
      ratioScanBusyToFloor: scanBusyMs > 0 ? round3(floorMs / scanBusyMs) : null,
      memory: {
        rssAtStartMiB: Math.round(rssAtStart / 2 ** 20),
        peakDuringBackfillMiB: Math.round(peakDuringBackfill / 2 ** 20),
        afterBackfillMiB: Math.round(rssAfterBackfill / 2 ** 20),
        /** Peak from the start to the upload of every record (refinement included: it precedes the upload). */
        peakUntilUploadedMiB: Math.round(peakUntilUploaded / 2 ** 20),
        atEndMiB: Math.round(rssEnd / 2 ** 20),
        /**
         * What the add-on adds: Thunderbird's growth during the back-fill (peak − start) against its growth during
         * the bare walk at start-up (run 1 bis, same messages converted), next to the ledger's size on disk.
         */
        backfillGrowthMiB: Math.round((peakDuringBackfill - rssAtStart) / 2 ** 20),
        bareWalkGrowthMiB: Math.round((coldPeakRss - coldRssAtStart) / 2 ** 20),
        ledgerOnDiskMiB: Math.round((ledgerBytes / 2 ** 20) * 10) / 10,
      },
      steadyState: {
        /** From the floor extension's onNewMailReceived to the add-on's status counting it (same clock). */
        handlingMs: Number.isNaN(countedAt) ? null : countedAt - event.at,
        deliveryToEventMs: event.at - dropAt,
        lastUpload: counted.lastUpload,
      },
      /** Issue 6: the sampling panel's draw on the real ledger (run 3), from its start to its rendered trace line. */
      // ms: the panel's own clock, click to rendered table (the goal); untilLineReadMs adds Thunderbird's stdout.
      samplingDraw: {
        population: trace.population,
        sampled: trace.keys.length,
        /** First draw: cold ledger, at Thunderbird's start-up, during the add-on's start-up scan. */
        ms: trace.ms ?? null,
        /** Every draw in order, the panel's own times (ms, readMs, drawMs, renderMs). */
        draws: traces.map(({ ms, readMs, refsMs, drawMs, renderMs }) => ({
          ms,
          readMs,
          refsMs,
          drawMs,
          renderMs,
        })),
        /** The last draw's start to its line read here (adds Thunderbird's stdout). */
        untilLineReadMs: drawMs,
        from,
        to,
      },
      extensionsReadyAfterLaunchMs: readyLocal - launch2,
      readyAt: ready.at,
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        log(`nettoyage : ${String(error)}`);
      }
    }
    if (keep) log(`répertoire conservé : ${work}`);
    else await rm(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:addon : ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
