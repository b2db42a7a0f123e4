/**
 * Group commit for SQLite: batches that arrive while another one is being written are stored in
 * one transaction (one savepoint each) and made durable by a single COMMIT, hence one WAL fsync
 * for the group instead of one per batch. Every answer is still given only after that fsync.
 *
 * On a WAL file the fsync is taken off the server thread: the group's COMMIT runs with
 * `synchronous = NORMAL` (WAL consistent; SQLite itself syncs around checkpoints) and the WAL is then
 * synced in libuv's thread pool — exactly the one extra sync `synchronous = FULL` adds at each commit
 * — while the thread goes on with the next group. The connection is back to FULL before anyone
 * else can use it, so the other writers (tokens, users, directory, purge) keep FULL as set at open.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type SQLite from 'better-sqlite3';
import { sql, type ControlledTransaction, type Kysely } from 'kysely';
import { isWalFile, sqliteHandleOf } from '../db/connect.ts';
import type { Database, Db } from '../db/schema.ts';
import { syncFile } from './wal-sync.ts';

/** Stores one batch inside the group's transaction (its own savepoint); throws to refuse it alone. */
export type GroupWork<T> = (trx: ControlledTransaction<Database>) => Promise<T>;

interface Outcome {
  ok: boolean;
  value: unknown;
}

interface Pending {
  work: GroupWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Enough to amortise the fsync; small enough that one group's latency stays short. */
const MAX_GROUP = 16;

/** Makes everything written to the file so far durable (`fdatasync`, as SQLite does for its WAL). */
export type FileSync = (path: string) => Promise<void>;

let walSync: FileSync = syncFile;

/** Tests only: observe or fail the WAL sync that precedes every answer. Returns the previous one. */
export function setWalSyncForTests(sync: FileSync | null): FileSync {
  const previous = walSync;
  walSync = sync ?? syncFile;
  return previous;
}

/** The savepoint of each batch of a group (see `store`). */
const SAVEPOINT_SQL = {
  savepoint: 'savepoint batch',
  release: 'release savepoint batch',
  rollbackTo: 'rollback to savepoint batch',
} as const;

/**
 * The statements a group runs around its batches, prepared once per connection: through Kysely each
 * was compiled and prepared anew (two savepoint statements per batch, two pragmas per group). With the
 * connection they run on.
 */
function controlStatements(handle: SQLite.Database) {
  const p = (text: string) => handle.prepare(text);
  return {
    handle,
    savepoint: p(SAVEPOINT_SQL.savepoint),
    release: p(SAVEPOINT_SQL.release),
    rollbackTo: p(SAVEPOINT_SQL.rollbackTo),
    normal: p('pragma synchronous = NORMAL'),
    full: p('pragma synchronous = FULL'),
  };
}
type ControlStatements = ReturnType<typeof controlStatements>;

interface Wal {
  path: string;
  control: ControlStatements;
}

/** The statements and WAL path when the database is a file in WAL mode; null otherwise (`:memory:`). */
function walOf(control: ControlStatements | null): Wal | null {
  if (!control || !isWalFile(control.handle)) return null;
  return { path: `${control.handle.name}-wal`, control };
}

/** Why an answer failed when its group could not be synced: the database layer's 503 (retryable). */
function syncFailure(error: unknown): Error {
  const failure = new Error(
    `Synchronisation du journal WAL impossible : ${(error as Error)?.message ?? error}`,
  );
  (failure as Error & { code: string }).code = 'SQLITE_IOERR_FSYNC';
  return failure;
}

class GroupCommitter {
  private queue: Pending[] = [];
  private running = false;
  private readonly wal: Wal | null;
  /** Null only when the database is not reached through better-sqlite3: Kysely runs them then. */
  private readonly control: ControlStatements | null;

  constructor(private readonly db: Db) {
    const handle = sqliteHandleOf(db) ?? null;
    this.control = handle && controlStatements(handle);
    this.wal = walOf(this.control);
  }

  submit<T>(work: GroupWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.running) {
        this.running = true;
        // One turn of the event loop: requests already read join the first group.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.run(this.queue.splice(0, MAX_GROUP));
    } finally {
      this.running = false;
    }
  }

  private async run(group: readonly Pending[]): Promise<void> {
    const wal = this.wal;
    let outcomes: Outcome[];
    try {
      // The connection is held for the whole group: no other writer can commit while it is at NORMAL.
      outcomes = await this.db.connection().execute(async (connection) => {
        wal?.control.normal.run();
        try {
          return await this.store(connection, group);
        } finally {
          // Back to the connection's FULL, outside any transaction (the level cannot change inside one):
          // a transaction left open by a failed COMMIT and a failed rollback is rolled back here.
          if (wal) {
            if (wal.control.handle.inTransaction) wal.control.handle.exec('rollback');
            wal.control.full.run();
          }
        }
      });
    } catch (error) {
      // Nothing of the group is durable: every batch fails (the clients send them again).
      for (const p of group) p.reject(error);
      return;
    }
    const answer = (): void =>
      group.forEach((p, i) => {
        const outcome = outcomes[i]!;
        if (outcome.ok) p.resolve(outcome.value);
        else p.reject(outcome.value);
      });
    if (!wal) return answer();
    // Not awaited: the next group is written while this one's WAL is being synced. A batch whose
    // sync failed is answered 503; its client sends it again and finds it stored (duplicates).
    walSync(wal.path).then(answer, (error: unknown) => {
      const failure = syncFailure(error);
      for (const p of group) p.reject(failure);
    });
  }

  /** One transaction, one savepoint per batch; committed whole or rolled back whole. */
  private async store(connection: Kysely<Database>, group: readonly Pending[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    const trx = await connection.startTransaction().execute();
    const control = this.control;
    const savepoint = async (step: keyof typeof SAVEPOINT_SQL): Promise<void> => {
      if (control) control[step].run();
      else await sql.raw(SAVEPOINT_SQL[step]).execute(trx);
    };
    try {
      // A write first, which nothing matches: the write lock is taken now, before any read (the
      // busy timeout waits for another connection's writer). A transaction that read first could
      // no longer write once another connection committed (SQLITE_BUSY_SNAPSHOT in WAL mode).
      await sql`update settings set value = value where 0`.execute(trx);
      for (const p of group) {
        // One turn of the event loop before each batch (the transaction stays open and the connection
        // held): the previous group's answers go out as soon as its WAL sync is done, and requests
        // arriving meanwhile are read and checked. Without it the whole drain ran as one chain of
        // microtasks: answers waited for every queued group, then the server idled while the clients
        // sent their next batches (~17 % of an ingest benchmark's time).
        await nextTurn();
        // Savepoint: a refused batch (scope, conflicting batchId, …) rolls back only its own writes.
        await savepoint('savepoint');
        try {
          outcomes.push({ ok: true, value: await p.work(trx) });
        } catch (error) {
          outcomes.push({ ok: false, value: error });
          try {
            await savepoint('rollbackTo');
          } catch {
            // SQLite rolled the whole transaction back itself (disk full, I/O error): the group fails
            // with the batch's own error, which says why (and whether to retry).
            throw error;
          }
        }
        await savepoint('release');
      }
      await trx.commit().execute();
    } catch (error) {
      if (!trx.isCommitted && !trx.isRolledBack)
        await trx
          .rollback()
          .execute()
          .catch(() => {});
      throw error;
    }
    return outcomes;
  }
}

const committers = new WeakMap<Db, GroupCommitter>();

/** Runs `work` in the next group transaction of this SQLite database; resolves after its COMMIT. */
export function inGroupCommit<T>(db: Db, work: GroupWork<T>): Promise<T> {
  let committer = committers.get(db);
  if (!committer) {
    committer = new GroupCommitter(db);
    committers.set(db, committer);
  }
  return committer.submit(work);
}
