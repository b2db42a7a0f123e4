// Builds the web dashboard into build/dashboard/: esbuild bundle of src/dashboard/app.ts, the HTML
// shell, our CSS, and only the DSFR and uPlot files the pages use (served by the collection server).
import { build } from 'esbuild';
import { copyFile, cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src/dashboard');
const out = join(root, 'build/dashboard');
const dsfr = join(root, 'node_modules/@gouvfr/dsfr/dist');

await rm(out, { recursive: true, force: true });
await mkdir(join(out, 'dsfr'), { recursive: true });
await mkdir(join(out, 'vendor'), { recursive: true });

await build({
  entryPoints: [join(src, 'app.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
});

await copyFile(join(src, 'index.html'), join(out, 'index.html'));
await copyFile(join(src, 'app.css'), join(out, 'app.css'));
await copyFile(join(root, 'node_modules/uplot/dist/uPlot.min.css'), join(out, 'vendor/uPlot.min.css'));

// DSFR: the stylesheet, its fonts, the favicon, and the icons the stylesheet itself references
// (the full icon set is 4 MB; the utility icon classes are not used by the dashboard).
const css = await readFile(join(dsfr, 'dsfr.min.css'), 'utf8');
await writeFile(join(out, 'dsfr/dsfr.min.css'), css);
await cp(join(dsfr, 'fonts'), join(out, 'dsfr/fonts'), { recursive: true });
await mkdir(join(out, 'dsfr/favicon'), { recursive: true });
await copyFile(join(dsfr, 'favicon/favicon.svg'), join(out, 'dsfr/favicon/favicon.svg'));
const icons = new Set([...css.matchAll(/url\((icons\/[^)"']+\.svg)\)/g)].map((m) => m[1]));
for (const icon of icons) {
  await mkdir(dirname(join(out, 'dsfr', icon)), { recursive: true });
  await copyFile(join(dsfr, icon), join(out, 'dsfr', icon));
}
console.log(`tableau de bord construit dans ${out} (${icons.size} icônes DSFR)`);
