/**
 * Child-process entry of the load run: starts one server and prints `LISTENING <address>`. On each
 * `cpu` line from stdin it prints `CPU <µs>` (its CPU time so far); it exits when stdin closes.
 */
import { createInterface } from 'node:readline';
import { type ServerKind, startServer } from './servers.js';

const kind = process.argv[2] as ServerKind;
if (kind !== 'raw' && kind !== 'rpcx') {
  console.error('usage: server-process.js raw|rpcx');
  process.exit(2);
}
const address = await startServer(kind);
console.log(`LISTENING ${address}`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'cpu') return;
  const usage = process.cpuUsage();
  console.log(`CPU ${usage.user + usage.system}`);
});
lines.on('close', () => process.exit(0));
