/**
 * A child program for node-process.spec.ts. `ok`: prints `READY <greeting> <code>`, then
 * `LATER 42`, and `BYE` on SIGTERM; `crash`: exits 3 at once; `silent`: never gets ready.
 */
import { ErrorCode } from '@rpcx/core';
import { greeting } from './child-greeting.js';

const mode = process.argv[2];
const keepAlive = setInterval(() => {}, 60_000);
if (mode === 'crash') {
  process.stderr.write('boom\n');
  process.exit(3);
} else if (mode === 'silent') {
  process.stdout.write('not ready\n');
} else {
  process.on('SIGTERM', () => {
    clearInterval(keepAlive);
    process.stdout.write('BYE\n');
  });
  process.stdout.write(`READY ${greeting('child')} ${ErrorCode.Timeout}\n`);
  setTimeout(() => process.stdout.write('LATER 42\n'), 10);
}
