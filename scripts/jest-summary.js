// Prints the one closing line CI reads ("N passed, N failed, N skipped") from jest's JSON results.
// A suite that failed to run (syntax error, missing module) counts as a failure even with no test in it.
import { existsSync, readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`jest wrote no results (${file}): it did not run`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const brokenSuites = r.testResults.filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length;
const failed = r.numFailedTests + brokenSuites;
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || r.numTotalTests === 0 ? 1 : 0);
