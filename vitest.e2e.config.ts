// Real-part tests: real Thunderbird, Dovecot, Chromium. One file at a time: they share
// /etc/thunderbird/policies/policies.json and the machine's two cores.
import { defineConfig } from 'vitest/config';
import { reporters } from './test/support/reporters.ts';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: reporters('e2e'),
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
