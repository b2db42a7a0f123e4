// The real collection server on 127.0.0.1 for a real-Thunderbird test: a SQLite database in the work
// directory, a directory of services and BALFs, a write token for the add-on and a read token for the test.
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { statsAnswerSchema, type StatsAnswer } from '../../../src/core/protocol.ts';
import { buildApp } from '../../../src/server/app.ts';
import { openDatabase } from '../../../src/server/db/connect.ts';
import type { Db } from '../../../src/server/db/schema.ts';
import { seedDirectory, token } from '../../server/support.ts';

export type DirectoryEntry = Parameters<typeof seedDirectory>[1][number];

export interface CollectionServer {
  readonly url: string;
  readonly db: Db;
  /** Token the add-on uploads with. */
  readonly writeToken: string;
  /** `GET /api/v1/stats` with a national read token. */
  stats(query: Record<string, string>): Promise<StatsAnswer>;
  close(): Promise<void>;
}

export async function startCollectionServer(
  workDir: string,
  directory: DirectoryEntry[],
): Promise<CollectionServer> {
  const opened = await openDatabase({ kind: 'sqlite', file: join(workDir, 'suivi-balf.sqlite') });
  const db = opened.db;
  await seedDirectory(db, directory);
  const writeToken = await token(db, { level: 'national' });
  const readToken = await token(db, { level: 'national' }, false);
  const app = await buildApp({ db, rateLimit: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    db,
    writeToken,
    async stats(query) {
      const response = await fetch(`${url}/api/v1/stats?${new URLSearchParams(query).toString()}`, {
        headers: { authorization: `Bearer ${readToken}` },
      });
      const body = await response.text();
      if (!response.ok) throw new Error(`GET /api/v1/stats : ${response.status} ${body.slice(0, 300)}`);
      return statsAnswerSchema.parse(JSON.parse(body));
    },
    async close() {
      await app.close();
      await opened.close();
    },
  };
}
