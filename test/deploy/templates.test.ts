// Shipped deployment artefacts: policies.json templates, ADMX/ADML, and the documentation of every configuration key.
import { readFileSync } from 'node:fs';
import { Window } from 'happy-dom';
import { describe, expect, it } from 'vitest';
import { configKeys, resolveConfig } from '../../src/extension/config.ts';
import {
  addonConfigurationSchema,
  buildPolicies,
  PLACEHOLDER,
  PLACEHOLDERS,
  validatePolicies,
} from '../../src/server/deploy/policies.ts';
import { DEFAULT_ADDON_ID } from '../../src/server/deploy/xpi.ts';

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const TEMPLATES = ['deploy/linux/policies.json', 'deploy/windows/policies.json'];

describe('policies.json templates', () => {
  it.each(TEMPLATES)('%s is valid JSON whose structure validates once filled', (path) => {
    const text = read(path);
    expect(() => JSON.parse(text)).not.toThrow();
    expect(() =>
      validatePolicies(text, { addonId: DEFAULT_ADDON_ID, allowPlaceholders: true }),
    ).not.toThrow();
    // As shipped, it is not deployable: the placeholders are refused.
    expect(() => validatePolicies(text, { addonId: DEFAULT_ADDON_ID })).toThrow(/valeurs à remplacer/);
  });

  it.each(TEMPLATES)('%s shows every configuration key of the add-on', (path) => {
    const config = JSON.parse(read(path)).policies['3rdparty'].Extensions[DEFAULT_ADDON_ID] as Record<
      string,
      unknown
    >;
    // balfPattern is the alternative to balfs; the template shows balfs, the README documents both.
    expect(Object.keys(config).sort()).toEqual(configKeys.filter((k) => k !== 'balfPattern').sort());
  });

  it('uses only documented placeholders, and documents each in deploy/README.md', () => {
    const readme = read('deploy/README.md');
    const used = new Set(TEMPLATES.flatMap((p) => read(p).match(PLACEHOLDER) ?? []));
    expect([...used].sort()).toEqual(Object.keys(PLACEHOLDERS).sort());
    for (const placeholder of used) expect(readme, placeholder).toContain(`\`${placeholder}\``);
  });

  it('filled with sample values, configures the real add-on without any error', () => {
    const text = read('deploy/linux/policies.json').replace(PLACEHOLDER, (p) => PLACEHOLDERS[p]?.sample ?? p);
    const managed = JSON.parse(text).policies['3rdparty'].Extensions[DEFAULT_ADDON_ID] as Record<
      string,
      unknown
    >;
    const { config, errors, sources } = resolveConfig(managed, {}, {});
    expect(errors).toEqual([]);
    expect(Object.values(sources).filter((s) => s === 'managed')).toHaveLength(configKeys.length - 1);
    expect(config).toMatchObject({
      department: '75',
      region: 'metropole',
      primaryTarget: { id: 'marianne', workingDays: 5 },
    });
  });
});

describe('the generator and the add-on agree on the configuration', () => {
  it('accepts exactly the keys the add-on reads', () => {
    // zod 4 refinements keep the object schema, so its shape is still there.
    expect(Object.keys(addonConfigurationSchema.shape).sort()).toEqual([...configKeys].sort());
  });

  it('produces a configuration the add-on takes without error', () => {
    const doc = buildPolicies({
      addonId: DEFAULT_ADDON_ID,
      installUrl: 'https://s.example.fr/addon/suivi-balf.xpi',
      endpoint: 'https://s.example.fr',
      token: 'sbt_x',
      secret: 's'.repeat(43),
      department: '974',
      region: 'reunion',
      balfs: ['SIP.StDenis@dgfip.finances.gouv.fr'],
      internalDomains: ['dgfip.finances.gouv.fr'],
      platform: 'windows',
    });
    const { config, errors } = resolveConfig(
      doc.policies['3rdparty']?.Extensions[DEFAULT_ADDON_ID] ?? {},
      {},
      {},
    );
    expect(errors).toEqual([]);
    expect(config).toMatchObject({
      region: 'reunion',
      balfs: ['sip.stdenis@dgfip.finances.gouv.fr'],
      endpoint: 'https://s.example.fr',
    });
  });
});

describe('documentation of the configuration keys', () => {
  it.each(['deploy/README.md', 'docs/guide-coordinateur.md'])(
    '%s documents every key of the add-on',
    (path) => {
      const text = read(path);
      for (const key of configKeys) expect(text, `${path}: ${key}`).toContain(`\`${key}\``);
    },
  );
});

describe('ADMX/ADML templates', () => {
  const window = new Window();
  const parse = (path: string): Document => {
    const doc = new window.DOMParser().parseFromString(read(path), 'application/xml') as unknown as Document;
    expect(doc.getElementsByTagName('parsererror').length, `${path} is well-formed XML`).toBe(0);
    return doc;
  };
  const admx = parse('deploy/windows/admx/suivi-balf.admx');
  const admlPaths = [
    'deploy/windows/admx/fr-FR/suivi-balf.adml',
    'deploy/windows/admx/en-US/suivi-balf.adml',
  ];

  it('writes the add-on configuration where Thunderbird reads 3rdparty policies', () => {
    const policy = admx.getElementsByTagName('policy')[0];
    expect(policy?.getAttribute('key')).toBe(
      'Software\\Policies\\Mozilla\\Thunderbird\\3rdparty\\Extensions',
    );
    const text = policy?.getElementsByTagName('multiText')[0];
    expect(text?.getAttribute('valueName')).toBe(DEFAULT_ADDON_ID);
  });

  it.each(admlPaths)('%s defines every string and presentation the ADMX refers to', (path) => {
    const adml = parse(path);
    const source = read('deploy/windows/admx/suivi-balf.admx');
    const strings = new Set([...adml.getElementsByTagName('string')].map((s) => s.getAttribute('id')));
    const presentations = new Set(
      [...adml.getElementsByTagName('presentation')].map((s) => s.getAttribute('id')),
    );
    const wantedStrings = [...source.matchAll(/\$\(string\.([^)]+)\)/g)].map((m) => m[1]);
    const wantedPresentations = [...source.matchAll(/\$\(presentation\.([^)]+)\)/g)].map((m) => m[1]);
    expect(wantedStrings.length).toBeGreaterThan(0);
    for (const id of wantedStrings) expect(strings.has(id ?? ''), `string ${id}`).toBe(true);
    for (const id of wantedPresentations)
      expect(presentations.has(id ?? ''), `presentation ${id}`).toBe(true);
    // Every element of the policy has its control in the presentation.
    const refIds = [...adml.getElementsByTagName('multiTextBox')].map((e) => e.getAttribute('refId'));
    expect(refIds).toEqual([...admx.getElementsByTagName('multiText')].map((e) => e.getAttribute('id')));
  });
});
