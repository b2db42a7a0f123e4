// Storage watch of the add-on: reads each watched BALF's IMAP quota through Thunderbird (INBOX's
// `MailFolderInfo.quota`, 121+), keeps the readings worth sending and sends them with the uploads
// to POST {endpoint}/api/v1/quota-samples. Wired by small hooks in the background.
import { storageBand, storagePercent, type StorageBand } from '../core/storage.ts';
import { STORAGE_SCHEMA, storageOfQuota, type QuotaEntry } from '../core/storage-protocol.ts';
import type { Config } from './config.ts';
import type { Ledger } from './ledger.ts';
import type { Logger } from './logger.ts';
import type { Clock, MailAccount, MailFolder, Messenger } from './platform.ts';
import type { BalfAccount } from './scanner.ts';
import type { ClientInfo } from './uploader.ts';
import { withTimeout } from './with-timeout.ts';

/** Hourly reading, so that every hour of the server's line has a point. */
export const ALARM_QUOTA = 'quota';
export const QUOTA_PERIOD_MINUTES = 60;
/** A reading a few seconds after a BALF folder changed: Thunderbird asks the server on its folder update. */
export const ALARM_QUOTA_SOON = 'quota-soon';
export const QUOTA_SOON_MS = 5_000;
/** A reading is sent without waiting for the next hour when the use moved by this share of the quota. */
export const QUOTA_MOVE_SHARE = 0.01;
/** A server without the storage watch (404) is asked again after a day. */
export const UNSUPPORTED_RETRY_MS = 24 * 3_600_000;
export const QUOTA_META_KEY = 'quota';
const CALL_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 20_000;

/** One look at a BALF's quota, as the wire carries it. */
export interface QuotaReading {
  balf: string;
  at: string;
  quota: QuotaEntry[];
}

interface QuotaState {
  /** Latest reading worth sending, per BALF. */
  pending: Record<string, QuotaReading>;
  /** Last reading the server acknowledged, per BALF. */
  sent: Record<string, QuotaReading>;
  /** When a server answered 404 (no storage watch): no new try before UNSUPPORTED_RETRY_MS. */
  unsupportedAt?: string;
}

/** Thunderbird's entries in wire form; anything else (no type, negative or absurd numbers) is left out. */
export function quotaEntries(raw: unknown): QuotaEntry[] {
  if (!Array.isArray(raw)) return [];
  const ok = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
  const out: QuotaEntry[] = [];
  for (const q of raw as { type?: unknown; used?: unknown; limit?: unknown }[]) {
    if (!ok(q?.used) || !ok(q?.limit)) continue;
    // Thunderbird hands STORAGE in bytes: it multiplies the IMAP protocol's KiB by 1024 (checked on 153).
    if (q.type === 'STORAGE') out.push({ type: 'STORAGE', unit: 'byte', used: q.used, limit: q.limit });
    else if (q.type === 'MESSAGE')
      out.push({ type: 'MESSAGE', unit: 'message', used: q.used, limit: q.limit });
  }
  return out;
}

/** The account's INBOX (special use, else by path): its quota roots are the account's. */
export function inboxOf(account: MailAccount): MailFolder | undefined {
  const all: MailFolder[] = [];
  const visit = (list: readonly MailFolder[] | null | undefined) => {
    for (const f of list ?? []) {
      all.push(f);
      visit(f.subFolders);
    }
  };
  visit(account.rootFolder?.subFolders ?? account.folders);
  return (
    all.find((f) => f.specialUse?.includes('inbox')) ?? all.find((f) => f.path.toUpperCase() === '/INBOX')
  );
}

/**
 * True when a reading is worth sending: the first, one in a new UTC hour (one point an hour on the
 * server), a quota appearing or going, a new limit, or a use that moved by QUOTA_MOVE_SHARE of it.
 */
export function isDue(reading: QuotaReading, last: QuotaReading | undefined): boolean {
  if (last === undefined || reading.at.slice(0, 13) !== last.at.slice(0, 13)) return true;
  const now = storageOfQuota(reading.quota);
  const before = storageOfQuota(last.quota);
  if (now === null || before === null) return (now === null) !== (before === null);
  return now.limit !== before.limit || Math.abs(now.used - before.used) >= QUOTA_MOVE_SHARE * now.limit;
}

/** What the popup shows of a BALF's storage: its use, when Thunderbird gives a quota. */
export interface StorageUse {
  balf: string;
  usedBytes: number;
  limitBytes: number;
  percent: number;
  band: StorageBand;
}

export interface QuotaDeps {
  messenger: Pick<Messenger, 'accounts' | 'folders' | 'alarms'>;
  fetch: typeof fetch;
  clock: Clock;
  log: Logger;
  timeoutSignal?: (ms: number) => AbortSignal;
}

export class QuotaWatch {
  constructor(private readonly deps: QuotaDeps) {}

  private async state(ledger: Ledger): Promise<QuotaState> {
    return (await ledger.getMeta<QuotaState>(QUOTA_META_KEY)) ?? { pending: {}, sent: {} };
  }

  /** The hourly reading (kept if already planned with the same period). */
  async schedule(): Promise<void> {
    const { alarms } = this.deps.messenger;
    if ((await alarms.get(ALARM_QUOTA))?.periodInMinutes !== QUOTA_PERIOD_MINUTES)
      await alarms.create(ALARM_QUOTA, { delayInMinutes: 1, periodInMinutes: QUOTA_PERIOD_MINUTES });
  }

  handles(alarm: string): boolean {
    return alarm === ALARM_QUOTA || alarm === ALARM_QUOTA_SOON;
  }

  /**
   * A folder changed (mail came or went): read again once the changes stop for QUOTA_SOON_MS (each event
   * moves the alarm). Any account's folder: telling a BALF's would cost an account listing per event, and
   * a reading that did not move is dropped by isDue.
   */
  async folderChanged(): Promise<void> {
    await this.deps.messenger.alarms.create(ALARM_QUOTA_SOON, {
      when: this.deps.clock().getTime() + QUOTA_SOON_MS,
    });
  }

  /** Reads every watched BALF's quota; keeps the readings worth sending. True when one is waiting. */
  async read(ledger: Ledger, accounts: readonly BalfAccount[]): Promise<boolean> {
    if (accounts.length === 0) return false;
    const { messenger, clock, log } = this.deps;
    let listed: MailAccount[];
    try {
      listed = await withTimeout(messenger.accounts.list(true), CALL_TIMEOUT_MS);
    } catch (error) {
      log.debug('quota: accounts unavailable', error instanceof Error ? error.message : error);
      return false;
    }
    const readings: QuotaReading[] = [];
    for (const a of accounts) {
      const account = listed.find((x) => x.id === a.accountId);
      const inbox = account && inboxOf(account);
      if (!inbox) continue;
      try {
        const info = (await withTimeout(
          messenger.folders.getFolderInfo(inbox.id ?? inbox),
          CALL_TIMEOUT_MS,
        )) as {
          quota?: unknown;
        };
        readings.push({ balf: a.balf, at: clock().toISOString(), quota: quotaEntries(info.quota) });
      } catch (error) {
        // No reading at all is not « no quota »: the next look will tell.
        log.debug(`quota: ${a.balf} unreadable`, error instanceof Error ? error.message : error);
      }
    }
    const state = await this.state(ledger);
    let changed = false;
    for (const r of readings) {
      if (!isDue(r, state.pending[r.balf] ?? state.sent[r.balf])) continue;
      state.pending[r.balf] = r;
      changed = true;
    }
    if (changed) await ledger.setMeta(QUOTA_META_KEY, state);
    log.debug(`quota: ${JSON.stringify(readings)}`);
    return Object.keys(state.pending).length > 0;
  }

  /** Sends the waiting readings (one request); kept for the next round on 429, 5xx or no answer. */
  async send(ledger: Ledger, config: Config, client: ClientInfo): Promise<void> {
    const { clock, log } = this.deps;
    const state = await this.state(ledger);
    const readings = Object.values(state.pending);
    if (readings.length === 0 || !config.endpoint || !config.token) return;
    if (state.unsupportedAt && clock().getTime() - Date.parse(state.unsupportedAt) < UNSUPPORTED_RETRY_MS)
      return;
    let status: number;
    try {
      const response = await this.deps.fetch(`${config.endpoint}/api/v1/quota-samples`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${config.token}` },
        body: JSON.stringify({ schema: STORAGE_SCHEMA, client, samples: readings }),
        signal: (this.deps.timeoutSignal ?? ((ms: number) => AbortSignal.timeout(ms)))(REQUEST_TIMEOUT_MS),
      });
      status = response.status;
      if (!response.ok)
        log.warn(`quota: HTTP ${status} ${(await response.text().catch(() => '')).slice(0, 300)}`);
    } catch (error) {
      log.info('quota: not sent, kept for the next upload', error instanceof Error ? error.message : error);
      return;
    }
    if (status === 429 || status >= 500) return;
    // Read again: readings taken while the request ran stay waiting.
    const now = await this.state(ledger);
    for (const r of readings) {
      if (now.pending[r.balf]?.at === r.at) delete now.pending[r.balf];
      if (status < 300) now.sent[r.balf] = r;
    }
    // A 4xx is final for these readings (the next ones come within the hour); 404: a server without the watch.
    if (status === 404) now.unsupportedAt = clock().toISOString();
    else delete now.unsupportedAt;
    await ledger.setMeta(QUOTA_META_KEY, now);
  }

  /** The latest known use of each BALF (waiting or sent), for the popup. */
  async uses(ledger: Ledger, balfs: readonly string[]): Promise<StorageUse[]> {
    const state = await this.state(ledger);
    const out: StorageUse[] = [];
    for (const balf of balfs) {
      const candidates = [state.pending[balf], state.sent[balf]].filter(
        (r): r is QuotaReading => r !== undefined,
      );
      const latest = candidates.sort((a, b) => (a.at < b.at ? 1 : -1))[0];
      const use = latest && storageOfQuota(latest.quota);
      if (!use) continue;
      out.push({
        balf,
        usedBytes: use.used,
        limitBytes: use.limit,
        percent: storagePercent(use.used, use.limit),
        band: storageBand(use.used, use.limit),
      });
    }
    return out;
  }
}
