// Reads vitest JSON reports and prints the counts, added up over all given files.
// `--line` prints only "N passed, N failed"; otherwise the failed tests are listed.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const lineOnly = args.includes('--line');
const files = args.filter((a) => a !== '--line');
if (files.length === 0) files.push('.vitest-results.json');

/** The first lines of a test's first failure message (no colours), so a CI log's tail says why. */
function why(messages) {
  const text = String(messages?.[0] ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ANSI colour codes
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l) => l.trim() && !/^\s+at /.test(l))
    .slice(0, 6)
    .join('\n    ');
  return text ? `\n    ${text.slice(0, 1200)}` : '';
}

let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];
for (const file of files) {
  let report;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    failed += 1;
    failures.push(`cannot read ${file}: ${err.message}`);
    continue;
  }
  passed += report.numPassedTests ?? 0;
  failed += report.numFailedTests ?? 0;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  for (const suite of report.testResults ?? []) {
    const name = suite.name.replace(`${process.cwd()}/`, '');
    for (const t of suite.assertionResults ?? []) {
      if (t.status === 'failed') failures.push(`FAILED ${name} > ${t.fullName}${why(t.failureMessages)}`);
    }
    // A file that failed to load has no test results: count it as one failure.
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) {
      failed += 1;
      failures.push(`FAILED ${name}: ${suite.message ?? 'suite failed to run'}`);
    }
  }
}
if (lineOnly) {
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
} else {
  for (const f of failures) console.log(f);
}
process.exit(failed === 0 && passed > 0 ? 0 : 1);
