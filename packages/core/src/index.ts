export type { CallOptions } from './call-options.js';
export { type Codec, SerializeType } from './codec.js';
export { type Compressor, CompressType } from './compressor.js';
export type { ServiceDiscovery, ServiceEndpoint } from './discovery.js';
export { ErrorCode, isRetryable, isRpcxError, RpcxError, type RpcxErrorOptions } from './errors.js';
export { type Logger, silentLogger } from './logger.js';
export {
  MessageStatusType,
  MessageType,
  type Metadata,
  MetadataKey,
  type RpcxMessage,
} from './message.js';
export type {
  CallInfo,
  ClientPlugin,
  ConnectionInfo,
  RegistryPlugin,
  ServerPlugin,
} from './plugins.js';
export type { SelectContext, Selector } from './selector.js';
