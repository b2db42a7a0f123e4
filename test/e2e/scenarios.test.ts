// The repository's end-to-end scenarios through the runner of `npm run e2e:scenario` (real Thunderbird, Dovecot,
// collection server), each against its expected.json (test/e2e/scenarios/README.md): every scenario with the MV3
// add-on, a representative few with the MV2 build. Each build is made once; scenarios run several at a time,
// each Thunderbird with a policies.json of its own (test/support/README.md).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runScenario } from '../../scripts/e2e-scenario.ts';
import { buildFlavor, type AddonFlavor, type FlavorBuild } from '../support/scenario/addon-flavor.ts';
import { requireThunderbirdAndDovecot } from '../support/thunderbird/system.ts';
import { REPO_ROOT } from '../support/thunderbird/xpi.ts';
import { subsetDifferences } from './scenarios/match.ts';

const SCENARIOS = join(REPO_ROOT, 'test', 'e2e', 'scenarios');
const names = readdirSync(SCENARIOS, { withFileTypes: true })
  .filter((e) => e.isDirectory() && existsSync(join(SCENARIOS, e.name, 'expected.json')))
  .map((e) => e.name)
  .sort();

/**
 * Both builds bundle the same code and call the same APIs on this machine's Thunderbird, so the MV3 runs
 * prove every counting rule; these use every API the add-on calls and prove what the MV2 build alone
 * brings (its manifest, install route, bundle target, MV2 event page), the last one with header refinement and
 * request closure: test/e2e/scenarios/README.md.
 */
const MV2_SCENARIOS = ['dossiers-et-doublons', 'reponses-et-references', 'relances-et-automatiques'];

const runs: { name: string; flavor: AddonFlavor }[] = [
  ...names.map((name) => ({ name, flavor: 'mv3' as const })),
  ...MV2_SCENARIOS.map((name) => ({ name, flavor: 'mv2' as const })),
];

describe('scénarios de bout en bout (npm run e2e:scenario)', () => {
  const builds = new Map<AddonFlavor, FlavorBuild>();

  beforeAll(() => {
    requireThunderbirdAndDovecot();
    builds.set('mv3', buildFlavor('mv3'));
    builds.set('mv2', buildFlavor('mv2'));
  });

  it('le dépôt contient des scénarios, et ceux joués en MV2 en font partie', () => {
    expect(names.length).toBeGreaterThanOrEqual(6);
    expect(names).toEqual(expect.arrayContaining(MV2_SCENARIOS));
  });

  it.concurrent.each(runs)(
    '$name, module $flavor : les chiffres du serveur sont ceux attendus',
    async ({ name, flavor }) => {
      const expected = JSON.parse(readFileSync(join(SCENARIOS, name, 'expected.json'), 'utf8')) as unknown;
      await runScenario({
        dir: join(SCENARIOS, name),
        addon: builds.get(flavor)!,
        log: (text) => console.info(`[${name} ${flavor}] ${text}`),
        // Judged before the clean-up: on a difference, the run's logs and database are kept.
        check: (answer) => expect(subsetDifferences(answer, expected), `${name} (${flavor})`).toEqual([]),
      });
    },
    // The runner's own limit (15 min), plus waiting for policies.json where runs must take turns.
    1_600_000,
  );
});
