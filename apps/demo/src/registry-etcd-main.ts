/**
 * The registry demo over etcd: starts an etcd of its own (3.6, built by
 * scripts/registries/etcd.sh) on free loopback ports, runs the demo, stops etcd.
 *
 *   pnpm demo:etcd
 */
import { EtcdDiscovery, EtcdRegisterPlugin } from '@rpcx/registry-etcd';
import { startEtcd } from '@rpcx/testing';
import { runRegistryDemo } from './registry-demo.js';

const BASE = '/rpcx_demo';

const etcd = await startEtcd();
try {
  const endpoints = [...etcd.endpoints];
  console.log(`etcd ${etcd.version} on ${endpoints.join(', ')}`);
  const summary = await runRegistryDemo({
    name: 'etcd',
    plugin: () => new EtcdRegisterPlugin({ endpoints, basePath: BASE }),
    discovery: (servicePath) => new EtcdDiscovery({ endpoints, basePath: BASE, servicePath }),
  });
  process.exitCode = summary.failed === 0 ? 0 : 1;
} finally {
  await etcd.close();
}
