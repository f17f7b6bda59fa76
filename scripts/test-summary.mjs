#!/usr/bin/env node
// Adds up the JSON reports of every test suite that ran and prints one total line, the last line CI reads:
// "N passed, N failed". A suite whose report is missing counts as one failure, so a crashed suite is red.
import { existsSync, readFileSync } from 'node:fs';

const reports = process.argv.slice(2);
let passed = 0;
let failed = 0;
for (const path of reports) {
  if (!existsSync(path)) {
    console.log(`${path}: no report (the suite did not finish)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const suiteFailed =
    report.numFailedTests +
    (report.numRuntimeErrorTestSuites ?? 0) +
    (report.numFailedTestSuites > 0 && report.numFailedTests === 0 ? 1 : 0);
  console.log(`${path}: ${report.numPassedTests} passed, ${suiteFailed} failed`);
  passed += report.numPassedTests;
  failed += suiteFailed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
