// The background's logic with every platform API injected: listeners registered synchronously,
// each awaiting one `ready` promise; no state a restart would lose (all of it is in IndexedDB).
import { loadConfig, LOCAL_CONFIG_KEY, readManaged, resolveConfig, type EffectiveConfig } from './config.ts';
import { ledgerCsv } from './csv.ts';
import { ingestHeaders } from './ingest.ts';
import { Ledger, type LedgerDb } from './ledger.ts';
import { emitStatus, makeLogger, type Sink } from './logger.ts';
import type {
  Clock,
  MailFolder,
  MessageHeader,
  MessageList,
  MessagePart,
  Messenger,
  SendInfo,
} from './platform.ts';
import { isRequest, type Handlers, type OptionsState, type Request } from './runtime-messages.ts';
import {
  balfAccounts,
  markKey,
  reconcile,
  scanComplete,
  type BalfAccount,
  type ScanMark,
  type ScanOptions,
} from './scanner.ts';
import { sendFailed, watchSend } from './send-watch.ts';
import { summarizeBalf } from './summary.ts';
import { notifyDue } from './due-notices.ts';
import { formatDay, uiLocale } from './i18n.ts';
import { openByMessageId } from './sampling/thunderbird.ts';
import { POPUP_WAITING_LIMIT, type WaitingMessage } from './waiting.ts';
import { QuotaWatch } from './quota.ts';
import {
  LAST_UPLOAD_KEY,
  UPLOAD_STATE_KEY,
  Uploader,
  type LastUpload,
  type UploadState,
} from './uploader.ts';
import { withTimeout } from './with-timeout.ts';

export const ALARM_SCAN = 'scan';
export const ALARM_BACKFILL = 'backfill';
export const ALARM_UPLOAD = 'upload';
export const ALARM_UPLOAD_RETRY = 'upload-retry';
export const ALARM_UPLOAD_SOON = 'upload-soon';
export const SCAN_PERIOD_MINUTES = 10;
export const ALARM_FOLDERS = 'folders-check';
const FOLDER_INFO_TIMEOUT_MS = 3_000;

export const ALARM_SCAN_SOON = 'scan-soon';
/**
 * Delay before looking again at an account Thunderbird is still opening: a look costs one folder
 * listing, and walks only the folders that gained messages (see scanner.ts), so it can be short.
 */
export const SCAN_SOON_MS = 2_000;
/** The longest wait before the next walk of an account that is not synced yet. */
export const SCAN_SOON_MAX_MS = 10 * 60_000;

/**
 * Wait before the next walk of an account Thunderbird is still syncing: twice the last walk's length
 * (SCAN_SOON_MS at least, SCAN_SOON_MAX_MS at most). Walks and Thunderbird's own header download share
 * its main thread: while a folder of 100,000 messages arrives, each walk takes longer, and walking again
 * at once left Thunderbird a fraction of its time to download (seen: ~40 headers/s instead of ~250).
 */
export function nextScanDelay(lastWalkMs: number): number {
  return Math.min(SCAN_SOON_MAX_MS, Math.max(SCAN_SOON_MS, 2 * lastWalkMs));
}
export const MENU_SAMPLING = 'suivi-balf-sampling';
export const SAMPLING_PAGE = 'sampling/sampling.html';
export const DEBUG_OPEN_TAB_KEY = 'debugOpenTab';
/** Re-walks the whole back-fill window daily: folders Thunderbird syncs late are caught up. */
export const BACKFILL_PERIOD_MINUTES = 24 * 60;
/**
 * The daily re-walk (first alarm 5 minutes after start-up) is skipped for an account walked whole
 * this recently: right after the first back-fill, or when Thunderbird is restarted during the day.
 */
export const DAILY_WALK_SKIP_MS = 20 * 60 * 60_000;

export interface BackgroundDeps {
  messenger: Messenger;
  openDb: () => Promise<LedgerDb>;
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
  uuid: () => string;
  yieldNow: () => Promise<void>;
  sink: Sink;
  getFullConcurrency?: number;
  pageSize?: number;
  /** Aborts an upload request after `ms` (tests drive it with a simulated clock). */
  timeoutSignal?: (ms: number) => AbortSignal;
}

export interface Background {
  ready: Promise<Ledger>;
  /** Resolves when the work started by events so far has finished (tests, and nothing else). */
  idle(): Promise<void>;
  handle(req: Request): Promise<unknown>;
}

export function startBackground(deps: BackgroundDeps): Background {
  const m = deps.messenger;
  let level: EffectiveConfig['config']['logLevel'] = 'warn';
  const log = makeLogger('background', () => level, deps.sink);
  const inflight = new Set<Promise<unknown>>();
  // Guards against two scans in this instance; across unloads the persisted marks take over.
  let scanning: Promise<unknown> | null = null;
  // Uploads run one after the other: two rounds must never batch the same pending rows.
  let uploadChain: Promise<unknown> = Promise.resolve();
  const quota = new QuotaWatch({
    messenger: m,
    fetch: deps.fetch,
    clock: deps.clock,
    log,
    ...(deps.timeoutSignal ? { timeoutSignal: deps.timeoutSignal } : {}),
  });

  const config = async (): Promise<EffectiveConfig> => {
    const effective = await loadConfig({ managed: m.storage.managed, local: m.storage.local });
    level = effective.config.logLevel;
    for (const e of effective.errors) log.warn(`configuration: ${e.key} (${e.source}) — ${e.reason}`);
    return effective;
  };

  /**
   * The BALF accounts to count. None without a secret: no key can be derived, and a walk would read every
   * message for nothing, again and again (the account never looks counted), and Thunderbird's first header
   * download would share its main thread with those walks. The options page says why; the minute check walks
   * as soon as a valid secret is set.
   */
  async function countedAccounts(cfg: EffectiveConfig['config']): Promise<BalfAccount[]> {
    return cfg.secret === undefined ? [] : balfAccounts(cfg, await m.accounts.list(false));
  }

  // The fake messenger of the unit tests throws on reading what it does not model: ask with `in` first.
  const hasGetHeaders = (): boolean =>
    'getHeaders' in m.messages && typeof m.messages.getHeaders === 'function';

  const ready: Promise<Ledger> = (async () => {
    const ledger = new Ledger(await deps.openDb());
    const { config: cfg } = await config();
    // Each start of the event page shows in the log (Gecko suspends and restarts it at will).
    log.debug(
      `event page started at ${deps.clock().toISOString()}; headers read with ` +
        (hasGetHeaders() ? 'messages.getHeaders' : 'messages.getFull'),
    );
    createMenus();
    await scheduleAlarms(cfg.uploadIntervalMinutes);
    if (cfg.logLevel === 'debug') await openDebugTab();
    // An unload in the middle of a scan leaves `runningSince` on a mark: finish that scan now.
    const accounts = balfAccounts(cfg, await m.accounts.list(false));
    for (const a of accounts) {
      if ((await ledger.getMeta<ScanMark>(markKey(a)))?.runningSince) {
        track(runScan(ledger));
        break;
      }
    }
    return ledger;
  })();
  ready.catch((error: unknown) => log.error('initialisation failed', error));

  /** Tools-menu entry of the sampling panel; creating it again after a wake-up is harmless. */
  function createMenus(): void {
    try {
      m.menus.create(
        {
          id: MENU_SAMPLING,
          title: m.i18n.getMessage('sampling_menuTitle') || m.i18n.getMessage('popupSampling'),
          contexts: ['tools_menu'],
        },
        () =>
          void (globalThis as { messenger?: { runtime?: { lastError?: unknown } } }).messenger?.runtime
            ?.lastError,
      );
    } catch (error) {
      if (!/already exists/i.test(error instanceof Error ? error.message : String(error))) throw error;
    }
  }

  /**
   * Test hook (logLevel 'debug' only): storage.local `debugOpenTab` names a page to open once;
   * the managed (policies.json) `debugOpenTab` is opened at each Thunderbird start-up.
   */
  async function openManagedDebugTab(): Promise<void> {
    const value = (await readManaged(m.storage.managed))?.[DEBUG_OPEN_TAB_KEY];
    if (typeof value === 'string' && value !== '') await m.tabs.create({ url: m.runtime.getURL(value) });
  }

  async function openDebugTab(): Promise<void> {
    const value = (await m.storage.local.get(DEBUG_OPEN_TAB_KEY))[DEBUG_OPEN_TAB_KEY];
    if (typeof value !== 'string' || value === '') return;
    await m.storage.local.remove(DEBUG_OPEN_TAB_KEY);
    await m.tabs.create({ url: m.runtime.getURL(value) });
  }

  async function scheduleAlarms(uploadMinutes: number): Promise<void> {
    const have = async (name: string, period: number) =>
      (await m.alarms.get(name))?.periodInMinutes === period;
    if (!(await have(ALARM_SCAN, SCAN_PERIOD_MINUTES)))
      await m.alarms.create(ALARM_SCAN, { delayInMinutes: 1, periodInMinutes: SCAN_PERIOD_MINUTES });
    if (!(await have(ALARM_FOLDERS, 1)))
      await m.alarms.create(ALARM_FOLDERS, { delayInMinutes: 1, periodInMinutes: 1 });
    if (!(await have(ALARM_BACKFILL, BACKFILL_PERIOD_MINUTES)))
      await m.alarms.create(ALARM_BACKFILL, { delayInMinutes: 5, periodInMinutes: BACKFILL_PERIOD_MINUTES });
    if (!(await have(ALARM_UPLOAD, uploadMinutes)))
      await m.alarms.create(ALARM_UPLOAD, { delayInMinutes: uploadMinutes, periodInMinutes: uploadMinutes });
    await quota.schedule();
  }

  /** Reads the watched BALFs' quotas (sent with the next upload round). */
  async function readQuota(ledger: Ledger): Promise<void> {
    try {
      const { config: cfg } = await config();
      await quota.read(ledger, balfAccounts(cfg, await m.accounts.list(false)));
    } catch (error) {
      log.warn('quota: not read', error instanceof Error ? error.message : error);
    }
  }

  /** With the `notifyDue` setting: a notice for the watched BALFs' messages that became due (due-notices.ts). */
  async function noticeDue(ledger: Ledger): Promise<void> {
    try {
      const { config: cfg } = await config();
      if (!cfg.notifyDue) return;
      const accounts = await countedAccounts(cfg);
      // Until Thunderbird has synced the accounts, an answer still to come from a Sent folder would ring as late.
      if (accounts.length === 0 || !(await scanComplete({ ledger, folderSignature }, accounts))) return;
      const now = deps.clock();
      const waiting = new Map<string, WaitingMessage[]>();
      for (const balf of new Set(accounts.map((a) => a.balf)))
        waiting.set(balf, (await summarizeBalf(ledger, cfg, balf, now)).waiting);
      const t = (name: string, subs?: string | string[]) => m.i18n.getMessage(name, subs);
      const locale = uiLocale(t);
      await notifyDue({ messenger: m, ledger, log, t, formatDay: (d) => formatDay(d, locale) }, waiting);
    } catch (error) {
      log.warn('due notices: not checked', error instanceof Error ? error.message : error);
    }
  }

  function track<T>(p: Promise<T>): Promise<T> {
    inflight.add(p);
    void p.finally(() => inflight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Every listener: wait for init, run, log failures (a listener must never throw into Thunderbird). */
  function on<A extends unknown[]>(name: string, fn: (ledger: Ledger, ...args: A) => Promise<unknown>) {
    return (...args: A): Promise<void> =>
      track(
        (async () => {
          try {
            await fn(await ready, ...args);
          } catch (error) {
            log.error(`${name} failed`, error instanceof Error ? error.message : error);
          }
        })(),
      );
  }

  // Folder ids seen by the last folderSignature call, per account: a folder that gains messages is walked alone.
  const folderIds = new Map<string, Map<string, string>>();
  const folderIdOf = (accountId: string, path: string): string | undefined =>
    folderIds.get(accountId)?.get(path);

  /** "path:count" of every folder of the account, as Thunderbird's own database counts them. */
  async function folderSignature(accountId: string): Promise<string> {
    try {
      const account = (await withTimeout(m.accounts.list(true), FOLDER_INFO_TIMEOUT_MS)).find(
        (a) => a.id === accountId,
      );
      const folders: MailFolder[] = [];
      const visit = (list: readonly MailFolder[] | null | undefined) => {
        for (const f of list ?? []) {
          folders.push(f);
          visit(f.subFolders);
        }
      };
      visit(account?.rootFolder ? [account.rootFolder] : account?.folders);
      folderIds.set(
        accountId,
        new Map(folders.flatMap((f) => (f.id !== undefined ? [[f.path, f.id] as const] : []))),
      );
      const parts = await Promise.all(
        folders.map(async (f) => {
          // A folder without info (the account root, a NoSelect IMAP parent) counts as unknown; a call
          // that does not answer must not hold the scan (and every later alarm) hostage.
          const info = await withTimeout(m.folders.getFolderInfo(f.id ?? f), FOLDER_INFO_TIMEOUT_MS).catch(
            () => ({
              totalMessageCount: undefined,
            }),
          );
          return `${f.path}:${info.totalMessageCount ?? '?'}`;
        }),
      );
      return parts.sort().join('|');
    } catch (error) {
      log.debug('folder counts unavailable', error instanceof Error ? error.message : error);
      return 'unavailable';
    }
  }

  // The status line follows every live event: at start-up Thunderbird may fire thousands, and one folder
  // listing each would compete with the scan. Status reads counts at most once a second; scans never do.
  const recentSignatures = new Map<string, { atMs: number; signature: Promise<string> }>();
  function recentSignature(accountId: string): Promise<string> {
    const nowMs = deps.clock().getTime();
    const hit = recentSignatures.get(accountId);
    if (hit && nowMs - hit.atMs < 1_000) return hit.signature;
    const signature = folderSignature(accountId);
    recentSignatures.set(accountId, { atMs: nowMs, signature });
    return signature;
  }

  const ingestDeps = (ledger: Ledger) => ({
    ledger,
    // Headers only: getHeaders where Thunderbird has it (147+), the whole parsed message otherwise.
    getFull: (id: number): Promise<MessagePart> =>
      hasGetHeaders() && m.messages.getHeaders
        ? m.messages.getHeaders(id).then((headers) => ({ headers }))
        : m.messages.getFull(id),
    clock: deps.clock,
    concurrency: deps.getFullConcurrency ?? 8,
  });

  async function status(ledger: Ledger, accounts?: BalfAccount[]): Promise<void> {
    if (level !== 'debug') return;
    // The instant the line describes: what was counted before it is in the ledger now. The reads below only
    // describe it (a count over the whole ledger grows with it) and are not part of handling a message.
    const at = deps.clock().toISOString();
    const list = accounts ?? balfAccounts((await config()).config, await m.accounts.list(false));
    // One round of independent reads (the line follows each new message: its handling time is measured to it).
    const [last, marks, complete, queue, count, refine] = await Promise.all([
      ledger.getMeta<LastUpload>(LAST_UPLOAD_KEY),
      Promise.all(list.map((a) => ledger.getMeta<ScanMark>(markKey(a)))),
      scanComplete({ ledger, folderSignature: recentSignature }, list),
      ledger.queueSize(),
      ledger.count(),
      refineCounts(ledger, list),
    ]);
    emitStatus(deps.sink, {
      scanComplete: complete && scanning === null,
      scanning: scanning !== null || marks.some((mark) => mark?.runningSince !== undefined),
      queue,
      ledger: count,
      unrefined: refine.waiting,
      unverified: refine.unverified,
      lastUpload: last?.result ?? 'none',
      ...(last?.result === 'error' && last.message ? { lastError: last.message } : {}),
      at,
    });
  }

  /** Received rows of these accounts' BALFs still waiting for their headers, and given up. */
  async function refineCounts(
    ledger: Ledger,
    accounts: readonly BalfAccount[],
  ): Promise<{ waiting: number; unverified: number }> {
    const counts = await Promise.all(
      [...new Set(accounts.map((a) => a.balf))].map((b) => ledger.refineCounts(b)),
    );
    return counts.reduce(
      (a, b) => ({ waiting: a.waiting + b.waiting, unverified: a.unverified + b.unverified }),
      {
        waiting: 0,
        unverified: 0,
      },
    );
  }

  /**
   * True while the next walk of an account Thunderbird is still syncing is planned (ALARM_SCAN_SOON, paced
   * by nextScanDelay): the minute check and the periodic scan leave it to that walk. Otherwise walks follow
   * one another on a large folder still downloading, and Thunderbird, whose main thread builds every page of
   * a walk, barely downloads (docs/reliability.md, 100,000 messages).
   */
  async function walkPlanned(): Promise<boolean> {
    const soon = await m.alarms.get(ALARM_SCAN_SOON);
    return soon?.scheduledTime !== undefined && soon.scheduledTime > deps.clock().getTime();
  }

  /** Cheap minute check: a folder Thunderbird has just synced (even with old mail) triggers a walk. */
  async function scanIfFoldersChanged(ledger: Ledger): Promise<void> {
    if (scanning || (await walkPlanned())) return;
    const { config: cfg } = await config();
    const accounts = await countedAccounts(cfg);
    if (accounts.length > 0 && !(await scanComplete({ ledger, folderSignature }, accounts))) {
      await runScan(ledger);
    }
  }

  async function runScan(
    ledger: Ledger,
    options: ScanOptions = {},
  ): Promise<{ added: number; errors: string[] }> {
    if (scanning) {
      await scanning;
      return { added: 0, errors: [] };
    }
    const work = (async () => {
      const started = deps.clock().getTime();
      const { config: cfg } = await config();
      const accounts = await countedAccounts(cfg);
      const result = await reconcile(
        {
          ...ingestDeps(ledger),
          query: (info) => m.messages.query(info),
          continueList: (id) => m.messages.continueList(id),
          abortList: async (id) => m.messages.abortList?.(id),
          yieldNow: deps.yieldNow,
          folderSignature,
          folderIdOf,
          trace: (line) => log.debug(line),
          counted: () => status(ledger, accounts),
          ...(deps.pageSize ? { pageSize: deps.pageSize } : {}),
        },
        cfg,
        accounts,
        options,
      );
      log.info(`scan: ${JSON.stringify({ ...result.stats, ms: deps.clock().getTime() - started })}`);
      if (result.errors.length > 0) log.warn(`scan errors: ${JSON.stringify(result.errors)}`);
      // Until Thunderbird has synced the account, look again soon (folders appear after start-up). Rows still
      // waiting for their headers after a walk (a read failed, the message was not seen) wait for the periodic
      // scan: Thunderbird may need minutes to stream them again, and each failure counts towards giving up.
      // A walk whose reads stopped because Thunderbird streamed nothing (refine.ts) counted none of those
      // failures: it looks again soon, so that refinement starts once Thunderbird has finished its download.
      const refineStopped = result.stats.refineStopped > 0;
      if (
        accounts.length > 0 &&
        (refineStopped || !(await scanComplete({ ledger, folderSignature }, accounts)))
      ) {
        await m.alarms.create(ALARM_SCAN_SOON, {
          when: deps.clock().getTime() + nextScanDelay(deps.clock().getTime() - started),
        });
      }
      // Sent rows held for the heuristic join the queue when the account is synced: send them soon too.
      return { accounts, added: result.stats.added + result.released, errors: result.errors };
    })();
    scanning = work;
    try {
      const { accounts, added, errors } = await work;
      scanning = null;
      recentSignatures.clear();
      await status(ledger, accounts);
      // After each walk Thunderbird has just synced the folders: their quota is fresh too.
      await readQuota(ledger);
      // Every walk (10 minutes at most apart) also looks for messages that became due since the last one.
      await noticeDue(ledger);
      if (added > 0) await soonUpload();
      return { added, errors };
    } finally {
      scanning = null;
    }
  }

  function runUpload(ledger: Ledger, force: boolean): Promise<LastUpload> {
    const next = uploadChain.then(() => uploadRound(ledger, force));
    uploadChain = next.catch(() => undefined);
    return next;
  }

  async function uploadRound(ledger: Ledger, force: boolean): Promise<LastUpload> {
    const { config: cfg } = await config();
    const client = async () => ({
      id: await installId(ledger),
      addon: m.runtime.getManifest().version,
      thunderbird: (await m.runtime.getBrowserInfo()).version,
    });
    const uploader = new Uploader({
      ledger,
      fetch: deps.fetch,
      clock: deps.clock,
      random: deps.random,
      uuid: deps.uuid,
      ...(deps.timeoutSignal ? { timeoutSignal: deps.timeoutSignal } : {}),
      client,
    });
    const result = await uploader.run(cfg, { force });
    // Quota readings ride with every round, whether or not mail moved; their failure is theirs alone. A
    // look first: Thunderbird may have refreshed a quota after the reading its folder event caused (its
    // GETQUOTAROOT answer comes late on a busy workstation), and isDue drops a reading that did not move.
    await readQuota(ledger);
    await quota
      .send(ledger, cfg, await client())
      .catch((error: unknown) => log.warn('quota: not sent', error));
    const state = await ledger.getMeta<UploadState>(UPLOAD_STATE_KEY);
    if (state?.notBefore && Date.parse(state.notBefore) > deps.clock().getTime()) {
      await m.alarms.create(ALARM_UPLOAD_RETRY, { when: Date.parse(state.notBefore) });
    }
    if (result.result === 'error') log.warn(`upload: ${result.message ?? ''}`);
    await status(ledger);
    return result;
  }

  async function installId(ledger: Ledger): Promise<string> {
    let id = await ledger.getMeta<string>('installId');
    if (!id) {
      id = deps.uuid();
      await ledger.setMeta('installId', id);
    }
    return id;
  }

  /** Debounced upload after live mail: one alarm, replaced by each new event. */
  async function soonUpload(): Promise<void> {
    await m.alarms.create(ALARM_UPLOAD_SOON, { when: deps.clock().getTime() + 10_000 });
  }

  /** Counts live mail of the BALF accounts; returns how many messages were new to the ledger. */
  async function ingestLive(ledger: Ledger, messages: readonly MessageHeader[]): Promise<number> {
    const t0 = performance.now();
    const { config: cfg } = await config();
    const accounts = await countedAccounts(cfg);
    let added = 0;
    for (const a of accounts) {
      const mine = messages.filter((h) => h.folder?.accountId === a.accountId);
      if (mine.length === 0) continue;
      added += (
        await ingestHeaders(ingestDeps(ledger), { balf: a.balf, config: cfg }, mine, {
          deferHeuristic: false,
        })
      ).added;
    }
    const ingestMs = Math.round(performance.now() - t0);
    if (added > 0) await soonUpload();
    await status(ledger, accounts);
    log.debug(
      `live: ${JSON.stringify({ messages: messages.length, added, ingestMs, ms: Math.round(performance.now() - t0) })}`,
    );
    return added;
  }

  async function allPages(list: MessageList): Promise<MessageHeader[]> {
    const out = [...list.messages];
    let id = list.id;
    while (id) {
      const next = await m.messages.continueList(id);
      out.push(...next.messages);
      id = next.id;
    }
    return out;
  }

  const handlers = (ledger: Ledger): Handlers => ({
    'popup/summary': async () => {
      const { config: cfg } = await config();
      const accounts = balfAccounts(cfg, await m.accounts.list(false));
      const balfs = [...new Set([...accounts.map((a) => a.balf), ...(await ledger.balfs())])].sort();
      const now = deps.clock();
      const storage = new Map((await quota.uses(ledger, balfs)).map((u) => [u.balf, u]));
      return {
        balfs: await Promise.all(
          balfs.map(async (b) => {
            const { waiting, ...figures } = await summarizeBalf(ledger, cfg, b, now);
            return {
              ...figures,
              waiting: waiting.slice(0, POPUP_WAITING_LIMIT),
              waitingTotal: waiting.length,
              unrefined: (await ledger.refineCounts(b)).waiting,
              storage: storage.get(b) ?? null,
            };
          }),
        ),
        primaryTarget: cfg.primaryTarget,
        configured: accounts.length > 0 && cfg.secret !== undefined,
      };
    },
    'popup/open-message': async ({ headerMessageId }) => ({
      // A page's message is data: anything but a string finds nothing.
      result: typeof headerMessageId === 'string' ? await openByMessageId(m, headerMessageId) : 'not-found',
    }),
    'options/state': async () => optionsState(ledger),
    'options/save-local': async ({ values }) => {
      const managedRaw = (await config()).managed ? {} : null;
      const check = resolveConfig(managedRaw, values, {});
      await m.storage.local.set({ [LOCAL_CONFIG_KEY]: values });
      return { errors: check.errors };
    },
    'upload/now': async () => runUpload(ledger, true),
    'scan/now': async () => runScan(ledger),
    'ledger/export-csv': async () => ({
      csv: ledgerCsv(await ledger.allRows()),
      filename: `suivi-balf-${deps.clock().toISOString().slice(0, 10)}.csv`,
    }),
    'ledger/purge': async () => {
      await ledger.purge();
      return { ok: true };
    },
  });

  async function optionsState(ledger: Ledger): Promise<OptionsState> {
    const effective = await config();
    const local = (await m.storage.local.get(LOCAL_CONFIG_KEY))[LOCAL_CONFIG_KEY];
    const mask = (s: string | undefined) => (s === undefined ? undefined : '••••••••');
    const { token, secret, primaryTarget, ...rest } = effective.config;
    const state = await ledger.getMeta<UploadState>(UPLOAD_STATE_KEY);
    return {
      managed: effective.managed,
      values: { ...rest, token: mask(token), secret: mask(secret), primaryTarget: primaryTarget.id },
      sources: effective.sources,
      errors: effective.errors,
      local: typeof local === 'object' && local !== null ? (local as Record<string, unknown>) : {},
      lastScan: (await ledger.getMeta<OptionsState['lastScan']>('lastScan')) ?? null,
      lastUpload: (await ledger.getMeta<LastUpload>(LAST_UPLOAD_KEY)) ?? null,
      notBefore: state?.notBefore ?? null,
      queue: await ledger.queueSize(),
      ledger: await ledger.count(),
      finalBatches: (await ledger.batches())
        .filter((b) => b.state === 'final')
        .map((b) => ({
          batchId: b.batchId,
          balf: b.balf,
          records: b.records.length,
          ...(b.lastError ? { lastError: b.lastError } : {}),
        })),
      evictions: (await ledger.getMeta('evictions')) ?? [],
      balfAccounts: balfAccounts(effective.config, await m.accounts.list(false)),
    };
  }

  // ---- Listeners: synchronous, top level, every one of them. ----
  m.messages.onNewMailReceived.addListener(
    on('onNewMailReceived', async (ledger, _folder: MailFolder, list: MessageList) =>
      ingestLive(ledger, await allPages(list)),
    ),
    true,
  );
  m.compose.onAfterSend.addListener(
    on('onAfterSend', async (ledger, _tab: unknown, info: SendInfo) => {
      // Only the copies saved in a folder carry a folder and an id; a send without copy is seen by no scan.
      const own =
        !sendFailed(info) && info.messages && info.messages.length > 0
          ? await ingestLive(ledger, info.messages)
          : 0;
      // Then the reply sent from another identity than a BALF's (send-watch.ts).
      const { config: cfg } = await config();
      const foreign = await watchSend(
        { messenger: m, ledger, clock: deps.clock, log, readHeaders: ingestDeps(ledger).getFull },
        cfg,
        await countedAccounts(cfg),
        info,
        own,
      );
      if (foreign > 0) await soonUpload();
      await status(ledger);
    }),
  );
  m.alarms.onAlarm.addListener(
    on('onAlarm', async (ledger, alarm: { name: string }) => {
      log.debug(`alarm ${alarm.name}`);
      if (alarm.name === ALARM_SCAN_SOON) await runScan(ledger);
      else if (alarm.name === ALARM_SCAN) {
        if (!(await walkPlanned())) await runScan(ledger);
      } else if (alarm.name === ALARM_FOLDERS) await scanIfFoldersChanged(ledger);
      else if (quota.handles(alarm.name)) await readQuota(ledger);
      else if (alarm.name === ALARM_BACKFILL)
        await runScan(ledger, { fullUnlessWithinMs: DAILY_WALK_SKIP_MS });
      else if ([ALARM_UPLOAD, ALARM_UPLOAD_RETRY, ALARM_UPLOAD_SOON].includes(alarm.name)) {
        // An upload round reads and batches thousands of rows in IndexedDB, on Thunderbird's main thread:
        // during a back-fill it slowed the walk and the header reads for tens of seconds. It waits.
        if (scanning) await scanning.catch(() => undefined);
        await runUpload(ledger, false);
      }
    }),
  );
  const startUp = on('startup', async (ledger) => {
    await runScan(ledger);
    await runUpload(ledger, false);
  });
  const debugTabAtStartUp = on('startup debug tab', async () => {
    if ((await config()).config.logLevel === 'debug') await openManagedDebugTab();
  });
  // Listeners return their promise: Gecko does not suspend an event page whose listeners are pending.
  m.runtime.onStartup.addListener(async () => {
    await Promise.all([debugTabAtStartUp(), startUp()]);
  });
  m.runtime.onInstalled.addListener(() => startUp());
  m.folders.onFolderInfoChanged.addListener(
    on('folders.onFolderInfoChanged', async () => quota.folderChanged()),
  );
  m.accounts.onCreated.addListener(on('accounts.onCreated', async (ledger) => runScan(ledger)));
  m.accounts.onUpdated.addListener(on('accounts.onUpdated', async (ledger) => runScan(ledger)));
  m.storage.onChanged.addListener(
    on('storage.onChanged', async (ledger, changes: Record<string, unknown>, area: string) => {
      if (area === 'managed' || (area === 'local' && LOCAL_CONFIG_KEY in changes)) {
        const { config: cfg } = await config();
        await scheduleAlarms(cfg.uploadIntervalMinutes);
        // A new token or endpoint deserves a retry of the batches a 4xx had stopped.
        await runUpload(ledger, true);
      }
    }),
  );
  m.menus.onClicked.addListener(
    on('menus.onClicked', async (_ledger, info: { menuItemId: string | number }) => {
      if (info.menuItemId === MENU_SAMPLING) await m.tabs.create({ url: m.runtime.getURL(SAMPLING_PAGE) });
    }),
  );
  m.runtime.onMessage.addListener((message: unknown) => {
    if (!isRequest(message)) return undefined;
    return track(
      (async () => {
        const h = handlers(await ready);
        return (h[message.type] as (r: Request) => Promise<unknown>)(message);
      })(),
    );
  });

  return {
    ready,
    async idle() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
    async handle(req) {
      const h = handlers(await ready);
      return (h[req.type] as (r: Request) => Promise<unknown>)(req);
    },
  };
}
