/**
 * A program for netns.spec.ts, run by `startInNetns`: checks the guard, prints what it sees,
 * echoes stdin lines back, and exits when stdin closes.
 *
 *   READY <netns> <interfaces, comma-separated>
 *   GUARD ok | GUARD <error message>
 *   ECHO <line>                       for every stdin line
 */
import { readdirSync } from 'node:fs';
import { assertIsolatedNetns, currentNetns } from '../netns.js';

let guard = 'ok';
try {
  assertIsolatedNetns();
} catch (error) {
  guard = (error as Error).message;
}
process.stdout.write(`READY ${currentNetns()} ${readdirSync('/sys/class/net').sort().join(',')}\n`);
process.stdout.write(`GUARD ${guard}\n`);
process.stdin.ref?.();
let buffered = '';
process.stdin.on('data', (chunk: Buffer) => {
  const lines = (buffered + chunk.toString()).split('\n');
  buffered = lines.pop()!;
  for (const line of lines) process.stdout.write(`ECHO ${line}\n`);
});
