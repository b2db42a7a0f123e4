// Global setup of the server-pg project: starts a throw-away PostgreSQL cluster and provides its URL.
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Maintenance URL of the test PostgreSQL cluster (create one database per test file). */
    pgUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // An external server may be given instead (CI service container).
  const external = process.env['SUIVI_TEST_PG_URL'];
  if (external) {
    project.provide('pgUrl', external);
    return async () => {};
  }
  const cluster = await startPostgres();
  project.provide('pgUrl', cluster.url);
  return () => cluster.stop();
}
