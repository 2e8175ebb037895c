// Runs a TypeScript program of this workspace in a plain Node process, without a build: `.ts`
// files are compiled on require with @swc/core (the settings jest uses, see jest.config.cjs),
// and the sources' NodeNext-style `./x.js` specifiers are mapped to `./x.ts`. Start it with the
// export condition that points every @rpcx/* import at its src/:
//
//   node --conditions=@rpcx/source packages/testing/src/register.cjs path/to/entry.ts args...
//
// As the main script it installs the hook, then runs the entry with `process.argv` as if Node had
// started it (`[node, entry.ts, ...args]`). It can also be preloaded (`node -r register.cjs x.ts`),
// but only for entries outside a `"type": "module"` package: Node hands such a main file to its
// ESM loader, which refuses `.ts`.
//
// With RPCX_EXIT_WITH_PARENT=1 (set by `startProcess`), the program exits when its stdin closes:
// stdin is a pipe from the parent, so the child never outlives a test run that died.
'use strict';

const Module = require('node:module');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const SWC_OPTIONS = {
  jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

Module._extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = require('node:fs').readFileSync(filename, 'utf8');
  const { code } = transformSync(source, { ...SWC_OPTIONS, filename });
  module._compile(code, filename);
};

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function resolveTypeScript(request, parent, ...rest) {
  try {
    return resolveFilename.call(this, request, parent, ...rest);
  } catch (error) {
    // `./x.js` in a TypeScript source means `./x.ts`.
    if (error?.code === 'MODULE_NOT_FOUND' && /^\.\.?\/.*\.js$/.test(request)) {
      return resolveFilename.call(this, `${request.slice(0, -3)}.ts`, parent, ...rest);
    }
    throw error;
  }
};

process.setSourceMapsEnabled(true);

if (process.env.RPCX_EXIT_WITH_PARENT === '1' && !process.stdin.isTTY) {
  const orphaned = () => process.exit(70);
  process.stdin.on('end', orphaned).on('close', orphaned).on('error', orphaned).resume();
  // Reading stdin must not keep the program alive on its own.
  process.stdin.unref?.();
}

if (require.main === module) {
  const entry = process.argv[2];
  if (entry === undefined) {
    process.stderr.write('usage: node --conditions=@rpcx/source register.cjs entry.ts [args...]\n');
    process.exit(64);
  }
  const file = path.resolve(entry);
  process.argv.splice(1, 2, file);
  require(file);
}
