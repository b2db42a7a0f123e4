// Every `sampling_*` string the panel uses exists in French and English, with the same placeholders.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statusNames, verdictNames } from '../../src/extension/sampling/results.ts';
import { enMessages, frMessages, ROOT } from './sampling-fixtures.ts';

function usedKeys(): Set<string> {
  const dir = join(ROOT, 'src', 'extension', 'sampling');
  const sources = [
    ...readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8')),
    readFileSync(join(ROOT, 'extension', 'sampling', 'sampling.html'), 'utf8'),
  ];
  const keys = new Set<string>();
  for (const text of sources) {
    for (const m of text.matchAll(/sampling_[A-Za-z0-9_]+/g)) keys.add(m[0]);
  }
  // Keys built from a prefix and a closed set of names.
  for (const s of statusNames) keys.add(`sampling_status_${s}`);
  for (const v of verdictNames) keys.add(`sampling_verdict_${v}`);
  keys.add('sampling_category_usager');
  for (const prefix of ['sampling_status_', 'sampling_verdict_', 'sampling_category_']) keys.delete(prefix);
  return keys;
}

describe('chaînes du panneau de sondage', () => {
  it('chaque clé utilisée existe en français et en anglais', () => {
    const missing = [...usedKeys()].filter((k) => !frMessages[k] || !enMessages[k]);
    expect(missing).toEqual([]);
  });

  it('les deux langues ont les mêmes clés sampling_* et les mêmes substitutions $n', () => {
    const fr = Object.keys(frMessages)
      .filter((k) => k.startsWith('sampling_'))
      .sort();
    const en = Object.keys(enMessages)
      .filter((k) => k.startsWith('sampling_'))
      .sort();
    expect(en).toEqual(fr);
    const subs = (text: string) => [...new Set(text.match(/\$\d/g) ?? [])].sort();
    for (const k of fr) expect(subs(enMessages[k]!.message), k).toEqual(subs(frMessages[k]!.message));
  });

  it('les noms de message respectent le format des WebExtensions ([A-Za-z0-9_@])', () => {
    for (const k of Object.keys(frMessages)) expect(k, k).toMatch(/^[A-Za-z0-9_@]+$/);
  });
});
