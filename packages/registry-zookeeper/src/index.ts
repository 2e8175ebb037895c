export type { BackoffOptions } from './zk-session.js';
export { ZookeeperDiscovery, type ZookeeperDiscoveryOptions } from './zookeeper-discovery.js';
export {
  type ZookeeperMetricsSource,
  ZookeeperRegisterPlugin,
  type ZookeeperRegisterPluginOptions,
} from './zookeeper-register-plugin.js';
