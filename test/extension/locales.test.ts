// Convention: every message the add-on shows exists in French and in English, and no page
// carries inline script.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configKeys } from '../../src/extension/config-keys.ts';
import { fieldKinds } from '../../src/extension/options/options-view.ts';

const root = new URL('../../', import.meta.url).pathname;
const catalogue = (lang: string) =>
  JSON.parse(readFileSync(join(root, `extension/_locales/${lang}/messages.json`), 'utf8')) as Record<
    string,
    unknown
  >;

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, ext) : ext.test(name) ? [path] : [];
  });
}

/** Keys used by this add-on's code and pages (the sampling panel checks its own). */
function usedKeys(): Set<string> {
  const used = new Set<string>();
  const manifest = readFileSync(join(root, 'manifest.json'), 'utf8');
  for (const m of manifest.matchAll(/__MSG_(\w+)__/g)) used.add(m[1] as string);
  for (const file of files(join(root, 'extension'), /\.html$/).filter((f) => !f.includes('/sampling/'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/data-i18n(?:-[a-z-]+)?="([^"]+)"/g))
      used.add(m[1] as string);
  }
  for (const file of files(join(root, 'src/extension'), /\.ts$/).filter((f) => !f.includes('/sampling/'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\bt\('([A-Za-z0-9_]+)'/g)) used.add(m[1] as string);
    for (const m of readFileSync(file, 'utf8').matchAll(/getMessage\('([A-Za-z0-9_]+)'/g))
      used.add(m[1] as string);
  }
  for (const k of configKeys) used.add(`key_${k}`);
  for (const s of ['managed', 'local', 'last_valid', 'default', 'unset']) used.add(`source_${s}`);
  for (const r of ['ok', 'error', 'none']) used.add(`upload_${r}`);
  for (const kind of new Set(Object.values(fieldKinds))) used.add(`hint_${kind}`);
  used.delete('sampling_menuTitle'); // owned by the sampling panel, with a fallback
  return used;
}

describe('locales', () => {
  it('has every used message in French and English', () => {
    const used = usedKeys();
    expect(used.size).toBeGreaterThan(60);
    for (const lang of ['fr', 'en']) {
      const missing = [...used].filter((k) => !(k in catalogue(lang)));
      expect(missing, lang).toEqual([]);
    }
  });

  it('keeps French and English in step', () => {
    expect(Object.keys(catalogue('en')).sort()).toEqual(Object.keys(catalogue('fr')).sort());
  });

  it('pages load scripts from files only', () => {
    for (const file of files(join(root, 'extension'), /\.html$/)) {
      const html = readFileSync(file, 'utf8');
      expect(html, file).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html, file).not.toMatch(/\son[a-z]+="/);
      expect(html, file).toMatch(/<html lang="fr">/);
    }
  });
});
