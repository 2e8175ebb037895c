/**
 * The registry contract's options for etcd (@rpcx/testing `describeRegistryContract`): a real etcd
 * of `flavor` started on free loopback ports, this package's plugin and discovery over it, and a
 * child process registering through the plugin for the crash test.
 */
import { join } from 'node:path';
import { FailMode, SerializeType, XClient } from '@rpcx/client';
import { Server } from '@rpcx/server';
import {
  type EtcdCluster,
  type EtcdFlavor,
  type RegistryContractOptions,
  startEtcd,
  startProcess,
} from '@rpcx/testing';
import type { Etcd3 } from 'etcd3';
import { createEtcdClient } from '../etcd-client.js';
import { EtcdDiscovery } from '../etcd-discovery.js';
import { EtcdRegisterPlugin } from '../etcd-register-plugin.js';
import { etcdNodeKey } from '../keys.js';

const BASE = '/rpcx_contract';
/** Short, so the crash test is quick: keys vanish ≤ TTL after the last keep-alive. */
const TTL_SECONDS = 3;
const RETRY = { initialDelayMs: 100, maxDelayMs: 1_000 };

export function etcdContractOptions(flavor: EtcdFlavor): RegistryContractOptions {
  let etcd: EtcdCluster | undefined;
  let admin: Etcd3 | undefined;
  return {
    async setup() {
      const server = await startEtcd({ flavor });
      etcd = server;
      const endpoints = [...server.endpoints];
      const client = createEtcdClient({ endpoints });
      admin = client;
      return {
        plugin: (serviceAddress) =>
          new EtcdRegisterPlugin({
            endpoints,
            basePath: BASE,
            serviceAddress,
            ttlSeconds: TTL_SECONDS,
            updateIntervalMs: 1_000,
            backoff: RETRY,
          }),
        discovery: (servicePath) =>
          new EtcdDiscovery({ endpoints, basePath: BASE, servicePath, backoff: RETRY }),
        // As an operator would: `etcdctl put <key> <value> --ignore-lease` (the key keeps its lease).
        editMetadata: async (servicePath, serviceAddress, metadata) => {
          await client.kv.put({
            key: Buffer.from(etcdNodeKey(BASE, servicePath, serviceAddress)),
            value: Buffer.from(metadata),
            ignore_lease: true,
          });
        },
        spawnRegistrant: async (servicePath, serviceAddress) => {
          const child = await startProcess(join(__dirname, 'registrant.ts'), [
            endpoints.join(','),
            BASE,
            servicePath,
            serviceAddress,
            String(TTL_SECONDS),
          ]);
          return { kill: async () => void (await child.kill('SIGKILL')) };
        },
        // The lease outlives its last keep-alive by at most its TTL.
        expiryMs: TTL_SECONDS * 1_000 + 1_000,
        restart: (options) => server.restart(options),
      };
    },
    async teardown() {
      admin?.close();
      await etcd?.close();
    },
    rpc: {
      async startServer(id, servicePath, plugins) {
        const server = new Server({ plugins: [...plugins] });
        server.registerName(servicePath, { Who: () => id }, { methods: ['Who'] });
        const address = await server.listen('tcp@127.0.0.1:0');
        return { address, stop: () => server.shutdown({ timeoutMs: 1_000 }) };
      },
      xclient(servicePath, discovery) {
        const client = new XClient({
          servicePath,
          discovery,
          failMode: FailMode.Failover,
          serializeType: SerializeType.JSON,
        });
        return {
          who: (timeoutMs) => client.call<string>('Who', {}, { timeoutMs }),
          close: () => client.close(),
        };
      },
    },
  };
}
