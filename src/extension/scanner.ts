// Reconcile scan: walks each BALF account with messages.query + continueList from the last scan's
// start minus an overlap (first run: the back-fill window), feeding the shared ingest path; received mail is
// counted from the list and its headers read alongside the walk (refine.ts).
import type { Config } from './config.ts';
import { balfAddressOf } from './config.ts';
import {
  addStats,
  ingestHeaders,
  mayReadHeaders,
  noStats,
  releaseHeld,
  type IngestDeps,
  type IngestStats,
  type RefineTask,
} from './ingest.ts';
import type { MailAccount, MessageList, QueryInfo } from './platform.ts';
import { Refiner } from './refine.ts';

/** Re-read this much before the previous scan's start: late IMAP syncs and clock skew. */
export const SCAN_OVERLAP_MS = 2 * 86_400_000;
export const PAGE_SIZE = 1000;
/**
 * Header reads of received messages in flight while a walk is still asking for pages (`concurrency` once it
 * has seen them all; none while a page's own reads of sent mail run): the walk's pages and the reads share
 * Thunderbird's main thread, and the first figures come with the last page.
 */
export const REFINE_WHILE_WALKING = 4;

export interface ScanMark {
  accountId: string;
  balf: string;
  /** Start of the scan in progress, if one is running (or was interrupted by an unload). */
  runningSince?: string;
  /** Start of the last scan that completed: the next one reads from here minus the overlap. */
  lastStartedAt?: string;
  lastCompletedAt?: string;
  lastStats?: IngestStats;
  lastError?: string;
  /** Messages seen by the last walk of the whole back-fill window. */
  lastFullSeen?: number;
  /** Start of the last walk of the whole back-fill window that read every message (none failed). */
  lastFullAt?: string;
  /**
   * Two successive full walks saw the same number of messages: Thunderbird has synced the
   * account, and later scans can start from the previous one. Until then every scan is full,
   * because folders appear seconds (large ones: a minute) after start-up.
   */
  settled?: boolean;
  /** First walk ever of this account: an account that stays empty settles 5 minutes after it. */
  firstWalkAt?: string;
  /**
   * Message counts Thunderbird reports for the account's folders at the last walk. A change
   * means a folder was synced (possibly with old mail, outside any incremental window): the
   * next walk is full and the account must settle again.
   */
  folders?: string;
  /**
   * Per folder path: its message count (taken before the walk) when a walk last covered it and
   * saw messages in it (or a walk of that folder alone confirmed none in the window), moved up when
   * an incremental walk accounts for its growth. 0 or absent with a count above 0 now: the folder must be walked (see pendingFolders).
   */
  walked?: Record<string, number>;
}

/** A non-empty folder whose walk alone finds nothing in the window is believed only this long after the first walk. */
export const LONE_EMPTY_WALK_MS = 60_000;

/** An empty account is taken as synced only after this long (its folders may not be listed yet). */
export const EMPTY_SETTLE_MS = 5 * 60_000;

export interface ScanDeps extends IngestDeps {
  query: (info: QueryInfo) => Promise<MessageList | string>;
  continueList: (listId: string) => Promise<MessageList>;
  /** Stops a list Thunderbird is still filling (Thunderbird 120+; absent before). */
  abortList?: (listId: string) => Promise<void>;
  /** Folder message counts of an account, as one comparable string (see ScanMark.folders). */
  folderSignature?: (accountId: string) => Promise<string>;
  /** Thunderbird's id of a folder seen by the last folderSignature call, to walk that folder alone. */
  folderIdOf?: (accountId: string, path: string) => string | undefined;
  /** Lets Thunderbird breathe between pages. */
  yieldNow: () => Promise<void>;
  /**
   * Called when a walk has counted every message it saw, before it waits for the last header reads of its
   * received messages: the first figures (the status line says so).
   */
  counted?: () => Promise<void>;
  /** Progress of a walk, one line a page (debug log: where the time goes in a long back-fill). */
  trace?: (line: string) => void;
  pageSize?: number;
}

export interface BalfAccount {
  accountId: string;
  balf: string;
}

export function markKey(a: BalfAccount): string {
  return `scan:${a.accountId}:${a.balf}`;
}

/** Accounts whose identities hold a configured BALF address. */
export function balfAccounts(config: Config, accounts: readonly MailAccount[]): BalfAccount[] {
  const out: BalfAccount[] = [];
  for (const account of accounts) {
    const balf = balfAddressOf(config, account.identities ?? []);
    if (balf) out.push({ accountId: account.id, balf });
  }
  return out;
}

function parseSignature(signature: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of (signature ?? '').split('|')) {
    const i = part.lastIndexOf(':');
    const count = Number(part.slice(i + 1));
    if (i > 0 && Number.isFinite(count)) out.set(part.slice(0, i), count);
  }
  return out;
}

/**
 * True when a folder that was absent or empty at the last walk now has messages: Thunderbird has
 * synced it (maybe with old mail). A folder that merely grows is new mail, which the live listener
 * and the incremental scans cover — no full walk for that.
 */
export function newlySynced(before: string | undefined, now: string): boolean {
  const previous = parseSignature(before);
  for (const [path, count] of parseSignature(now)) {
    if (count > 0 && (previous.get(path) ?? 0) === 0) return true;
  }
  return false;
}

/**
 * Folder counts worth deciding on: not when Thunderbird could not list the folders or listed none
 * (yet). Then the account is taken as synced once two full walks agree.
 */
function usable(signature: string | undefined): signature is string {
  return signature !== undefined && signature !== 'unavailable' && parseSignature(signature).size > 0;
}

/**
 * Folders that hold messages (per Thunderbird's counts) that no walk has covered yet: newly synced
 * ones, and those a walk saw empty or saw change under it. A folder that merely grew is new mail,
 * which the live listener and the incremental scans cover.
 */
export function pendingFolders(walked: Record<string, number> | undefined, signature: string): string[] {
  const out: string[] = [];
  for (const [path, count] of parseSignature(signature)) {
    if (count > 0 && !((walked?.[path] ?? 0) > 0)) out.push(path);
  }
  return out;
}

/**
 * Folders whose count grew since the walk that covered them: new mail (explained by the next
 * incremental walk) or old mail Thunderbird synced late, e.g. after an IMAP reconnection (then
 * the folder is walked alone over the back-fill window).
 */
export function grownFolders(walked: Record<string, number> | undefined, signature: string): string[] {
  const out: string[] = [];
  for (const [path, count] of parseSignature(signature)) {
    const base = walked?.[path] ?? 0;
    if (base > 0 && count > base) out.push(path);
  }
  return out;
}

/** A query answered with a list id alone (returnMessageListId) starts with an empty page. */
export function asList(x: MessageList | string): MessageList {
  return typeof x === 'string' ? { id: x, messages: [] } : x;
}

type Scope = 'full' | 'folders' | 'incremental';

const DAY_MS = 86_400_000;

export interface ScanOptions {
  /** Walk the whole back-fill window whatever the mark says. */
  full?: boolean;
  /**
   * Walk the whole window unless a complete walk of it started less than this long ago (the daily
   * re-walk: skipped after the first back-fill, or when Thunderbird restarts during the day).
   */
  fullUnlessWithinMs?: number;
}

/** Whether the account's last complete walk of the whole window is older than `withinMs` (or unknown). */
export function fullWalkDue(mark: Pick<ScanMark, 'lastFullAt'>, now: Date, withinMs: number): boolean {
  const last = mark.lastFullAt === undefined ? Number.NaN : Date.parse(mark.lastFullAt);
  // A date in the future (the workstation's clock was set back) does not hold the walk off.
  return !(now.getTime() - last < withinMs && last <= now.getTime());
}

/**
 * Scans one BALF account. The mark is persisted before the walk, so an event page unloaded
 * mid-scan leaves `runningSince`; the next instance scans again from the same point and the
 * ledger makes the already counted part cheap.
 *
 * Which walk: the whole back-fill window the first time (and daily); afterwards, when Thunderbird's
 * folder counts show folders no walk has covered (opened or synced after start-up), those folders
 * alone over the window; otherwise the incremental window. Without folder counts, the account is
 * taken as synced once two full walks agree.
 */
export async function scanAccount(
  deps: ScanDeps,
  config: Config,
  account: BalfAccount,
  options: ScanOptions = {},
): Promise<IngestStats> {
  const key = markKey(account);
  const mark: ScanMark = (await deps.ledger.getMeta<ScanMark>(key)) ?? account;
  const now = deps.clock();
  const before = deps.folderSignature ? await deps.folderSignature(account.accountId) : undefined;
  const byCounts = usable(before);
  const pending = byCounts ? pendingFolders(mark.walked, before) : [];
  const foldersChanged = !byCounts && before !== undefined && newlySynced(mark.folders, before);
  let scope: Scope;
  let folderIds: string[] = [];
  const forced =
    options.full === true ||
    (options.fullUnlessWithinMs !== undefined && fullWalkDue(mark, now, options.fullUnlessWithinMs));
  if (forced || mark.lastStartedAt === undefined) scope = 'full';
  else if (byCounts && pending.length > 0) {
    const ids = pending.map((path) => deps.folderIdOf?.(account.accountId, path));
    folderIds = ids.filter((id): id is string => id !== undefined);
    scope = mark.walked !== undefined && folderIds.length === ids.length ? 'folders' : 'full';
  } else scope = mark.settled === true && !foldersChanged ? 'incremental' : 'full';
  const windowStart = now.getTime() - config.backfillDays * DAY_MS;
  // Rows still waiting for their headers are looked for by the walk: one older than the window never will be.
  await deps.ledger.giveUpBefore(account.balf, windowStart);
  const earliestWaiting = await deps.ledger.earliestWaiting(account.balf);
  const fromMs =
    scope === 'incremental'
      ? Math.max(
          windowStart,
          Math.min(Date.parse(mark.lastStartedAt ?? '') - SCAN_OVERLAP_MS, earliestWaiting ?? Infinity),
        )
      : windowStart;
  const startedAt = mark.runningSince ?? now.toISOString();
  await deps.ledger.setMeta(key, { ...mark, ...account, runningSince: startedAt });

  let result: WalkResult;
  try {
    result = await walk(deps, config, account, fromMs, folderIds, scope !== 'incremental');
  } catch (error) {
    // A failure (unlike an unload) ends the scan: the next alarm starts a new one.
    const { runningSince: _r, ...rest } = mark;
    await deps.ledger.setMeta(key, {
      ...rest,
      ...account,
      lastError: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
  const { stats } = result;
  const after = byCounts && deps.folderSignature ? await deps.folderSignature(account.accountId) : before;
  const firstWalkAt = mark.firstWalkAt ?? startedAt;
  const waitedForEmpty = now.getTime() - Date.parse(firstWalkAt) >= EMPTY_SETTLE_MS;
  const loneZeroBelieved = now.getTime() - Date.parse(firstWalkAt) >= LONE_EMPTY_WALK_MS;
  let walked = mark.walked;
  let settled: boolean;
  if (byCounts && usable(after)) {
    const counts = parseSignature(before);
    const countsAfter = parseSignature(after);
    if (scope === 'incremental' && walked !== undefined) {
      walked = { ...walked };
      for (const [path, count] of counts) {
        const base = walked[path] ?? 0;
        if (base <= 0) continue;
        if (count < base) walked[path] = count;
        else if (count > base) {
          // Growth the window does not account for is old mail synced late: walk the folder alone.
          const explained =
            count - base <= (result.byFolder.get(path) ?? 0) && countsAfter.get(path) === count;
          walked[path] = explained && stats.failed === 0 ? count : 0;
        }
      }
    } else if (scope !== 'incremental') {
      walked = scope === 'full' ? {} : { ...mark.walked };
      for (const path of scope === 'full' ? counts.keys() : pending) {
        const count = counts.get(path) ?? 0;
        // A full walk that saw nothing of a non-empty folder may have run before Thunderbird opened
        // it: that folder is walked again alone. An IMAP folder's count can come from the server
        // (STATUS) before its headers are downloaded, so an empty walk of it alone is believed (all
        // its mail is older than the window) only a while after the first walk. Growth
        // during the walk shows as a grown folder, which the next incremental walk looks at.
        // A message whose headers could not be read was not counted: its folder is walked again.
        const seenAny = (result.byFolder.get(path) ?? 0) > 0 || (scope === 'folders' && loneZeroBelieved);
        walked[path] = seenAny && stats.failed === 0 ? count : 0;
      }
    }
    const empty = [...countsAfter.values()].every((c) => c === 0);
    settled =
      pendingFolders(walked, after).length === 0 &&
      (!empty || waitedForEmpty) &&
      stats.failed === 0 &&
      // A walk over the window that still found messages to add may have raced Thunderbird's own
      // download of the folder's headers: an IMAP folder of 100,000 messages takes minutes, and its
      // count — the server's, announced at once — does not move meanwhile. Walk again (soon) until
      // one finds nothing new — unless this walk saw every message of every folder it covered: then
      // nothing is left to arrive (the confirming walk of a 100,000-message INBOX took 60 to 85 s).
      (scope === 'incremental' ||
        stats.added === 0 ||
        (scope === 'full' && sawWhole(result.byFolder, counts, countsAfter)));
  } else {
    const agree = scope === 'full' && mark.lastFullSeen === stats.seen && (stats.seen > 0 || waitedForEmpty);
    settled = ((mark.settled === true && !foldersChanged) || agree) && stats.failed === 0;
  }
  // A walk of every folder over a synced account that did not see a waiting row's message: gone, or moved out
  // of the account. That counts as a failed read, so the row is given up after a few such walks.
  if (settled && scope !== 'folders' && result.missed.length > 0) {
    await deps.ledger.applyRefinements(
      account.balf,
      result.missed.map((key) => ({ key, ok: false })),
    );
  }
  const done: ScanMark = {
    ...account,
    firstWalkAt,
    // A walk of some folders alone leaves the incremental start where the last scan of all of them put it.
    lastStartedAt: scope === 'folders' ? (mark.lastStartedAt ?? startedAt) : startedAt,
    lastCompletedAt: deps.clock().toISOString(),
    lastStats: stats,
    ...(scope === 'full'
      ? { lastFullSeen: stats.seen }
      : mark.lastFullSeen !== undefined
        ? { lastFullSeen: mark.lastFullSeen }
        : {}),
    ...(scope === 'full' && stats.failed === 0
      ? { lastFullAt: startedAt }
      : mark.lastFullAt !== undefined
        ? { lastFullAt: mark.lastFullAt }
        : {}),
    settled,
    ...(after !== undefined ? { folders: after } : {}),
    ...(walked !== undefined ? { walked } : {}),
  };
  await deps.ledger.setMeta(key, done);
  return stats;
}

/**
 * True when a walk saw, in each folder, as many messages as Thunderbird counts there, before and after
 * the walk alike: the folders hold nothing the walk has not seen (no header still to download, no mail
 * older than the window).
 */
function sawWhole(
  byFolder: ReadonlyMap<string, number>,
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
): boolean {
  for (const [path, count] of after) {
    if (before.get(path) !== count || (byFolder.get(path) ?? 0) < count) return false;
  }
  return true;
}

interface WalkResult {
  stats: IngestStats;
  /** Messages seen per folder path. */
  byFolder: Map<string, number>;
  /** Keys of rows waiting for their headers, dated within the walk's window, whose message it did not see. */
  missed: string[];
}

/** One pass of query + continueList pages through the ingest path (some folders only, if given). */
async function walk(
  deps: ScanDeps,
  config: Config,
  account: BalfAccount,
  fromMs: number,
  folderIds: readonly string[],
  wide: boolean,
): Promise<WalkResult> {
  let stats = noStats();
  const byFolder = new Map<string, number>();
  const ctx = { balf: account.balf, config };
  const walkStart = performance.now();
  let pages = 0;
  // A walk of the whole window looks most of its messages up: one read of every key of the BALF costs
  // less than a request per message. An incremental walk sees few messages and asks for those.
  const known = wide ? await deps.ledger.keysOf(account.balf) : undefined;
  const waiting = await deps.ledger.waitingKeys(account.balf, fromMs);
  const walkingConcurrency = Math.min(REFINE_WHILE_WALKING, deps.concurrency ?? 8);
  const refiner = new Refiner(deps, ctx, walkingConcurrency);
  const listFirst = { refine: (tasks: RefineTask[]) => refiner.add(tasks), waiting };
  let page: MessageList | null = asList(
    await deps.query({
      accountId: account.accountId,
      ...(folderIds.length > 0
        ? { folderId: folderIds.length === 1 ? (folderIds[0] as string) : [...folderIds] }
        : {}),
      fromDate: new Date(fromMs),
      messagesPerPage: deps.pageSize ?? PAGE_SIZE,
      autoPaginationTimeout: 0,
    }),
  );
  try {
    while (page) {
      // Ask for the next page while this one is processed. Thunderbird builds a query's pages ahead, read or
      // not; its answer to continueList (a page serialized for this process) runs on the main thread that
      // also answers header reads, so a page whose messages need their full header asks once those are read.
      const pageId = page.id;
      let next: Promise<MessageList | string> | null = null;
      const requestNext = (): void => {
        if (next || !pageId) return;
        next = deps.continueList(pageId);
        next.catch(() => undefined);
      };
      const messages = page.messages ?? [];
      for (const h of messages) {
        const path = h.folder?.path;
        if (path !== undefined) byFolder.set(path, (byFolder.get(path) ?? 0) + 1);
      }
      const readsFirst = messages.some((h) => mayReadHeaders(ctx, h, true));
      if (readsFirst) {
        // The page's own reads (sent mail) come before its rows are written and its next page asked for:
        // refinement, which can wait, pauses meanwhile.
        refiner.setConcurrency(0);
      } else requestNext();
      const readsDone = (): void => {
        refiner.setConcurrency(walkingConcurrency);
        requestNext();
      };
      stats = addStats(
        stats,
        await ingestHeaders(deps, ctx, messages, {
          deferHeuristic: true,
          readsDone,
          listFirst,
          ...(known ? { known } : {}),
        }),
      );
      readsDone();
      pages += 1;
      const ms = Math.round(performance.now() - walkStart);
      deps.trace?.(
        `walk: ${JSON.stringify({ ms, pages, seen: stats.seen, headersRead: stats.headersRead })}`,
      );
      await deps.yieldNow();
      const waitStart = performance.now();
      page = next ? asList(await next) : null;
      stats.phaseMs.pageWait += Math.round(performance.now() - waitStart);
    }
  } catch (error) {
    // Thunderbird goes on building the pages of a list nobody reads (it converts every message of the
    // window on its main thread, read or not): a walk that fails stops its list.
    if (page?.id) await deps.abortList?.(page.id).catch(() => undefined);
    // Reads in flight end and are written; the rest waits for the next walk.
    refiner.stop();
    await refiner.drain().catch(() => undefined);
    throw error;
  }
  await deps.counted?.();
  refiner.setConcurrency(deps.concurrency ?? 8);
  const refined = await refiner.drain();
  stats.refined = refined.refined;
  stats.reclassified = refined.changed;
  stats.refineFailed = refined.failed;
  stats.refineStopped = refined.stopped ? 1 : 0;
  if (refined.readError !== undefined) stats.readError ??= refined.readError;
  const missed = [...waiting].filter((key) => !refiner.has(key));
  return { stats, byFolder, missed };
}

/** Scans every BALF account, then releases the sent rows held for the heuristic. */
export async function reconcile(
  deps: ScanDeps,
  config: Config,
  accounts: readonly BalfAccount[],
  options: ScanOptions = {},
): Promise<{ stats: IngestStats; errors: string[]; released: number }> {
  let stats = noStats();
  const errors: string[] = [];
  for (const account of accounts) {
    try {
      stats = addStats(stats, await scanAccount(deps, config, account, options));
    } catch (error) {
      errors.push(`${account.balf}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const stillSyncing = new Set<string>();
  for (const account of accounts) {
    if (!(await scanComplete(deps, [account]))) stillSyncing.add(account.balf);
  }
  const released = await releaseHeld(deps.ledger, stillSyncing);
  await deps.ledger.setMeta('lastScan', { at: deps.clock().toISOString(), stats, errors });
  return { stats, errors, released };
}

/** True when every BALF account is settled (see ScanMark) and no scan is running. */
export async function scanComplete(
  deps: Pick<ScanDeps, 'ledger' | 'folderSignature'>,
  accounts: readonly BalfAccount[],
): Promise<boolean> {
  if (accounts.length === 0) return false;
  for (const account of accounts) {
    const mark = await deps.ledger.getMeta<ScanMark>(markKey(account));
    if (!mark?.lastCompletedAt || mark.runningSince || mark.settled !== true) return false;
    if (!deps.folderSignature) continue;
    const now = await deps.folderSignature(account.accountId);
    if (usable(now) && mark.walked !== undefined) {
      if (pendingFolders(mark.walked, now).length > 0 || grownFolders(mark.walked, now).length > 0)
        return false;
    } else if (newlySynced(mark.folders, now)) return false;
  }
  return true;
}
