// Global setup of the real-part tests: builds the dashboard (build/dashboard) once per run. Each file
// building it in its own beforeAll raced with the file beside it: the build starts by removing the
// folder another file's server was serving from, or was writing into.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

export default function setup(): void {
  const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-dashboard.mjs')], {
    encoding: 'utf8',
  });
  if (built.status !== 0)
    throw new Error(`node scripts/build-dashboard.mjs a échoué :\n${built.stdout}${built.stderr}`);
}
