export {
  type CallOptions,
  ErrorCode,
  isRpcxError,
  type Metadata,
  RpcxError,
  SerializeType,
  type VerifiedCertificate,
} from '@rpcx/core';
export { RATE_LIMIT_TEXT, SHUTTING_DOWN_TEXT } from './errors.js';
export type { ServerHandler, ServerInterceptor } from './interceptor.js';
export {
  type AccessLogEntry,
  type AccessLogNotice,
  type AccessLogOptions,
  AccessLogPlugin,
} from './plugins/access-log.js';
export { ALIAS_APPLIED_KEY, AliasPlugin } from './plugins/alias.js';
export { IpAllowListPlugin } from './plugins/ip-allow-list.js';
export { IpDenyListPlugin } from './plugins/ip-deny-list.js';
export { IpList } from './plugins/ip-list.js';
export { type RateLimitingOptions, RateLimitingPlugin } from './plugins/rate-limit-connections.js';
export {
  type ReqRateLimitingOptions,
  ReqRateLimitingPlugin,
} from './plugins/rate-limit-requests.js';
export {
  Server,
  type ServerListenOptions,
  type ServerOptions,
  type ShutdownOptions,
} from './server.js';
export type {
  MethodName,
  MethodTypes,
  RegisterFunctionOptions,
  RegisterOptions,
} from './service-table.js';
export type {
  AuthFunction,
  CallContext,
  ErrorTextFunction,
  Handler,
  ServerCall,
  ServerConnection,
  ServerHandle,
  ServiceErrorHandler,
} from './types.js';
