// The import rule of ARCHITECTURE.md §2, enforced. `pnpm deps:check` fails on any violation.
const leaf = '(codecs|selectors|registry-[^/]+|ratelimit-[^/]+|opentelemetry|metrics)';
const notSpec = '\\.spec\\.ts$|/test-support/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-unresolvable',
      comment: 'An import that does not resolve is a dependency missing from package.json.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-has-no-dependencies',
      comment: '@rpcx/core is the root of the graph: no other package and no npm dependency.',
      severity: 'error',
      from: { path: '^packages/core/src', pathNot: notSpec },
      to: {
        pathNot: '^packages/core/src',
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'leaf-imports-only-core',
      comment:
        'codecs, selectors, registries, limiters and tracing import only @rpcx/core (plus their own client).',
      severity: 'error',
      from: { path: `^packages/${leaf}/src`, pathNot: notSpec },
      to: { path: '^packages/', pathNot: ['^packages/core/src', `^packages/$1/src`] },
    },
    {
      name: 'protocol-imports-only-core',
      severity: 'error',
      from: { path: '^packages/protocol/src', pathNot: notSpec },
      to: { path: '^packages/', pathNot: ['^packages/(core|protocol)/src'] },
    },
    {
      name: 'client-server-take-registries-injected',
      comment: 'Discoveries and registry plugins are passed in; client and server import none.',
      severity: 'error',
      from: { path: '^packages/(client|server)/src' },
      to: { path: '^packages/registry-' },
    },
    {
      name: 'no-testing-in-runtime-code',
      severity: 'error',
      from: { path: '^packages/(?!testing/)[^/]+/src', pathNot: notSpec },
      to: { path: '^packages/testing/' },
    },
    {
      name: 'nothing-imports-apps-or-conformance',
      severity: 'error',
      from: { pathNot: '^(apps|conformance)/' },
      to: { path: '^(apps|conformance)/' },
    },
    {
      name: 'no-deep-imports-across-packages',
      comment: 'Another package is reached through its entry points only, never its internals.',
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: {
        path: '^packages/',
        pathNot: ['^packages/$1/', '^packages/[^/]+/src/(index|[^/]+/index)\\.ts$'],
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsConfig: { fileName: 'tsconfig.base.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@rpcx/source', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.json'],
    },
    combinedDependencies: true,
  },
};
