/**
 * Child-process entry of the load run: starts one server and prints `LISTENING <address>`
 * (`server-process.js rpcx [tracing,access-log,...]`: the operations features of ops-features.ts). It
 * answers each line from stdin with one line, and exits when stdin closes:
 *
 * - `cpu` → `CPU <µs>`: its CPU time so far;
 * - `stats` → `STATS {"cpuUs","rssBytes","heapUsedBytes","externalBytes","arrayBuffersBytes",
 *   "connections"}` on one line (`connections` for a server that counts them): Go's
 *   benchserver's reply, with Node's heap on top (the memory run);
 * - `gc` → `GC done` after a full garbage collection, or `GC unavailable` unless Node was started
 *   with `--expose-gc`.
 */
import { createInterface } from 'node:readline';
import { parseOpsFeatures } from './ops-features.js';
import { type ServerKind, startCountedServer } from './servers.js';

const kind = process.argv[2] as ServerKind;
if (kind !== 'raw' && kind !== 'rpcx') {
  console.error('usage: server-process.js raw|rpcx');
  process.exit(2);
}
const server = await startCountedServer(kind, parseOpsFeatures(process.argv[3]));
console.log(`LISTENING ${server.address}`);
const cpuUs = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  switch (line.trim()) {
    case 'cpu':
      console.log(`CPU ${cpuUs()}`);
      break;
    case 'stats': {
      const memory = process.memoryUsage();
      const stats = {
        cpuUs: cpuUs(),
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        externalBytes: memory.external,
        arrayBuffersBytes: memory.arrayBuffers,
        connections: server.connections?.(),
      };
      console.log(`STATS ${JSON.stringify(stats)}`);
      break;
    }
    case 'gc':
      globalThis.gc?.();
      console.log(globalThis.gc ? 'GC done' : 'GC unavailable');
      break;
  }
});
lines.on('close', () => process.exit(0));
