// The add-on manifest and its build-time variants: ids, versions, update URL, MV2 spelling.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { manifestFor, type AddonManifest } from '../../scripts/build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const base = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as AddonManifest;

describe('manifest', () => {
  it('is MV3 for Thunderbird 128+, French by default, with the permissions the add-on uses', () => {
    const m = manifestFor(base, {}, 'mv3');
    expect(m.manifest_version).toBe(3);
    expect(m.browser_specific_settings.gecko).toEqual({
      id: 'suivi-balf@dgfip.finances.gouv.fr',
      strict_min_version: '128.0',
    });
    expect(m['default_locale']).toBe('fr');
    for (const p of [
      'accountsRead',
      'messagesRead',
      'compose',
      'storage',
      'alarms',
      'sensitiveDataUpload',
      'menus',
      'notifications',
    ]) {
      expect(m.permissions).toContain(p);
    }
    expect(m.host_permissions).toContain('http://127.0.0.1/*');
    expect(m.background).toEqual({ scripts: ['background.js'] });
    const icons = Object.values(m['icons'] as Record<string, string>);
    for (const icon of icons) expect(existsSync(join(root, 'extension', icon)), icon).toBe(true);
    expect(existsSync(join(root, 'extension', (m.action as { default_popup: string }).default_popup))).toBe(
      true,
    );
    expect(existsSync(join(root, 'extension', (m['options_ui'] as { page: string }).page))).toBe(true);
  });

  it('applies the build-time overrides', () => {
    const m = manifestFor(
      base,
      {
        SUIVI_ADDON_ID: 'essai@example.org',
        SUIVI_ADDON_VERSION: '2.0.1',
        SUIVI_UPDATE_URL: 'https://collecte.example.fr/addon/updates.json',
        SUIVI_HOST_PERMISSIONS: 'https://collecte.example.fr/*, http://127.0.0.1/*',
      },
      'mv3',
    );
    expect(m.version).toBe('2.0.1');
    expect(m.browser_specific_settings.gecko).toMatchObject({
      id: 'essai@example.org',
      update_url: 'https://collecte.example.fr/addon/updates.json',
    });
    expect(m.host_permissions).toEqual(['https://collecte.example.fr/*', 'http://127.0.0.1/*']);
    expect(base.version).toBe('0.1.0');
  });

  it('spells the MV2 variant for Thunderbird 115', () => {
    const m = manifestFor(base, {}, 'mv2');
    expect(m.manifest_version).toBe(2);
    expect(m.browser_action).toEqual(base.action);
    expect(m.action).toBeUndefined();
    expect(m.host_permissions).toBeUndefined();
    expect(m.permissions).toContain('http://127.0.0.1/*');
    expect(m.background).toEqual({ scripts: ['background.js'], persistent: false });
    expect(m.browser_specific_settings.gecko.strict_min_version).toBe('115.0');
  });
});
