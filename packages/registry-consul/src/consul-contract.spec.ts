/**
 * The registry contract (@rpcx/testing) against a real Consul v1.14.11: a one-server cluster with
 * a data dir, so that `restart()` keeps the KV data and sessions as the contract expects.
 */
import { join } from 'node:path';
import {
  type ConsulAgent,
  describeRegistryContract,
  type RegistryUnderTest,
  startConsul,
  startProcess,
} from '@rpcx/testing';
import { ConsulDiscovery } from './consul-discovery.js';
import { ConsulRegisterPlugin } from './consul-register-plugin.js';
import { nodeKey } from './layout.js';
import { putByHand, startWhoServer, whoClient } from './test-support/rig.js';

// Real Consul; a crashed registrant's session lasts up to 2 × 10 s.
jest.setTimeout(60_000);

const BASE = '/rpcx_contract';
const SESSION_TTL_MS = 10_000;
const REGISTRANT = join(__dirname, 'test-support', 'registrant.ts');

let consul: ConsulAgent;

describeRegistryContract('consul', {
  report: console.log,
  async setup(): Promise<RegistryUnderTest> {
    consul = await startConsul({ persistent: true });
    return {
      plugin: (serviceAddress) =>
        new ConsulRegisterPlugin({
          address: consul.address,
          basePath: BASE,
          ...(serviceAddress === undefined ? {} : { serviceAddress }),
          updateIntervalMs: 5_000,
          sessionTtlMs: SESSION_TTL_MS,
          backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
        }),
      discovery: (servicePath) =>
        new ConsulDiscovery({
          address: consul.address,
          basePath: BASE,
          servicePath,
          backoff: { initialDelayMs: 100, maxDelayMs: 1_000 },
        }),
      editMetadata: (servicePath, serviceAddress, metadata) =>
        putByHand(consul.address, nodeKey(BASE, servicePath, serviceAddress), metadata),
      async spawnRegistrant(servicePath, serviceAddress) {
        const child = await startProcess(
          REGISTRANT,
          [consul.address, BASE, servicePath, serviceAddress],
          { name: `registrant ${servicePath}` },
        );
        return {
          kill: async () => {
            await child.kill('SIGKILL');
          },
        };
      },
      // Consul deletes a dead session's keys between TTL and 2 × TTL after its last renewal.
      expiryMs: 2 * SESSION_TTL_MS + 1_000,
      restart: (options) => consul.restart(options),
    };
  },
  async teardown() {
    await consul?.close();
  },
  rpc: {
    async startServer(id, servicePath, plugins) {
      const server = await startWhoServer(id, servicePath, plugins);
      return { address: server.address, stop: server.stop };
    },
    xclient(servicePath, discovery) {
      const client = whoClient(servicePath, discovery);
      return { who: client.who, close: client.close };
    },
  },
});
