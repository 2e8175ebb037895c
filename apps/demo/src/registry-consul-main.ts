/**
 * The registry demo over Consul: starts a Consul agent of its own (v1.14.11 `-dev`, built once by
 * scripts/registries/consul.sh) on free loopback ports, runs the demo, stops the agent.
 *
 *   pnpm demo:consul
 */
import { ConsulDiscovery, ConsulRegisterPlugin } from '@rpcx/registry-consul';
import { startConsul } from '@rpcx/testing';
import { runRegistryDemo } from './registry-demo.js';

const BASE = 'rpcx_demo';

const consul = await startConsul();
try {
  const address = consul.address;
  console.log(`Consul on ${address}`);
  const summary = await runRegistryDemo({
    name: 'Consul',
    plugin: () => new ConsulRegisterPlugin({ address, basePath: BASE }),
    discovery: (servicePath) => new ConsulDiscovery({ address, basePath: BASE, servicePath }),
  });
  process.exitCode = summary.failed === 0 ? 0 : 1;
} finally {
  await consul.close();
}
