/**
 * Bulk loading of bench data into the server's own tables: prepared statements in large transactions
 * on SQLite, `COPY … FROM STDIN` on PostgreSQL. Only columns named by the caller are written, the
 * others take the defaults of the migrations.
 */
import { once } from 'node:events';
import type SQLite from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type Cell = string | number | null;

export interface BulkWriter {
  /** Starts a transaction; rows written until `commit` land together. */
  begin(): Promise<void>;
  rows(table: string, columns: readonly string[], rows: Iterable<readonly Cell[]>): Promise<void>;
  commit(): Promise<void>;
  /** Runs a statement outside the row path (ANALYZE, VACUUM…). */
  exec(statement: string): Promise<void>;
  close(): Promise<void>;
}

export function sqliteBulkWriter(handle: SQLite.Database): BulkWriter {
  const statements = new Map<string, SQLite.Statement>();
  return {
    async begin() {
      handle.exec('begin');
    },
    async rows(table, columns, rows) {
      const sig = `${table}(${columns.join(',')})`;
      let insert = statements.get(sig);
      if (!insert) {
        insert = handle.prepare(
          `insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`,
        );
        statements.set(sig, insert);
      }
      for (const row of rows) insert.run(...row);
    },
    async commit() {
      handle.exec('commit');
    },
    async exec(statement) {
      handle.exec(statement);
    },
    async close() {},
  };
}

/** COPY text format: tabs, newlines and backslashes escaped, `\N` for null. */
function copyCell(v: Cell): string {
  if (v === null) return '\\N';
  if (typeof v === 'number') return String(v);
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!)
    : v;
}

export async function postgresBulkWriter(url: string): Promise<BulkWriter> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    async begin() {
      await client.query('begin');
    },
    async rows(table, columns, rows) {
      const stream = client.query(copyFrom(`copy ${table} (${columns.join(', ')}) from stdin`));
      let chunk: string[] = [];
      const flush = async () => {
        if (chunk.length === 0) return;
        if (!stream.write(chunk.join(''))) await once(stream, 'drain');
        chunk = [];
      };
      for (const row of rows) {
        chunk.push(`${row.map(copyCell).join('\t')}\n`);
        if (chunk.length >= 10_000) await flush();
      }
      await flush();
      stream.end();
      await once(stream, 'finish');
    },
    async commit() {
      await client.query('commit');
    },
    async exec(statement) {
      await client.query(statement);
    },
    async close() {
      await client.end();
    },
  };
}
