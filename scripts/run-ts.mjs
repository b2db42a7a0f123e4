#!/usr/bin/env node
// Runs a TypeScript entry point under Node 20: bundles it with esbuild into build/ (packages stay external), then imports it.
// Usage: node scripts/run-ts.mjs <file.ts> [args…] — the script sees its own args in process.argv.slice(2).
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage : node scripts/run-ts.mjs <fichier.ts> [arguments…]');
  process.exit(2);
}
const outDir = resolve(root, 'build', 'run-ts');
await mkdir(outDir, { recursive: true });
const outfile = resolve(outDir, `${basename(entry).replace(/\.[cm]?ts$/, '')}.mjs`);
await build({
  entryPoints: [resolve(entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
  absWorkingDir: root,
});
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);
