// Builds the Thunderbird add-on: bundles src/extension with esbuild, copies extension/ assets,
// writes the manifest (MV3 by default, MV2 with --mv2) and packs the .xpi with `zip` (offline).
// Env: SUIVI_ADDON_ID, SUIVI_ADDON_VERSION, SUIVI_UPDATE_URL, SUIVI_HOST_PERMISSIONS (comma-separated).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mv2 = process.argv.includes('--mv2');
const variant = mv2 ? 'mv2' : 'mv3';
const out = join(root, 'dist', variant);
const xpi = join(root, 'dist', mv2 ? 'suivi-balf-mv2.xpi' : 'suivi-balf.xpi');

/** Page and background entry points; the sampling panel joins when its source exists. */
const entries = {
  background: 'src/extension/background.ts',
  'popup/popup': 'src/extension/popup/popup.ts',
  'options/options': 'src/extension/options/options.ts',
};
if (existsSync(join(root, 'src/extension/sampling/main.ts'))) {
  entries['sampling/sampling'] = 'src/extension/sampling/main.ts';
}

/** MV3 manifest from the root manifest.json with the build-time overrides applied. */
export function manifestFor(base, env, variantName) {
  const m = JSON.parse(JSON.stringify(base));
  const gecko = m.browser_specific_settings.gecko;
  if (env.SUIVI_ADDON_ID) gecko.id = env.SUIVI_ADDON_ID;
  if (env.SUIVI_ADDON_VERSION) m.version = env.SUIVI_ADDON_VERSION;
  if (env.SUIVI_UPDATE_URL) gecko.update_url = env.SUIVI_UPDATE_URL;
  if (env.SUIVI_HOST_PERMISSIONS) {
    m.host_permissions = env.SUIVI_HOST_PERMISSIONS.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (variantName === 'mv2') {
    // Thunderbird 115 ESR: MV2 spells the toolbar button browser_action and has no host_permissions.
    m.manifest_version = 2;
    m.permissions = [...m.permissions, ...m.host_permissions];
    delete m.host_permissions;
    m.browser_action = m.action;
    delete m.action;
    m.background = { scripts: m.background.scripts, persistent: false };
    gecko.strict_min_version = '115.0';
  }
  return m;
}

/**
 * Puts `from` in place of `to`. Renames are atomic; another build may slip its own directory in
 * between, so the one in place is moved aside (and deleted) and the rename retried.
 */
function replaceDir(from, to) {
  for (let attempt = 0; ; attempt++) {
    const aside = `${from}.old${attempt}`;
    try {
      renameSync(to, aside);
    } catch (error) {
      if (error.code !== 'ENOENT') throw error;
    }
    rmSync(aside, { recursive: true, force: true });
    try {
      renameSync(from, to);
      return;
    } catch (error) {
      if (attempt >= 10 || !['ENOTEMPTY', 'EEXIST'].includes(error.code)) throw error;
    }
  }
}

async function main() {
  // Several builds may run at once (tests of different helpers): each works in its own temporary
  // directory and only the final renames touch dist/, so no build sees another's half-written files.
  const tmp = join(root, 'dist', `.${variant}-${process.pid}-${Date.now()}`);
  const tmpXpi = `${tmp}.xpi`;
  mkdirSync(tmp, { recursive: true });
  try {
    cpSync(join(root, 'extension'), tmp, { recursive: true });
    const base = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
    const manifest = manifestFor(base, process.env, variant);
    writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    await build({
      absWorkingDir: root,
      entryPoints: entries,
      outdir: tmp,
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: mv2 ? ['firefox115'] : ['firefox128'],
      sourcemap: false,
      minify: false,
      legalComments: 'none',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    });
    // -X: no extra file attributes; -D: no directory entries.
    execFileSync('zip', ['-q', '-r', '-X', '-D', tmpXpi, '.'], { cwd: tmp, stdio: 'inherit' });
    replaceDir(tmp, out);
    renameSync(tmpXpi, xpi);
    console.log(
      `${variant}: ${out} → ${xpi} (id ${manifest.browser_specific_settings.gecko.id}, version ${manifest.version})`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(tmpXpi, { force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
