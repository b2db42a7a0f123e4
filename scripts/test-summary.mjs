#!/usr/bin/env node
// Sums the vitest JSON reports of a run into the plain line CI reads: "N passed, N failed".
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, exitCode = '0'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let files = 0;
for (const name of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
  const report = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  files += 1;
  passed += report.numPassedTests ?? 0;
  failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
}
// A failure before any test ran (types, lint, setup) still counts as a failure.
if (Number(exitCode) !== 0 && failed === 0) failed = 1;
if (files === 0 && Number(exitCode) === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
