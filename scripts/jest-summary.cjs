// Prints jest's totals as one plain line ("jest: N passed, N failed, N skipped") and fails when
// jest ran no test at all, so an empty run can never pass for a green one.
const { readFileSync } = require('node:fs');

const results = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const skipped = results.numPendingTests + results.numTodoTests;
console.log(
  `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped`,
);
if (results.numTotalTests === 0) {
  console.error('jest ran no test');
  process.exit(1);
}
