#!/usr/bin/env node
// Bundles scripts/bench-server.ts with esbuild (packages external) into build/ and runs it: `npm run bench:server [-- --scale 0.1]`.
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const outfile = resolve(root, 'build', 'bench', 'bench-server.mjs');
await mkdir(resolve(root, 'build', 'bench'), { recursive: true });
await build({
  entryPoints: [resolve(root, 'scripts', 'bench-server.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
  absWorkingDir: root,
});
await import(pathToFileURL(outfile).href);
