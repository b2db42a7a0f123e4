// The scenario runner's command line: the two-argument contract stays, --mv2 / --db / SUIVI_ADDON_FLAVOR on top.
import { describe, expect, it } from 'vitest';
import { parseRunnerArgs, USAGE } from '../../../scripts/e2e-scenario-input.ts';
import { flavorFromEnv } from './addon-flavor.ts';

describe('parseRunnerArgs', () => {
  it('keeps the contract: <dir> <out.json>, MV3 by default', () => {
    expect(parseRunnerArgs(['s/x', '/tmp/o.json'], 'mv3')).toEqual({
      dir: 's/x',
      out: '/tmp/o.json',
      flavor: 'mv3',
    });
  });

  it('takes --mv2 and --db anywhere; --mv3 overrides the environment', () => {
    expect(parseRunnerArgs(['--mv2', 's/x', '/tmp/o.json', '--db', '/tmp/b.sqlite'], 'mv3')).toEqual({
      dir: 's/x',
      out: '/tmp/o.json',
      flavor: 'mv2',
      db: '/tmp/b.sqlite',
    });
    expect(parseRunnerArgs(['s/x', 'o.json'], 'mv2').flavor).toBe('mv2');
    expect(parseRunnerArgs(['s/x', 'o.json', '--mv3'], 'mv2').flavor).toBe('mv3');
  });

  it('refuses a missing or extra argument, an unknown option and --db without a file', () => {
    expect(() => parseRunnerArgs(['s/x'], 'mv3')).toThrow(USAGE);
    expect(() => parseRunnerArgs(['s/x', 'o.json', 'extra'], 'mv3')).toThrow(USAGE);
    expect(() => parseRunnerArgs(['s/x', 'o.json', '--mv4'], 'mv3')).toThrow(/option inconnue --mv4/);
    expect(() => parseRunnerArgs(['s/x', 'o.json', '--db'], 'mv3')).toThrow(/--db attend/);
  });
});

describe('flavorFromEnv', () => {
  it('reads SUIVI_ADDON_FLAVOR, mv3 when unset, and refuses anything else', () => {
    expect(flavorFromEnv({})).toBe('mv3');
    expect(flavorFromEnv({ SUIVI_ADDON_FLAVOR: 'MV2' })).toBe('mv2');
    expect(flavorFromEnv({ SUIVI_ADDON_FLAVOR: 'mv3' })).toBe('mv3');
    expect(() => flavorFromEnv({ SUIVI_ADDON_FLAVOR: 'v2' })).toThrow(/SUIVI_ADDON_FLAVOR inconnu/);
  });
});
