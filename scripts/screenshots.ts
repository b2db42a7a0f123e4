// `npm run screenshots`: regenerates the guides' PNGs (docs/images/) from the real dashboard in Chromium and the
// real add-on in a headless Thunderbird, both against a demo server on a temporary SQLite.
// Usage: npm run screenshots [-- <output dir>] [-- --only dashboard|thunderbird]. Needs root for Thunderbird's part.
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { captureDashboard } from '../test/support/screenshots/dashboard-shots.ts';
import { startDemoServer } from '../test/support/screenshots/demo-server.ts';
import { captureThunderbird } from '../test/support/screenshots/thunderbird-shots.ts';
import { REPO_ROOT } from '../test/support/thunderbird/xpi.ts';

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args.splice(onlyAt, 2)[1] : undefined;
if (only !== undefined && only !== 'dashboard' && only !== 'thunderbird') {
  console.error('usage : npm run screenshots -- [dossier] [--only dashboard|thunderbird]');
  process.exit(2);
}
const outDir = resolve(args[0] ?? resolve(REPO_ROOT, 'docs', 'images'));
await mkdir(outDir, { recursive: true });

const server = await startDemoServer();
try {
  const written: string[] = [];
  if (only !== 'thunderbird') {
    execFileSync(process.execPath, ['scripts/build-dashboard.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    written.push(...(await captureDashboard(server, outDir)));
  }
  if (only !== 'dashboard') written.push(...(await captureThunderbird(server, outDir)));
  for (const path of written) console.log(path);
} finally {
  await server.close();
}
