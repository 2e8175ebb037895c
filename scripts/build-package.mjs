// Builds one workspace package to ESM (dist/esm) and CommonJS (dist/cjs) with tsc.
// Run from the package directory: `node ../../scripts/build-package.mjs`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const run = (project) => execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run('tsconfig.build.json');

// The CommonJS pass needs node10 resolution (sibling packages resolve through their `types`
// field), which rejects customConditions; a throw-away config beside the real one unsets it.
const cjsConfig = '.tsconfig.build-cjs.json';
writeFileSync(
  cjsConfig,
  JSON.stringify({
    extends: './tsconfig.build.json',
    compilerOptions: {
      outDir: 'dist/cjs',
      module: 'commonjs',
      moduleResolution: 'node10',
      customConditions: null,
      verbatimModuleSyntax: false,
    },
  }),
);
try {
  run(cjsConfig);
} finally {
  rmSync(cjsConfig);
}
// Node reads the nearest package.json "type"; this marks dist/cjs as CommonJS.
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
