export {
  createEtcdClient,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type EtcdConnectionOptions,
} from './etcd-client.js';
export {
  EtcdDiscovery,
  type EtcdDiscoveryOptions,
  type EtcdRetryEvent,
} from './etcd-discovery.js';
export {
  DEFAULT_TTL_SECONDS,
  DEFAULT_UPDATE_INTERVAL_MS,
  EtcdRegisterPlugin,
  type EtcdRegisterPluginOptions,
} from './etcd-register-plugin.js';
export { etcdNodeKey, etcdServiceKey, etcdServicePrefix } from './keys.js';
