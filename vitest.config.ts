// Unit, property and server tests, one Vitest project per room, each runnable alone:
// `npx vitest run --project core` (extension, dashboard, server-sqlite, server-pg, tooling).
// Real-part tests live in vitest.e2e.config.ts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { reporters } from './test/support/reporters.ts';

/** Test files under `dirs` (relative to the repository), recursively. */
function testFiles(dirs: readonly string[]): string[] {
  return dirs.flatMap((dir) =>
    readdirSync(join(import.meta.dirname, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => `${dir}/${name}`),
  );
}

const read = (file: string): string => readFileSync(join(import.meta.dirname, file), 'utf8');

// A server test file declares its databases in its code, so that no list here can forget one:
// `describe.each(databaseKinds)` blocks run on SQLite in server-sqlite and on PostgreSQL in server-pg;
// a file that reaches PostgreSQL by itself (the shared cluster's `pgUrl`, a cluster of its own, or a
// support helper asked for 'postgres' by name) belongs to server-pg only. Everything else in these
// folders runs once, in server-sqlite.
const SERVER_DIRS = ['test/server', 'test/reliability', 'test/harness', 'test/bench'];
const serverFiles = testFiles(SERVER_DIRS);
const parametrized = serverFiles.filter((f) => /\bdatabaseKinds\b/.test(read(f)));
const postgresOnly = serverFiles.filter(
  (f) =>
    !parametrized.includes(f) &&
    /inject\('pgUrl'\)|\bstartPostgres\(|\b(?:openTestDb|openTestDbAt|harness)\(\s*'postgres'/.test(read(f)),
);

const SERVER_BUILD = 'test/support/server-build-setup.ts';

/** Folders of the projects below other than the server ones; test/e2e is vitest.e2e.config.ts's. */
const OTHER_DIRS = ['test/core', 'test/extension', 'test/dashboard', 'test/deploy', 'test/support'];

// A test folder no project names would silently drop out of `npm test`: refuse to start instead.
const homeless = readdirSync(join(import.meta.dirname, 'test'), { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== 'e2e')
  .map((e) => `test/${e.name}`)
  .filter((dir) => ![...SERVER_DIRS, ...OTHER_DIRS].includes(dir) && testFiles([dir]).length > 0);
if (homeless.length > 0) {
  throw new Error(`vitest.config.ts : aucun projet ne lance les tests de ${homeless.join(', ')}`);
}

export default defineConfig({
  test: {
    reporters: reporters('unit'),
    // Vitest's default on 2 cores is one file at a time: one per core instead, and the many files that
    // wait on child processes, PostgreSQL or sockets overlap their waits with the others' work.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'core', include: ['test/core/**/*.test.ts'] } },
      { extends: true, test: { name: 'extension', include: ['test/extension/**/*.test.ts'] } },
      { extends: true, test: { name: 'dashboard', include: ['test/dashboard/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'server-sqlite',
          include: SERVER_DIRS.map((d) => `${d}/**/*.test.ts`),
          exclude: postgresOnly,
          globalSetup: [SERVER_BUILD],
          provide: { databaseKinds: ['sqlite'] },
        },
      },
      {
        extends: true,
        test: {
          name: 'server-pg',
          include: [...parametrized, ...postgresOnly],
          globalSetup: ['test/support/postgres-setup.ts', SERVER_BUILD],
          provide: { databaseKinds: ['postgres'] },
        },
      },
      {
        extends: true,
        test: { name: 'tooling', include: ['test/deploy/**/*.test.ts', 'test/support/**/*.test.ts'] },
      },
    ],
    // A limit for failures, never the expected path: two files at once on a machine shared with other
    // work may slow a property test of 10 s fourfold.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
