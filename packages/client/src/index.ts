export {
  type CallOptions,
  CompressType,
  ErrorCode,
  isRpcxError,
  type Metadata,
  RpcxError,
  SerializeType,
} from '@rpcx/core';
export type { ReconnectOptions } from './backoff.js';
export type { CallResult, ClientCall } from './call.js';
export { Client } from './client.js';
export type { ClientOptions } from './client-options.js';
export type { HeartbeatOptions } from './heartbeat.js';
export type { CallHandler, ClientInterceptor } from './interceptor.js';
export type { CloseHandler, PushHandler } from './push-fanout.js';
export { PushStream, type PushStreamOptions } from './push-stream.js';
export type { RemoteMethod, ServiceProxy } from './service-proxy.js';
