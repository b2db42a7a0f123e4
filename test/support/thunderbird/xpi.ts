// Packs add-ons for sideloading: the product's `.xpi` (through `npm run build`) and small test extensions.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: the nearest parent with a package.json (this file may also run bundled from build/). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot();
export const DEFAULT_ADDON_ID = 'suivi-balf@dgfip.finances.gouv.fr';

/** The add-on id the build uses (`SUIVI_ADDON_ID` overrides it). */
export function addonId(): string {
  return process.env['SUIVI_ADDON_ID'] ?? DEFAULT_ADDON_ID;
}

/** Runs `npm run build` and returns the packed add-on. Throws with the build's output on failure. */
export function buildProductXpi(): { id: string; xpi: string } {
  const out = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', env: process.env });
  const xpi = join(REPO_ROOT, 'dist', 'suivi-balf.xpi');
  if (out.status !== 0 || !existsSync(xpi)) {
    throw new Error(
      `« npm run build » n'a pas produit ${xpi} (code ${out.status}) :\n${out.stdout}\n${out.stderr}`.slice(
        0,
        6000,
      ),
    );
  }
  return { id: addonId(), xpi };
}

/** Zips `dir` into `xpi` (manifest at the archive root, as Thunderbird expects). */
export function zipDirectory(dir: string, xpi: string): void {
  const out = spawnSync('zip', ['-q', '-r', '-X', xpi, '.'], { cwd: dir, encoding: 'utf8' });
  if (out.status !== 0) {
    throw new Error(`zip a échoué (${out.error?.message ?? out.stderr}) : apt-get install -y zip`);
  }
}

export interface TestExtension {
  id: string;
  name: string;
  /** Source of the background script (an MV3 event page, module type). */
  background: string;
  permissions?: readonly string[];
  hostPermissions?: readonly string[];
}

/** Writes and packs a small MV3 extension for tests and benchmarks; returns the `.xpi` path. */
export async function packTestExtension(workDir: string, extension: TestExtension): Promise<string> {
  const dir = join(workDir, `${extension.name}-src`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const manifest = {
    manifest_version: 3,
    name: extension.name,
    version: '1.0',
    browser_specific_settings: { gecko: { id: extension.id, strict_min_version: '128.0' } },
    background: { scripts: ['background.js'], type: 'module' },
    permissions: extension.permissions ?? ['accountsRead', 'messagesRead'],
    host_permissions: extension.hostPermissions ?? [],
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(join(dir, 'background.js'), extension.background);
  const xpi = join(workDir, `${extension.name}.xpi`);
  await rm(xpi, { force: true });
  zipDirectory(dir, xpi);
  return xpi;
}
