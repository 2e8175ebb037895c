/**
 * A server process registered in ZooKeeper by `ZookeeperRegisterPlugin`, for the specs (started
 * with @rpcx/testing's `startProcess`):
 *
 *   registrant.ts --zk 127.0.0.1:PORT --service Arith [--address tcp@127.0.0.1:7006]
 *                 [--base /rpcx] [--metadata weight=1] [--session-timeout-ms 2000]
 *                 [--update-interval-ms 500] [--id ts-1]
 *
 * Without `--address` it runs a real @rpcx/server on a free loopback port serving `Who` → id
 * under the service path; with one it only registers that address (no listener). Prints
 * `READY <address>` and `SESSION <sessionId>` once the node is written, then `SESSION <id>`
 * again whenever a new ZooKeeper session is established (after the old one expired). SIGTERM: graceful shutdown (the server
 * unregisters), exit 0.
 */
import { parseArgs } from 'node:util';
import { Server } from '@rpcx/server';
import { ZookeeperRegisterPlugin } from '../index.js';

const { values } = parseArgs({
  options: {
    zk: { type: 'string' },
    service: { type: 'string', default: 'Arith' },
    address: { type: 'string' },
    base: { type: 'string', default: '/rpcx' },
    metadata: { type: 'string', default: '' },
    'session-timeout-ms': { type: 'string', default: '2000' },
    'update-interval-ms': { type: 'string', default: '500' },
    id: { type: 'string', default: 'ts-registrant' },
  },
});
if (values.zk === undefined) throw new Error('--zk is required');

const plugin = new ZookeeperRegisterPlugin({
  servers: values.zk,
  basePath: values.base,
  serviceAddress: values.address,
  sessionTimeoutMs: Number(values['session-timeout-ms']),
  updateIntervalMs: Number(values['update-interval-ms']),
  backoff: { initialDelayMs: 50, maxDelayMs: 500 },
});

async function main(): Promise<void> {
  const keepAlive = setInterval(() => {}, 60_000);
  let stop: () => Promise<void>;
  let address: string;
  if (values.address !== undefined) {
    address = values.address;
    await plugin.start([address]);
    await plugin.register(values.service, values.metadata);
    stop = () => plugin.stop();
  } else {
    const id = values.id;
    const server = new Server({ plugins: [plugin] });
    server.registerName(values.service, { Who: () => id }, { metadata: values.metadata });
    address = await server.listen('tcp@127.0.0.1:0');
    stop = async () => {
      await server.shutdown({ timeoutMs: 2_000 });
    };
  }
  if (!plugin.connected) throw new Error('not connected to ZooKeeper');

  let session = plugin.sessionId;
  process.stdout.write(`READY ${address}\nSESSION ${session}\n`);
  // Tell the test when a new session has written the node again.
  const poll = setInterval(() => {
    if (plugin.connected && plugin.sessionId !== session) {
      session = plugin.sessionId;
      process.stdout.write(`SESSION ${session}\n`);
    }
  }, 20);

  process.once('SIGTERM', () => {
    clearInterval(poll);
    clearInterval(keepAlive);
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`registrant: ${String(error)}\n`);
  process.exit(1);
});
