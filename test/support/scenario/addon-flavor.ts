// Which build of the add-on a scenario run installs: MV3 (`npm run build`, default) or MV2 (`npm run build:mv2`),
// where the collection server hosts it, and a check on a client's profile that this build is the one running.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addonId, REPO_ROOT } from '../thunderbird/xpi.ts';

export type AddonFlavor = 'mv3' | 'mv2';

export interface FlavorBuild {
  flavor: AddonFlavor;
  id: string;
  /** The packed add-on in dist/. */
  xpi: string;
  /** File name the server hosts it under (see src/server/routes/addon/index.ts) and path of its route. */
  fileName: string;
  route: string;
}

const FLAVORS: Record<AddonFlavor, { script: string; file: string; manifestVersion: number }> = {
  mv3: { script: 'build', file: 'suivi-balf.xpi', manifestVersion: 3 },
  mv2: { script: 'build:mv2', file: 'suivi-balf-mv2.xpi', manifestVersion: 2 },
};

/** `SUIVI_ADDON_FLAVOR` (mv3 | mv2), mv3 when unset; anything else is refused. */
export function flavorFromEnv(env: NodeJS.ProcessEnv = process.env): AddonFlavor {
  const raw = (env['SUIVI_ADDON_FLAVOR'] ?? 'mv3').trim().toLowerCase();
  if (raw === '' || raw === 'mv3') return 'mv3';
  if (raw === 'mv2') return 'mv2';
  throw new Error(`SUIVI_ADDON_FLAVOR inconnu : ${JSON.stringify(raw)} (mv3 ou mv2)`);
}

/** Runs the flavor's npm build script; throws with its output when it produced no `.xpi`. */
export function buildFlavor(flavor: AddonFlavor): FlavorBuild {
  const { script, file } = FLAVORS[flavor];
  const out = spawnSync('npm', ['run', script], { cwd: REPO_ROOT, encoding: 'utf8', env: process.env });
  const xpi = join(REPO_ROOT, 'dist', file);
  if (out.status !== 0 || !existsSync(xpi)) {
    throw new Error(
      `« npm run ${script} » n'a pas produit ${xpi} (code ${out.status}) :\n${out.stdout}\n${out.stderr}`.slice(
        0,
        6000,
      ),
    );
  }
  return { flavor, id: addonId(), xpi, fileName: file, route: `/addon/${file}` };
}

interface ExtensionsJson {
  addons?: { id?: string; active?: boolean; manifestVersion?: number; version?: string }[];
}

/**
 * Throws unless the profile's add-on database lists the add-on as active with the flavor's manifest
 * version: a run said to be MV2 must not have quietly installed something else.
 */
export async function checkInstalledFlavor(profileDir: string, build: FlavorBuild): Promise<void> {
  const file = join(profileDir, 'extensions.json');
  const text = await readFile(file, 'utf8').catch(() => '');
  const entry = ((text ? JSON.parse(text) : {}) as ExtensionsJson).addons?.find((a) => a.id === build.id);
  const wanted = FLAVORS[build.flavor].manifestVersion;
  if (!entry || entry.active !== true || entry.manifestVersion !== wanted) {
    throw new Error(
      `${file} : le module ${build.id} n'est pas installé et actif en manifeste v${wanted} ` +
        `(trouvé : ${entry ? JSON.stringify({ active: entry.active, manifestVersion: entry.manifestVersion }) : 'rien'})`,
    );
  }
}
