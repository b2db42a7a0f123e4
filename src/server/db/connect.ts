/**
 * Opens the database — SQLite file (embedded default) or PostgreSQL when a URL is given — and
 * brings its schema up to date. Repositories receive the returned Kysely handle.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import pg from 'pg';
import * as m0001 from './migrations/0001-initial.ts';
import * as m0002 from './migrations/0002-ref-order.ts';
import * as m0003 from './migrations/0003-department-rollups.ts';
import * as m0004 from './migrations/0004-drop-day-indexes.ts';
import * as m0005 from './migrations/0005-refs-by-target.ts';
import * as m0006 from './migrations/0006-refined-records.ts';
import * as m0007 from './migrations/0007-throttles-quarantine.ts';
import * as m0008 from './migrations/0008-sent-via.ts';
import * as m0009 from './migrations/0009-storage.ts';
import * as m0010 from './migrations/0010-calendar-overlays.ts';
import * as m0011 from './migrations/0011-notifications.ts';
import type { Database, Db } from './schema.ts';

export type DbTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export interface OpenDb {
  db: Db;
  kind: DbTarget['kind'];
  close(): Promise<void>;
}

/** Every migration by name, in order (exported for tests that stop at an older schema). */
export const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-ref-order': m0002,
  '0003-department-rollups': m0003,
  '0004-drop-day-indexes': m0004,
  '0005-refs-by-target': m0005,
  '0006-refined-records': m0006,
  '0007-throttles-quarantine': m0007,
  '0008-sent-via': m0008,
  '0009-storage': m0009,
  '0010-calendar-overlays': m0010,
  '0011-notifications': m0011,
};

/** The better-sqlite3 handle under a SQLite Kysely, for the ingest hot path's prepared statements. */
const sqliteHandles = new WeakMap<Db, SQLite.Database>();

export function sqliteHandleOf(db: Db): SQLite.Database | undefined {
  return sqliteHandles.get(db);
}

/** True for a SQLite file (not `:memory:`) in WAL mode. */
export function isWalFile(handle: SQLite.Database): boolean {
  return !handle.memory && String(handle.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
}

/** Read-only second connections, opened on first use (see `sqliteReaderOf`), closed with the database. */
const sqliteReaders = new WeakMap<Db, SQLite.Database>();

/**
 * A read-only connection to the same SQLite file, for the reads that must not wait for the writer:
 * the ingest's group commit holds the one Kysely connection for a whole group, and a token lookup
 * queued behind it kept the next batches from even being read (WAL: the reader sees the last
 * committed state, as another process would). Undefined for PostgreSQL, `:memory:` or a non-WAL file.
 */
export function sqliteReaderOf(db: Db): SQLite.Database | undefined {
  const existing = sqliteReaders.get(db);
  if (existing) return existing;
  const handle = sqliteHandles.get(db);
  if (!handle?.open || !isWalFile(handle)) return undefined;
  const reader = new SQLite(handle.name, { readonly: true, fileMustExist: true });
  reader.pragma('busy_timeout = 5000');
  sqliteReaders.set(db, reader);
  return reader;
}

export async function openDatabase(target: DbTarget, options: { migrate?: boolean } = {}): Promise<OpenDb> {
  let db: Db;
  if (target.kind === 'sqlite') {
    if (target.file !== ':memory:') mkdirSync(dirname(target.file), { recursive: true });
    const sqlite = new SQLite(target.file);
    // WAL + synchronous=FULL: an acknowledged batch survives a crash or power loss.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // 64 MiB of page cache instead of 2 MiB: the indexes of `records` stay in memory (no effect on
    // what is durable when; only fewer reads).
    sqlite.pragma('cache_size = -65536');
    sqlite.pragma('wal_autocheckpoint = 10000');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    sqliteHandles.set(db, sqlite);
  } else {
    const pool = new pg.Pool({ connectionString: target.url, max: 10 });
    // An idle client losing its connection (PostgreSQL restarted) emits 'error' on the pool;
    // unhandled, it would end the process. The next query gets a fresh client or a 503.
    const lost = (error: Error) => console.error(`PostgreSQL : connexion perdue (${error.message})`);
    pool.on('error', lost);
    // A client checked out by a transaction has no pool listener: its query fails (→ 503), but
    // the 'error' event itself must not become an uncaught exception.
    pool.on('connect', (client) => client.on('error', lost));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  if (options.migrate !== false) await migrate(db);
  const opened = db;
  return {
    db,
    kind: target.kind,
    close: async () => {
      sqliteReaders.get(opened)?.close();
      sqliteReaders.delete(opened);
      await opened.destroy();
    },
  };
}

export async function migrate(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'inconnue';
    throw new Error(`Échec de la migration ${failed} de la base : ${String(error)}`, { cause: error });
  }
}

/** `DATABASE_URL` wins over `--db`; the default is a SQLite file in the data directory. */
export function dbTargetFrom(options: { db?: string | undefined; env?: NodeJS.ProcessEnv }): DbTarget {
  const url = (options.env ?? process.env)['DATABASE_URL'];
  if (url) return { kind: 'postgres', url };
  const dataDir = (options.env ?? process.env)['SUIVI_BALF_DATA'] ?? 'data';
  return { kind: 'sqlite', file: options.db ?? `${dataDir}/suivi-balf.sqlite` };
}
