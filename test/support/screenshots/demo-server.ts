// The collection server on a temporary SQLite filled with the demo data, for screenshots: a national user to
// log in with and a department ingest token the real Thunderbird uploads to.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/server/app.ts';
import { createToken } from '../../../src/server/auth/tokens.ts';
import { addUser } from '../../../src/server/auth/users.ts';
import { openDatabase, type OpenDb } from '../../../src/server/db/connect.ts';
import { demoBalfs } from '../../../src/server/demo/demo-directory.ts';
import { runDemo } from '../../../src/server/demo/run-demo.ts';

export const DEMO_LOGIN = 'coordination.nationale';
export const DEMO_PASSWORD = 'captures-d-ecran-demo';
/** The department the Thunderbird captures belong to (Paris in the demo directory). */
export const DEMO_DEPARTMENT = '75';

export interface DemoServer {
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** A department-75 ingest token (write). */
  token: string;
  /** A Paris BALF of the demo directory: the BALF the Thunderbird captures count. */
  balf: string;
  close(): Promise<void>;
}

export async function startDemoServer(options: { days?: number; now?: Date } = {}): Promise<DemoServer> {
  const work = await mkdtemp(join(tmpdir(), 'suivi-balf-captures-'));
  let store: OpenDb | undefined;
  let app: FastifyInstance | undefined;
  try {
    store = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi.sqlite') });
    await runDemo(store.db, {
      days: options.days ?? 75,
      seed: 'captures-guides',
      now: options.now ?? new Date(),
    });
    await addUser(store.db, { login: DEMO_LOGIN, password: DEMO_PASSWORD, scope: { level: 'national' } });
    const { token } = await createToken(store.db, {
      scope: { level: 'department', code: DEMO_DEPARTMENT },
      canWrite: true,
    });
    const balf = demoBalfs().find((b) => b.departmentCode === DEMO_DEPARTMENT)?.address;
    if (!balf) throw new Error(`aucune BALF de démonstration dans le département ${DEMO_DEPARTMENT}`);
    app = await buildApp({ db: store.db, rateLimit: false });
    const base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('[::1]', '127.0.0.1');
    const opened = { app, store };
    return {
      base,
      token,
      balf,
      async close() {
        await opened.app.close();
        await opened.store.close();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await app?.close();
    await store?.close();
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}
