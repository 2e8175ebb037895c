// The CJS consumer: packages resolve through their "require" conditions (dist/cjs).
const runChecks = require('./consumer-checks.cjs');

runChecks('cjs', async (name) => require(name)).then((failed) => {
  process.exitCode = failed > 0 ? 1 : 0;
});
