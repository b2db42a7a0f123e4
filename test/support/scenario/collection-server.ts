// The collection server of a scenario run: a fresh SQLite database whose directory places the BALF in a
// service of the scenario's department, hosting the add-on builds the clients install, on a loopback port.
import { mkdtempSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/server/app.ts';
import { createToken } from '../../../src/server/auth/tokens.ts';
import { openDatabase, type OpenDb } from '../../../src/server/db/connect.ts';
import { getOrCreateDeploymentSecret } from '../../../src/server/deploy/policies.ts';
import { onProcessEnd } from '../thunderbird/process-end.ts';
import type { FlavorBuild } from './addon-flavor.ts';

export interface ScenarioServer {
  url: string;
  app: FastifyInstance;
  open: OpenDb;
  /** Upload token of the scenario's department, as a deployment gives the workstations. */
  ingestToken: string;
  /** National read token for the stats. */
  readToken: string;
  secret: string;
  /** Stops listening, then closes the database (its file then holds every committed write). */
  close(): Promise<void>;
}

let hostedDir: string | undefined;
const hostedBuilds = new Map<string, Promise<void>>();

/**
 * A private copy of each build, made once per process under the name the server hosts it by (the MV2 one
 * at /addon/suivi-balf-mv2.xpi): another checkout user rebuilding dist/ must not make a download fail.
 */
async function hostedAddons(addon: FlavorBuild): Promise<string> {
  if (!hostedDir) {
    const dir = mkdtempSync(join(tmpdir(), 'suivi-scenario-addons-'));
    onProcessEnd(() => rmSync(dir, { recursive: true, force: true }));
    hostedDir = dir;
  }
  const dir = hostedDir;
  let copied = hostedBuilds.get(addon.fileName);
  if (!copied) {
    copied = copyFile(addon.xpi, join(dir, addon.fileName));
    hostedBuilds.set(addon.fileName, copied);
  }
  await copied;
  return dir;
}

export async function startScenarioServer(
  work: string,
  scenario: { balf: string; department: string; region: string },
  addon: FlavorBuild,
): Promise<ScenarioServer> {
  const open = await openDatabase({ kind: 'sqlite', file: join(work, 'suivi-balf.sqlite') });
  const db = open.db;
  await db
    .insertInto('departments')
    .values({
      code: scenario.department,
      name: `Département ${scenario.department}`,
      region: scenario.region,
    })
    .execute();
  const service = `${scenario.department}0001`;
  await db
    .insertInto('services')
    .values({
      code: service,
      name: `Service du scénario (${scenario.department})`,
      kind: 'SIP',
      department_code: scenario.department,
      region: null,
    })
    .execute();
  await db.insertInto('balfs').values({ address: scenario.balf, service_code: service }).execute();
  // The server finds the builds through the environment, read as it starts: one directory for the whole
  // process, so that runs started together all read the same value.
  const hosted = await hostedAddons(addon);
  process.env['SUIVI_ADDON_XPI'] = join(hosted, 'suivi-balf.xpi');
  process.env['SUIVI_ADDON_XPI_MV2'] = join(hosted, 'suivi-balf-mv2.xpi');
  const app = await buildApp({ db, rateLimit: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const ingest = await createToken(db, {
    scope: `department:${scenario.department}`,
    canWrite: true,
    label: 'scénario',
  });
  const read = await createToken(db, { scope: 'national', canWrite: false, label: 'scénario (lecture)' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    app,
    open,
    ingestToken: ingest.token,
    readToken: read.token,
    secret: await getOrCreateDeploymentSecret(db),
    async close() {
      await app.close();
      await open.close();
    },
  };
}

export async function fetchStats(url: string, token: string, query: string): Promise<unknown> {
  const response = await fetch(`${url}/api/v1/stats?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET /api/v1/stats a répondu ${response.status} : ${body.slice(0, 300)}`);
  return JSON.parse(body) as unknown;
}
