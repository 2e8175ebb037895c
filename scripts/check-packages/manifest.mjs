// Reads one unpacked tarball (`node manifest.mjs <dir>/package <folder under packages/>`) and
// prints what a published package must not have or must have; exits 1 if anything is wrong.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, folder] = process.argv.slice(2);
const text = readFileSync(join(dir, 'package.json'), 'utf8');
const pkg = JSON.parse(text);
const problems = [];
const expect = (ok, what) => ok || problems.push(what);

// The @rpcx/source condition and src/ paths are for the workspace only (publishConfig drops them).
expect(!text.includes('@rpcx/source'), 'the manifest still has the @rpcx/source condition');
const srcPaths = (value, path) => {
  if (typeof value === 'string') {
    expect(!/^(\.\/)?src\//.test(value), `${path} points into src: ${value}`);
  } else if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) srcPaths(inner, `${path}.${key}`);
  }
};
for (const field of ['exports', 'main', 'module', 'types', 'typings', 'typesVersions']) {
  srcPaths(pkg[field], field);
}

// Sibling ranges are caret ranges; optional peers and test support are never hard dependencies.
for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
  for (const [name, range] of Object.entries(pkg[field] ?? {})) {
    expect(!range.startsWith('workspace:'), `${field}.${name} is still ${range}`);
    if (name.startsWith('@rpcx/'))
      expect(range.startsWith('^'), `${field}.${name} is ${range}, not ^`);
  }
}
for (const name of ['@msgpack/msgpack', 'protobufjs', '@rpcx/testing']) {
  expect(!pkg.dependencies?.[name], `dependencies lists ${name}`);
}

const repo = 'https://github.com/rpcx-ts/rpcx-ts';
expect(pkg.private !== true, 'the package is private');
expect(pkg.license === 'Apache-2.0', `license is ${pkg.license}`);
expect(pkg.sideEffects === false, 'sideEffects is not false');
expect(
  pkg.repository?.type === 'git' &&
    pkg.repository.url === `git+${repo}.git` &&
    pkg.repository.directory === `packages/${folder}`,
  `repository is ${JSON.stringify(pkg.repository)}`,
);
expect(
  pkg.homepage === `${repo}/tree/main/packages/${folder}#readme`,
  `homepage is ${pkg.homepage}`,
);
expect(pkg.bugs?.url === `${repo}/issues`, `bugs is ${JSON.stringify(pkg.bugs)}`);
expect(Array.isArray(pkg.keywords) && pkg.keywords.length > 0, 'no keywords');
expect(JSON.stringify(pkg.files) === '["dist"]', `files is ${JSON.stringify(pkg.files)}`);

// What npm put in the tarball: dist, README and LICENSE; no sources, specs or test support.
const files = [];
const walk = (d) => {
  for (const entry of readdirSync(d, { withFileTypes: true })) {
    const path = join(d, entry.name);
    if (entry.isDirectory()) walk(path);
    else files.push(relative(dir, path));
  }
};
walk(dir);
for (const file of files) {
  expect(/^(dist\/|package\.json$|README\.md$|LICENSE$)/.test(file), `unexpected file ${file}`);
  expect(!/\.spec\.|test-support/.test(file), `test file ${file}`);
}
expect(files.includes('dist/cjs/package.json'), 'no dist/cjs/package.json (CJS marker)');
const license = files.includes('LICENSE') ? readFileSync(join(dir, 'LICENSE'), 'utf8') : '';
expect(/Apache License\s+Version 2\.0/.test(license), 'no Apache-2.0 LICENSE');
const readme = files.includes('README.md') ? readFileSync(join(dir, 'README.md'), 'utf8') : '';
const head = readme.split('\n').slice(0, 8).join('\n');
expect(
  head.includes(`npm install ${pkg.name}`),
  `README does not start with npm install ${pkg.name}`,
);

for (const problem of problems) console.log(problem);
process.exitCode = problems.length > 0 ? 1 : 0;
