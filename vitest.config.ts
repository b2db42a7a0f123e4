// Unit, property and server tests (fast, parallel). Real-part tests live in vitest.e2e.config.ts.
import { defineConfig } from 'vitest/config';
import { reporters } from './test/support/reporters.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    globalSetup: ['test/support/global-setup.ts'],
    reporters: reporters('unit'),
    testTimeout: 30_000,
    hookTimeout: 120_000,
  },
});
