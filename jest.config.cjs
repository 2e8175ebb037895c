// One jest run for the whole workspace. Tests run against TypeScript sources:
// the "@rpcx/source" export condition points every @rpcx/* import at its src/.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@rpcx/source', 'node', 'require', 'default'],
  },
  roots: ['<rootDir>/packages', '<rootDir>/apps', '<rootDir>/conformance', '<rootDir>/e2e'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  // Sources use NodeNext-style `./x.js` specifiers; map them back to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testTimeout: 20000,
  // Jest's default on a 2-core machine is one worker; the suites drive time instead of racing
  // the clock, so two side by side are safe and halve the run.
  maxWorkers: 2,
};
