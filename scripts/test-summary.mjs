// Reads vitest's JSON report and prints the counts. `--line` prints only "N passed, N failed".
import { readFileSync } from 'node:fs';

const [file = '.vitest-results.json', flag] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.log(flag === '--line' ? '0 passed, 1 failed' : `test-summary: cannot read ${file}: ${err.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
if (flag === '--line') {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
} else {
  for (const suite of report.testResults ?? []) {
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'failed')
        console.log(`FAILED ${suite.name.replace(process.cwd() + '/', '')} > ${t.fullName}`);
    }
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) {
      console.log(`FAILED ${suite.name}: ${suite.message ?? 'suite failed to run'}`);
    }
  }
}
process.exit(failed === 0 && passed > 0 ? 0 : 1);
