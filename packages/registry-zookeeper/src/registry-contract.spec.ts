/**
 * The registry contract of @rpcx/testing against a real ZooKeeper (Debian's 3.8, started by the
 * launcher with tickTime 200 ms: sessions of 4 s expire within about 4.2 s).
 */
import { join } from 'node:path';
import {
  describeRegistryContract,
  type RegistryUnderTest,
  startProcess,
  startZookeeper,
  type ZookeeperServer,
} from '@rpcx/testing';
import { ZookeeperDiscovery, ZookeeperRegisterPlugin } from './index.js';
import { contractRpc } from './test-support/contract-rpc.js';
import { connectRaw } from './test-support/raw-zookeeper.js';

// 4 s, the most tickTime 200 allows: the sessions of the restart test must survive a slow
// ZooKeeper start on a busy machine (restored sessions expire that long after it starts).
const SESSION_TIMEOUT_MS = 4_000;
const REGISTRANT = join(__dirname, 'test-support', 'registrant.ts');

jest.setTimeout(30_000);

let zk: ZookeeperServer | undefined;

describeRegistryContract('zookeeper', {
  report: console.log,
  rpc: contractRpc,
  async setup(): Promise<RegistryUnderTest> {
    const server = await startZookeeper({ tickTimeMs: 200 });
    zk = server;
    const servers = [server.connectString];
    const backoff = { initialDelayMs: 50, maxDelayMs: 500 };
    return {
      plugin: (serviceAddress) =>
        new ZookeeperRegisterPlugin({
          servers,
          serviceAddress,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          updateIntervalMs: 500,
          backoff,
        }),
      discovery: (servicePath) =>
        new ZookeeperDiscovery({
          servers,
          servicePath,
          sessionTimeoutMs: SESSION_TIMEOUT_MS,
          backoff,
        }),
      async editMetadata(servicePath, serviceAddress, metadata) {
        const raw = await connectRaw(server.connectString);
        try {
          await raw.set(`/rpcx/${servicePath}/${serviceAddress}`, metadata);
        } finally {
          await raw.close();
        }
      },
      async spawnRegistrant(servicePath, serviceAddress) {
        const child = await startProcess(REGISTRANT, [
          '--zk',
          server.connectString,
          '--service',
          servicePath,
          '--address',
          serviceAddress,
          '--session-timeout-ms',
          String(SESSION_TIMEOUT_MS),
        ]);
        return { kill: async () => void (await child.kill('SIGKILL')) };
      },
      // The session timeout, plus up to a tick of ZooKeeper's expiry granularity and slack.
      expiryMs: SESSION_TIMEOUT_MS + 1_000,
      restart: (options) => server.restart(options),
    };
  },
  async teardown() {
    await zk?.close();
  },
});
