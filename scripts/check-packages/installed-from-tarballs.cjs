// Run in the consumer project: every @rpcx/* package npm installed came from a local tarball and
// sits once at the top, i.e. the packed ^ ranges were met by the sibling tarballs.
const lock = require(`${process.cwd()}/package-lock.json`);

let problems = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.includes('node_modules/@rpcx/')) continue;
  const nested = path.split('node_modules/').length > 2;
  if (nested || !entry.resolved?.startsWith('file:')) {
    console.log(`${path}: ${nested ? 'nested copy, ' : ''}resolved from ${entry.resolved}`);
    problems++;
  }
}
process.exitCode = problems > 0 ? 1 : 0;
