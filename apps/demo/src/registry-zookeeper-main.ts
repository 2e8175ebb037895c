/**
 * The registry demo over ZooKeeper: starts a ZooKeeper of its own (Debian's 3.8, installed by
 * scripts/registries/zookeeper.sh) on a free loopback port, runs the demo, stops ZooKeeper.
 *
 *   pnpm demo:zookeeper
 */
import { ZookeeperDiscovery, ZookeeperRegisterPlugin } from '@rpcx/registry-zookeeper';
import { startZookeeper } from '@rpcx/testing';
import { runRegistryDemo } from './registry-demo.js';

const zookeeper = await startZookeeper();
try {
  const servers = zookeeper.connectString;
  console.log(`ZooKeeper on ${servers}`);
  const summary = await runRegistryDemo({
    name: 'ZooKeeper',
    plugin: () => new ZookeeperRegisterPlugin({ servers, basePath: '/rpcx_demo' }),
    discovery: (servicePath) =>
      new ZookeeperDiscovery({ servers, servicePath, basePath: '/rpcx_demo' }),
  });
  process.exitCode = summary.failed === 0 ? 0 : 1;
} finally {
  await zookeeper.close();
}
