export {
  MdnsDiscovery,
  type MdnsDiscoveryOptions,
  type MdnsDiscoveryStats,
  RPCX_SERVICE_TYPE,
} from './mdns-discovery.js';
export {
  MdnsRegisterPlugin,
  type MdnsRegisterPluginOptions,
  type MdnsRegisterPluginStats,
} from './mdns-register-plugin.js';
export type { MdnsSocketOptions } from './mdns-socket.js';
export {
  decodeServicesTxt,
  encodeServicesTxt,
  MAX_TXT_STRING_BYTES,
  type ServiceMeta,
} from './txt-record.js';
