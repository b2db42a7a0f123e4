#!/usr/bin/env node
// `npm audit` of the production dependencies: fails on a high or critical finding. When the
// registry does not serve the advisory endpoint (a mirror that only serves packages), it says so
// loudly and exits 0 — the check could not run, which is not a pass: the summary line says which.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json'], {
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  console.error(`audit: réponse illisible de npm audit (code ${run.status})\n${run.stderr}`);
  process.exit(1);
}
if (report.statusCode || report.error || report.message) {
  const why = report.message ?? report.error?.summary ?? `HTTP ${report.statusCode}`;
  console.log(`audit: NON VÉRIFIÉ — le registre ne sert pas les avis de sécurité (${why})`);
  process.exit(0);
}
const counts = report.metadata?.vulnerabilities ?? {};
const high = (counts.high ?? 0) + (counts.critical ?? 0);
const names = Object.values(report.vulnerabilities ?? {})
  .filter((v) => v.severity === 'high' || v.severity === 'critical')
  .map((v) => `${v.name} (${v.severity})`);
if (high > 0) {
  console.error(
    `audit: ${high} vulnérabilité(s) élevée(s) ou critique(s) en production : ${names.join(', ')}`,
  );
  process.exit(1);
}
console.log(`audit: aucune vulnérabilité élevée ou critique en production (${JSON.stringify(counts)})`);
