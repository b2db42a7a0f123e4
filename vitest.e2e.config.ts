// Real-part tests: real Thunderbird, Dovecot, Chromium. Two files at a time on the machine's two cores:
// each Thunderbird reads a policies.json of its own (test/support/README.md), and most of these files
// wait on Thunderbird's and the add-on's own timers more than they compute.
import { defineConfig } from 'vitest/config';
import LongestFirst from './test/support/e2e-sequencer.ts';
import { reporters } from './test/support/reporters.ts';

// The 100,000-message IMAP test runs in `npm test`; `npm run test:large` runs it alone.
const LARGE = 'test/e2e/reliability-imap-large.test.ts';

export default defineConfig({
  test: {
    include: process.env['SUIVI_E2E_LARGE'] === '1' ? [LARGE] : ['test/e2e/**/*.test.ts'],
    // The dashboard is built once for every file that serves it.
    globalSetup: ['test/support/dashboard-build-setup.ts'],
    maxWorkers: 2,
    // Scenarios run together within their file (test/e2e/scenarios.test.ts): at most this many at once.
    maxConcurrency: 4,
    sequence: { sequencer: LongestFirst },
    reporters: reporters('e2e'),
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
