// Local ledger in IndexedDB (idb): one row per (BALF, message key), the upload queue and batches,
// scan marks and upload results. Every counting path writes here, idempotently.
import { openDB, unwrap, type DBSchema, type IDBPDatabase } from 'idb';
import { MAX_HRE_KEYS, type Category, type TallyRecord, type Via } from '../core/protocol.ts';

export const DB_NAME = 'suivi-balf';
export const DB_VERSION = 5;

/** Upload state of a row. Numbers, because IndexedDB cannot index booleans. */
export const Up = {
  pending: 0,
  batched: 1,
  acknowledged: 2,
  evicted: 3,
  /** Sent message waiting for the end-of-scan heuristic before it is queued. */
  hold: 4,
} as const;
export type UpState = (typeof Up)[keyof typeof Up];

/**
 * Where a received row stands in the refinement of its category (`LedgerRow.refine`): absent once its
 * category was decided with the message's own headers (`hdr`). Numbers, because IndexedDB cannot index
 * booleans.
 */
export const Refine = {
  /** Counted from the message list alone: its headers are still to be read. */
  waiting: 0,
  /**
   * Given up (unreadable REFINE_MAX_FAILURES times, gone, or outside the back-fill window): the row keeps its
   * list-only category, unverified, and no longer holds the figures « provisional ».
   */
  unverified: 1,
} as const;
export type RefineState = (typeof Refine)[keyof typeof Refine];
/** Failed reads (or walks of the message's day that did not see it) after which a row is given up. */
export const REFINE_MAX_FAILURES = 3;

/** What reading a received message's headers decided (see refine.ts), or why it could not. */
export type Refinement =
  { key: string; ok: true; cat: Category; refs: string[]; subject?: string } | { key: string; ok: false };

export interface LedgerRow {
  balf: string;
  key: string;
  dir: 'in' | 'out';
  /** Time of receipt or sending, ISO 8601 (UTC). */
  at: string;
  atMs: number;
  cat: Category;
  re?: string[];
  heuristic?: boolean;
  /** Sent replies: earlier received messages of the same request this reply also closes (core requestClosure). */
  hre?: string[];
  /** A reply sent from another identity than this BALF's (send-watch.ts). */
  via?: Via;
  up: UpState;
  batchId?: string;
  /** Received rows: true when `cat` was decided with the message's own headers (uploaded as `hdr`). */
  hdr?: boolean;
  // Local-only details (never uploaded): for the sampling panel and the heuristic.
  /** Received rows not refined yet, or given up (see Refine); absent once `hdr`. Indexed. */
  refine?: RefineState;
  /** Failed attempts at reading the headers of a row still waiting. */
  refineFailures?: number;
  /** Received rows: keys of the messages it references (In-Reply-To, then References nearest first). */
  refs?: string[];
  headerMessageId: string;
  folder?: string;
  correspondent?: string;
  correspondents?: string[];
  subject?: string;
  firstSeen: string;
}

export interface Batch {
  batchId: string;
  balf: string;
  seq: number;
  records: TallyRecord[];
  keys: string[];
  createdAt: string;
  attempts: number;
  /** 'open' is sent until acknowledged; 'final' got a 4xx and waits for "send now" or a new config. */
  state: 'open' | 'final';
  lastError?: string;
  lastStatus?: number;
}

export interface Eviction {
  at: string;
  count: number;
  oldest: string;
  newest: string;
}

/** What the sampling draw needs of a received usager message to choose it (the full row is read after). */
export interface ReceivedRef {
  balf: string;
  key: string;
  atMs: number;
}

const isPopulation = (row: LedgerRow): boolean => row.dir === 'in' && row.cat === 'usager';
/** A received usager message as a key only: [BALF, time, key], in the order the draw reads them. */
type ReceivedKey = [string, number, string];
const receivedKeyOf = (row: LedgerRow): ReceivedKey => [row.balf, row.atMs, row.key];

interface Schema extends DBSchema {
  rows: {
    key: [string, string];
    value: LedgerRow;
    indexes: {
      byUp: number;
      byBalfAt: [string, number];
      byRe: string;
      byRefine: [string, number, number];
    };
  };
  /** Keys only (value 1): reading keys skips the per-record decoding that made the draw slow. */
  receivedAt: { key: ReceivedKey; value: 1 };
  batches: { key: string; value: Batch; indexes: { byCreated: string } };
  meta: { key: string; value: unknown };
}

/** Opens (and migrates) the ledger database. `factory` lets tests pass fake-indexeddb. */
export async function openLedgerDb(name = DB_NAME): Promise<IDBPDatabase<Schema>> {
  return openDB<Schema>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      // v1: rows and meta.
      if (oldVersion < 1) {
        const rows = db.createObjectStore('rows', { keyPath: ['balf', 'key'] });
        rows.createIndex('byUp', 'up');
        db.createObjectStore('meta');
      }
      // v2: persisted upload batches and the time index used by the popup and the heuristic.
      if (oldVersion < 2) {
        const batches = db.createObjectStore('batches', { keyPath: 'batchId' });
        batches.createIndex('byCreated', 'createdAt');
        tx.objectStore('rows').createIndex('byBalfAt', ['balf', 'atMs']);
      }
      // v3: the draw reads the chosen rows' replies through their `re` keys. (v3 also had a `received`
      // store of {balf, key, atMs} objects, replaced in v4.)
      if (oldVersion < 3) tx.objectStore('rows').createIndex('byRe', 're', { multiEntry: true });
      // v4: what the sampling draw reads first, as keys only. Reading every full row of a 50,000-message
      // BALF took ~5 s in Thunderbird; 20,000 small objects still took ~1.1 s (each record is decoded on
      // its own); keys come back without that decoding.
      if (oldVersion < 4) {
        const legacy = db.objectStoreNames as unknown as DOMStringList;
        if (legacy.contains('received')) db.deleteObjectStore('received' as never);
        const receivedAt = db.createObjectStore('receivedAt');
        const rows = tx.objectStore('rows');
        void (async () => {
          for (let cursor = await rows.openCursor(); cursor; cursor = await cursor.continue()) {
            if (isPopulation(cursor.value)) void receivedAt.put(1, receivedKeyOf(cursor.value));
          }
        })();
      }
      // v5: received rows whose category is still to be decided with their headers, by BALF and time. Every
      // received row of an older version was classified from the message list alone: all of them wait.
      if (oldVersion < 5) {
        const rows = tx.objectStore('rows');
        rows.createIndex('byRefine', ['balf', 'refine', 'atMs']);
        if (oldVersion > 0) {
          void (async () => {
            for (let cursor = await rows.openCursor(); cursor; cursor = await cursor.continue()) {
              const row = cursor.value;
              if (row.dir === 'in' && row.hdr !== true && row.refine === undefined) {
                void cursor.update({ ...row, refine: Refine.waiting });
              }
            }
          })();
        }
      }
    },
  });
}

export type LedgerDb = IDBPDatabase<Schema>;

/** The rows of one BALF in one refinement state, received at `fromMs` or later. */
function refineRange(balf: string, state: RefineState, fromMs = Number.NEGATIVE_INFINITY): IDBKeyRange {
  return IDBKeyRange.bound([balf, state, fromMs], [balf, state, Number.POSITIVE_INFINITY]);
}

/**
 * Meta entry listing the sent rows whose request closure names one received message: the draw finds a
 * chosen message's replies by `re` through the `byRe` index and by `hre` through these entries.
 */
const closedByKey = (balf: string, receivedKey: string): string =>
  `closedBy\u0000${balf}\u0000${receivedKey}`;

export class Ledger {
  constructor(private readonly db: LedgerDb) {}

  /** Keys of `keys` already in the ledger for this BALF (one read transaction). */
  async existingKeys(balf: string, keys: readonly string[]): Promise<Set<string>> {
    const tx = this.db.transaction('rows', 'readonly');
    const found = await Promise.all(keys.map((k) => tx.store.getKey([balf, k])));
    await tx.done;
    return new Set(keys.filter((_k, i) => found[i] !== undefined));
  }

  /**
   * Every key of one BALF (keys only, one request): a back-fill looks its pages up in memory instead of
   * asking for each of its messages.
   */
  async keysOf(balf: string): Promise<Set<string>> {
    const keys = await this.db.getAllKeys('rows', IDBKeyRange.bound([balf], [balf, []]));
    return new Set(keys.map(([, key]) => key));
  }

  async get(balf: string, key: string): Promise<LedgerRow | undefined> {
    return this.db.get('rows', [balf, key]);
  }

  /**
   * Writes rows that are not there yet; returns how many were new. First seen wins. One `add` per
   * row (no read first: half the requests of a back-fill page); a key already there fails alone
   * with ConstraintError, which is kept from aborting the transaction.
   */
  async addIfAbsent(rows: readonly LedgerRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    const tx = this.db.transaction(['rows', 'receivedAt'], 'readwrite');
    const store = unwrap(tx.objectStore('rows'));
    const received = unwrap(tx.objectStore('receivedAt'));
    let added = 0;
    const tolerateDuplicate = (request: IDBRequest): void => {
      request.onerror = (event) => {
        if (request.error?.name !== 'ConstraintError') return;
        event.preventDefault();
        event.stopPropagation();
      };
    };
    for (const row of rows) {
      const request = store.add(row);
      request.onsuccess = () => {
        added += 1;
        // Received rows never change direction or category: their key is written once, with the row
        // that won (a duplicate seen later may carry another time).
        if (isPopulation(row)) received.put(1, receivedKeyOf(row));
      };
      tolerateDuplicate(request);
    }
    await tx.done;
    return added;
  }

  /** References of the received usager messages of one BALF with `fromMs <= atMs < toMs`. */
  async receivedBetween(balf: string, fromMs: number, toMs: number): Promise<ReceivedRef[]> {
    const keys = await this.db.getAllKeys(
      'receivedAt',
      IDBKeyRange.bound([balf, fromMs], [balf, toMs], false, true),
    );
    return keys.map(([b, atMs, key]) => ({ balf: b, key, atMs }));
  }

  /** Full rows of some keys of one BALF, in the order asked (missing ones left out). */
  async rowsOf(balf: string, keys: readonly string[]): Promise<LedgerRow[]> {
    const tx = this.db.transaction('rows', 'readonly');
    const found = await Promise.all(keys.map((k) => tx.store.get([balf, k])));
    await tx.done;
    return found.filter((r): r is LedgerRow => r !== undefined);
  }

  /** Rows of one BALF whose `re` keys name one of `keys` (each row once). */
  async rowsReferring(balf: string, keys: readonly string[]): Promise<LedgerRow[]> {
    const tx = this.db.transaction('rows', 'readonly');
    const index = tx.store.index('byRe');
    const lists = await Promise.all(keys.map((k) => index.getAll(k)));
    await tx.done;
    const byKey = new Map<string, LedgerRow>();
    for (const row of lists.flat()) if (row.balf === balf) byKey.set(row.key, row);
    return [...byKey.values()];
  }

  async put(row: LedgerRow): Promise<void> {
    await this.db.put('rows', row);
  }

  /** Replaces rows in one transaction. */
  async putAll(rows: readonly LedgerRow[]): Promise<void> {
    const tx = this.db.transaction('rows', 'readwrite');
    await Promise.all(rows.map((row) => tx.store.put(row)));
    await tx.done;
  }

  /**
   * Writes request closures (`hre`) of sent rows of one BALF, with the reverse entries the sampling draw
   * reads (`rowsClosing`), in one transaction. A held row is replaced by the given one (its release). Any
   * other row keeps what it has and gains the given keys (the union, as on the server, latest first, at
   * most MAX_HRE_KEYS); one that gains a key is queued again, out of any batch built before (an evicted
   * row stays evicted). Returns the keys of the rows written.
   */
  async putClosures(balf: string, rows: readonly LedgerRow[]): Promise<string[]> {
    const tx = this.db.transaction(['rows', 'meta'], 'readwrite');
    const store = tx.objectStore('rows');
    const meta = tx.objectStore('meta');
    const written: string[] = [];
    const closes = async (sentKey: string, receivedKeys: readonly string[]): Promise<void> => {
      for (const key of receivedKeys) {
        const entry = closedByKey(balf, key);
        const list = ((await meta.get(entry)) as string[] | undefined) ?? [];
        if (!list.includes(sentKey)) await meta.put([...list, sentKey], entry);
      }
    };
    for (const given of rows) {
      const stored = await store.get([balf, given.key]);
      if (stored === undefined) continue;
      if (stored.up === Up.hold) {
        await store.put(given);
        await closes(given.key, given.hre ?? []);
        written.push(given.key);
        continue;
      }
      const had = new Set(stored.hre ?? []);
      const gained = (given.hre ?? []).filter((k) => !had.has(k));
      if (gained.length === 0) continue;
      const hre = [...new Set([...(given.hre ?? []), ...(stored.hre ?? [])])].slice(0, MAX_HRE_KEYS);
      const { batchId: _b, ...rest } = stored;
      await store.put(stored.up === Up.evicted ? { ...stored, hre } : { ...rest, hre, up: Up.pending });
      await closes(given.key, gained);
      written.push(given.key);
    }
    await tx.done;
    return written;
  }

  /** Sent rows of one BALF whose request closure names one of `keys` (each row once). */
  async rowsClosing(balf: string, keys: readonly string[]): Promise<LedgerRow[]> {
    const tx = this.db.transaction(['rows', 'meta'], 'readonly');
    const lists = await Promise.all(keys.map((k) => tx.objectStore('meta').get(closedByKey(balf, k))));
    const sentKeys = [...new Set(lists.flatMap((l) => (l as string[] | undefined) ?? []))];
    const found = await Promise.all(sentKeys.map((k) => tx.objectStore('rows').get([balf, k])));
    await tx.done;
    return found.filter((r): r is LedgerRow => r !== undefined);
  }

  async count(): Promise<number> {
    // Every row is in the byUp index: counting its entries reads keys only, not every stored row (the
    // store's count took tens of ms at 50,000 rows, on the path of each new message's status line).
    return this.db.countFromIndex('rows', 'byUp');
  }

  /** Rows not yet acknowledged by the server (pending, held, in a batch). */
  async queueSize(): Promise<number> {
    const tx = this.db.transaction('rows', 'readonly');
    const idx = tx.store.index('byUp');
    const [p, b, h] = await Promise.all([idx.count(Up.pending), idx.count(Up.batched), idx.count(Up.hold)]);
    await tx.done;
    return p + b + h;
  }

  async rowsWithState(state: UpState, limit?: number): Promise<LedgerRow[]> {
    return this.db.getAllFromIndex('rows', 'byUp', state, limit);
  }

  /** Rows of one BALF with `fromMs <= atMs < toMs`, in time order. */
  async rowsBetween(balf: string, fromMs: number, toMs: number): Promise<LedgerRow[]> {
    return this.db.getAllFromIndex(
      'rows',
      'byBalfAt',
      IDBKeyRange.bound([balf, fromMs], [balf, toMs], false, true),
    );
  }

  async allRows(): Promise<LedgerRow[]> {
    return this.db.getAllFromIndex('rows', 'byBalfAt');
  }

  /** BALFs present in the ledger (skips from one BALF to the next with the cursor). */
  async balfs(): Promise<string[]> {
    const out: string[] = [];
    let cursor = await this.db.transaction('rows').store.index('byBalfAt').openKeyCursor();
    while (cursor) {
      const balf = cursor.key[0];
      out.push(balf);
      cursor = await cursor.continue([balf, Number.POSITIVE_INFINITY]);
    }
    return out;
  }

  /**
   * Persists a new batch and marks its rows, in one transaction (before anything is sent). A row that changed
   * since its record was made (`current` says no: refined meanwhile) stays pending for the next batch; this one
   * still carries the older record, which the server's rules let the newer one replace.
   */
  async createBatch(
    batch: Batch,
    current: (row: LedgerRow, record: TallyRecord) => boolean = () => true,
  ): Promise<void> {
    const tx = this.db.transaction(['rows', 'batches'], 'readwrite');
    const rows = tx.objectStore('rows');
    await Promise.all(
      batch.keys.map(async (key, i) => {
        const row = await rows.get([batch.balf, key]);
        const record = batch.records[i];
        if (row && row.up === Up.pending && record && current(row, record)) {
          await rows.put({ ...row, up: Up.batched, batchId: batch.batchId });
        }
      }),
    );
    await tx.objectStore('batches').put(batch);
    await tx.done;
  }

  async batches(): Promise<Batch[]> {
    return this.db.getAllFromIndex('batches', 'byCreated');
  }

  async updateBatch(batch: Batch): Promise<void> {
    await this.db.put('batches', batch);
  }

  /** The server stored the batch: its rows are acknowledged and the batch is gone. */
  async acknowledgeBatch(batchId: string): Promise<void> {
    const tx = this.db.transaction(['rows', 'batches'], 'readwrite');
    const batch = await tx.objectStore('batches').get(batchId);
    if (batch) {
      const rows = tx.objectStore('rows');
      await Promise.all(
        batch.keys.map(async (key) => {
          const row = await rows.get([batch.balf, key]);
          // A row refined or queued again since it was batched (its request closure grew) left the batch
          // (pending again): its new record is still to send.
          if (row?.batchId === batchId) {
            const { batchId: _b, ...rest } = row;
            await rows.put({ ...rest, up: Up.acknowledged });
          }
        }),
      );
      await tx.objectStore('batches').delete(batchId);
    }
    await tx.done;
  }

  /**
   * Bounds the queue: when more than `max` rows wait, the oldest pending ones (by message time) are
   * marked evicted and the eviction is logged (shown in the options page, never silent).
   */
  async evictOverflow(max: number, now: Date): Promise<Eviction | null> {
    const queued = await this.queueSize();
    if (queued <= max) return null;
    const excess = queued - max;
    const pending = await this.rowsWithState(Up.pending);
    pending.sort((a, b) => a.atMs - b.atMs);
    const victims = pending.slice(0, excess);
    if (victims.length === 0) return null;
    const tx = this.db.transaction('rows', 'readwrite');
    await Promise.all(victims.map((row) => tx.store.put({ ...row, up: Up.evicted })));
    await tx.done;
    const eviction: Eviction = {
      at: now.toISOString(),
      count: victims.length,
      oldest: victims[0]?.at ?? '',
      newest: victims[victims.length - 1]?.at ?? '',
    };
    const log = ((await this.getMeta<Eviction[]>('evictions')) ?? []).concat(eviction).slice(-50);
    await this.setMeta('evictions', log);
    return eviction;
  }

  /** Received rows of one BALF still waiting for their headers, and those given up. */
  async refineCounts(balf: string): Promise<{ waiting: number; unverified: number }> {
    const tx = this.db.transaction('rows', 'readonly');
    const index = tx.store.index('byRefine');
    const [waiting, unverified] = await Promise.all(
      [Refine.waiting, Refine.unverified].map((state) => index.count(refineRange(balf, state))),
    );
    await tx.done;
    return { waiting: waiting ?? 0, unverified: unverified ?? 0 };
  }

  /** Keys of the rows of one BALF waiting for their headers, received at `fromMs` or later (keys only). */
  async waitingKeys(balf: string, fromMs = Number.NEGATIVE_INFINITY): Promise<Set<string>> {
    const keys = await this.db.getAllKeysFromIndex(
      'rows',
      'byRefine',
      refineRange(balf, Refine.waiting, fromMs),
    );
    return new Set(keys.map(([, key]) => key));
  }

  /** Time of the oldest row of one BALF waiting for its headers, or undefined when none waits. */
  async earliestWaiting(balf: string): Promise<number | undefined> {
    const cursor = await this.db
      .transaction('rows')
      .store.index('byRefine')
      .openKeyCursor(refineRange(balf, Refine.waiting));
    return cursor?.key[2];
  }

  /**
   * Writes what reading headers decided, in one transaction. A refined row loses its waiting mark, takes the
   * category decided with the headers (`hdr`) and goes back to the upload queue even when its category did not
   * change (the server clears its « provisional » mark): acknowledged → pending, batched → pending out of its
   * batch (see acknowledgeBatch); an evicted row stays evicted. A failure counts against the row, which is
   * given up (unverified, list-only category) at REFINE_MAX_FAILURES. Rows already refined are left alone.
   * Returns how many rows changed category.
   */
  async applyRefinements(balf: string, results: readonly Refinement[]): Promise<number> {
    if (results.length === 0) return 0;
    const tx = this.db.transaction(['rows', 'receivedAt'], 'readwrite');
    const rows = tx.objectStore('rows');
    const received = tx.objectStore('receivedAt');
    let changed = 0;
    await Promise.all(
      results.map(async (result) => {
        const row = await rows.get([balf, result.key]);
        if (!row || row.dir !== 'in' || row.hdr === true || row.refine === Refine.unverified) return;
        if (!result.ok) {
          const failures = (row.refineFailures ?? 0) + 1;
          await rows.put({
            ...row,
            refineFailures: failures,
            refine: failures >= REFINE_MAX_FAILURES ? Refine.unverified : Refine.waiting,
          });
          return;
        }
        const { refine: _r, refineFailures: _f, batchId: _b, ...rest } = row;
        const up = row.up === Up.acknowledged || row.up === Up.batched ? Up.pending : row.up;
        const refined: LedgerRow = {
          ...rest,
          up,
          cat: result.cat,
          hdr: true,
          ...(result.refs.length > 0 ? { refs: result.refs } : {}),
          ...(result.subject !== undefined ? { subject: result.subject } : {}),
        };
        if (result.cat !== row.cat) changed += 1;
        await rows.put(refined);
        if (isPopulation(row) && !isPopulation(refined)) await received.delete(receivedKeyOf(row));
        if (!isPopulation(row) && isPopulation(refined)) await received.put(1, receivedKeyOf(refined));
      }),
    );
    await tx.done;
    return changed;
  }

  /** Gives up the rows of one BALF still waiting that were received before `beforeMs` (out of every walk). */
  async giveUpBefore(balf: string, beforeMs: number): Promise<number> {
    const tx = this.db.transaction('rows', 'readwrite');
    const range = IDBKeyRange.bound(
      [balf, Refine.waiting, Number.NEGATIVE_INFINITY],
      [balf, Refine.waiting, beforeMs],
      false,
      true,
    );
    const rows = await tx.store.index('byRefine').getAll(range);
    await Promise.all(rows.map((row) => tx.store.put({ ...row, refine: Refine.unverified })));
    await tx.done;
    return rows.length;
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    return (await this.db.get('meta', key)) as T | undefined;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.db.put('meta', value, key);
  }

  /** Deletes every local row, batch and mark (the options page's "purge"). */
  async purge(): Promise<void> {
    const tx = this.db.transaction(['rows', 'receivedAt', 'batches', 'meta'], 'readwrite');
    await Promise.all([
      tx.objectStore('rows').clear(),
      tx.objectStore('receivedAt').clear(),
      tx.objectStore('batches').clear(),
      tx.objectStore('meta').clear(),
    ]);
    await tx.done;
  }
}
