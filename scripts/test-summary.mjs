#!/usr/bin/env node
// Adds up the JSON reports of every test suite that ran and prints one total line, the last line CI reads:
// "N passed, N failed". A suite counts as (at least) one failure when its report is missing (it crashed),
// when it says it did not succeed without naming a failed test (a setup error), or when it ran no test.
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
for (const path of process.argv.slice(2)) {
  if (!existsSync(path)) {
    console.log(`${path}: no report (the suite did not finish)`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  let suiteFailed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  if (suiteFailed === 0 && (report.numFailedTestSuites > 0 || report.success === false)) suiteFailed = 1;
  if (report.numPassedTests + suiteFailed === 0) suiteFailed = 1;
  const note = report.numPassedTests + report.numFailedTests === 0 ? ' (no test ran)' : '';
  console.log(`${path}: ${report.numPassedTests} passed, ${suiteFailed} failed${note}`);
  passed += report.numPassedTests;
  failed += suiteFailed;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
