// The real collection server (app + SQLite file) the fault server forwards to, and the figures
// the fault tests assert on: records stored per key and batches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/server/app.ts';
import { createToken } from '../../../src/server/auth/tokens.ts';
import { loadConfig } from '../../../src/server/config.ts';
import { openDatabase } from '../../../src/server/db/connect.ts';
import type { Db } from '../../../src/server/db/schema.ts';

export interface Collector {
  app: FastifyInstance;
  db: Db;
  token: string;
  /** Stored records of `balf` as (key → number of rows): every value must be 1. */
  keys(balf: string): Promise<Map<string, number>>;
  batches(
    balf: string,
  ): Promise<{ batch_id: string; records: number; accepted: number; duplicates: number }[]>;
  close(): Promise<void>;
}

export async function startCollector(clock: () => Date = () => new Date()): Promise<Collector> {
  const dir = mkdtempSync(join(tmpdir(), 'suivi-faults-'));
  const opened = await openDatabase({ kind: 'sqlite', file: join(dir, 'suivi.sqlite') });
  const app = await buildApp({ db: opened.db, clock, rateLimit: false, config: loadConfig({}) });
  const { token } = await createToken(opened.db, { scope: { level: 'national' }, canWrite: true });
  return {
    app,
    db: opened.db,
    token,
    async keys(balf) {
      const rows = await opened.db
        .selectFrom('records')
        .select(['key', (eb) => eb.fn.countAll<number>().as('n')])
        .where('balf', '=', balf)
        .groupBy('key')
        .execute();
      return new Map(rows.map((r) => [r.key, Number(r.n)]));
    },
    async batches(balf) {
      return opened.db
        .selectFrom('batches')
        .select(['batch_id', 'records', 'accepted', 'duplicates'])
        .where('balf', '=', balf)
        .execute();
    },
    async close() {
      await app.close();
      await opened.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
