// The repository's end-to-end scenarios, each through `npm run e2e:scenario` (real Thunderbird, Dovecot, collection
// server) with the MV3 add-on and again with the MV2 build: the same expected.json (test/e2e/scenarios/README.md).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { REPO_ROOT } from '../support/thunderbird/xpi.ts';
import { subsetDifferences } from './scenarios/match.ts';

const SCENARIOS = join(REPO_ROOT, 'test', 'e2e', 'scenarios');
const names = readdirSync(SCENARIOS, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(SCENARIOS, e.name, 'expected.json')))
  .map((e) => e.name)
  .sort();

/** Both builds of the add-on go through every scenario (`--mv2` is the runner's own option). */
const FLAVORS = ['mv3', 'mv2'] as const;

/** Runs the scenario runner exactly as `npm run e2e:scenario` does. */
function runScenario(
  dir: string,
  file: string,
  args: readonly string[],
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    const { SUIVI_ADDON_FLAVOR: _ignored, ...env } = process.env;
    const child = spawn('node', ['scripts/run-ts.mjs', 'scripts/e2e-scenario.ts', dir, file, ...args], {
      cwd: REPO_ROOT,
      env: { ...env, SUIVI_SCENARIO_QUIET: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
    child.on('close', (status) => done({ status, stderr }));
  });
}

describe('scénarios de bout en bout (npm run e2e:scenario)', () => {
  let out: string;

  beforeAll(async () => {
    requireThunderbirdAndDovecot();
    out = await mkdtemp(join(tmpdir(), 'suivi-scenarios-out-'));
  });

  afterAll(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('le dépôt contient des scénarios', () => {
    expect(names.length).toBeGreaterThanOrEqual(6);
  });

  describe.each(FLAVORS)('module %s', (flavor) => {
    it.each(names)(
      '%s : les chiffres du serveur sont ceux attendus',
      async (name) => {
        const file = join(out, `${name}-${flavor}.json`);
        const run = await runScenario(join(SCENARIOS, name), file, flavor === 'mv2' ? ['--mv2'] : []);
        expect(
          run.status,
          `e2e:scenario ${name} (${flavor}) : ${run.stderr.trim().split('\n').at(-1) ?? ''}`,
        ).toBe(0);
        const actual = JSON.parse(readFileSync(file, 'utf8')) as unknown;
        const expected = JSON.parse(readFileSync(join(SCENARIOS, name, 'expected.json'), 'utf8')) as unknown;
        expect(subsetDifferences(actual, expected)).toEqual([]);
      },
      // Up to 10 min waiting for policies.json (another real-Thunderbird test) + the runner's own 15 min.
      1_600_000,
    );
  });
});
