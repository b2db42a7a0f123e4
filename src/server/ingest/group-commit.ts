/**
 * Group commit for SQLite: batches that arrive while another one is being written are stored in
 * one transaction (one savepoint each) and made durable by a single COMMIT, hence one WAL fsync
 * for the group instead of one per batch. Every answer is still given only after that COMMIT.
 */
import { sql, type ControlledTransaction } from 'kysely';
import type { Database, Db } from '../db/schema.ts';

/** Stores one batch inside the group's transaction (its own savepoint); throws to refuse it alone. */
export type GroupWork<T> = (trx: ControlledTransaction<Database>) => Promise<T>;

interface Pending {
  work: GroupWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Enough to amortise the fsync; small enough that one group's latency stays short. */
const MAX_GROUP = 16;

class GroupCommitter {
  private queue: Pending[] = [];
  private running = false;

  constructor(private readonly db: Db) {}

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
    const outcomes: { ok: boolean; value: unknown }[] = [];
    let trx: ControlledTransaction<Database> | undefined;
    try {
      trx = await this.db.startTransaction().execute();
      for (const p of group) {
        // Savepoint: a refused batch (scope, conflicting batchId, …) rolls back only its own writes.
        await sql`savepoint batch`.execute(trx);
        try {
          outcomes.push({ ok: true, value: await p.work(trx) });
        } catch (error) {
          outcomes.push({ ok: false, value: error });
          try {
            await sql`rollback to savepoint batch`.execute(trx);
          } catch {
            // SQLite rolled the whole transaction back itself (disk full, I/O error): the group fails
            // with the batch's own error, which says why (and whether to retry).
            throw error;
          }
        }
        await sql`release savepoint batch`.execute(trx);
      }
      await trx.commit().execute();
    } catch (error) {
      // Nothing of the group is durable: every batch fails (the clients send them again).
      if (trx && !trx.isCommitted && !trx.isRolledBack)
        await trx
          .rollback()
          .execute()
          .catch(() => {});
      for (const p of group) p.reject(error);
      return;
    }
    group.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.value);
    });
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
