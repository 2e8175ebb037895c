/**
 * Child-process entry of the peers run's grpc-js and Moleculer servers, speaking the load run's
 * server protocol: it prints `LISTENING tcp@127.0.0.1:<port>`, answers `stats` with
 * `STATS {"cpuUs":…,"rssBytes":…}` and exits when stdin closes.
 *
 *   node dist/peers/peer-server-process.js grpc
 *   node dist/peers/peer-server-process.js moleculer <port> <client port>
 */
import { createInterface } from 'node:readline';
import { startGrpcServer } from './grpc-peer.js';
import { startMoleculerServer } from './moleculer-peer.js';
import { BENCH_PROTO } from './peer-servers.js';

const [kind, port, clientPort] = process.argv.slice(2);
if (kind === 'grpc') {
  const server = await startGrpcServer(BENCH_PROTO);
  console.log(`LISTENING tcp@${server.address}`);
} else if (kind === 'moleculer' && port && clientPort) {
  await startMoleculerServer({ server: Number(port), client: Number(clientPort) });
  console.log(`LISTENING tcp@127.0.0.1:${port}`);
} else {
  console.error('usage: peer-server-process.js grpc | moleculer <port> <client port>');
  process.exit(2);
}
const queries = createInterface({ input: process.stdin });
queries.on('line', (line) => {
  if (line.trim() !== 'stats') return;
  const usage = process.cpuUsage();
  const stats = { cpuUs: usage.user + usage.system, rssBytes: process.memoryUsage.rss() };
  console.log(`STATS ${JSON.stringify(stats)}`);
});
queries.on('close', () => process.exit(0));
