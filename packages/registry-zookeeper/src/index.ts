export { ZookeeperDiscovery, type ZookeeperDiscoveryOptions } from './zookeeper-discovery.js';
export {
  ZookeeperRegisterPlugin,
  type ZookeeperRegisterPluginOptions,
} from './zookeeper-register-plugin.js';
