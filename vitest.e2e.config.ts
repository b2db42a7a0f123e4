// Real-part tests: real Thunderbird, Dovecot, Chromium. One file at a time: they share
// /etc/thunderbird/policies/policies.json and the machine's two cores.
import { configDefaults, defineConfig } from 'vitest/config';
import { reporters } from './test/support/reporters.ts';

// The 100,000-message IMAP test (issue 8) is not in `npm test` yet: it passes, but in ~28 min (set by
// Thunderbird's header download), which on top of `npm test`'s ~46 min comes close to CI's 90 min limit
// (see docs/reliability.md). It runs on its own with `npm run test:large`.
const LARGE = 'test/e2e/reliability-imap-large.test.ts';

export default defineConfig({
  test: {
    include: process.env['SUIVI_E2E_LARGE'] === '1' ? [LARGE] : ['test/e2e/**/*.test.ts'],
    exclude:
      process.env['SUIVI_E2E_LARGE'] === '1' ? configDefaults.exclude : [...configDefaults.exclude, LARGE],
    fileParallelism: false,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: reporters('e2e'),
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
