// Global setup of the server projects: bundles the `suivi-balf` command (build/server/cli.js) once per run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** Projects of one run share this process: the second one finds the build done. */
const BUILT = Symbol.for('suivi-balf.test.server-built');

export default function setup(): void {
  const state = globalThis as { [BUILT]?: true };
  if (state[BUILT]) return;
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-server.mjs')], {
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`node scripts/build-server.mjs a échoué :\n${built.stderr}`);
  state[BUILT] = true;
}
