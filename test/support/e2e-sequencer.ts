// Order of the real-part test files: the longest first, so that the two lanes of vitest.e2e.config.ts end
// together instead of one waiting alone on a long file started last.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Files that take the most minutes (README, test section), longest first. */
export const LONGEST_FIRST = [
  'test/e2e/reliability-imap-large.test.ts',
  'test/e2e/scenarios.test.ts',
  'test/e2e/fresh-clone.test.ts',
];

export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification): number => {
      const i = LONGEST_FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
