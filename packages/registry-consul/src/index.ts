export {
  ConsulDiscovery,
  type ConsulDiscoveryOptions,
  type ConsulDiscoveryStats,
} from './consul-discovery.js';
export { type ConsulConnectionOptions, LOCK_FLAG_VALUE } from './consul-kv.js';
export {
  ConsulRegisterPlugin,
  type ConsulRegisterPluginOptions,
} from './consul-register-plugin.js';
