export {
  type CallOptions,
  ErrorCode,
  isRpcxError,
  type Metadata,
  RpcxError,
  SerializeType,
} from '@rpcx/core';
export { RATE_LIMIT_TEXT, SHUTTING_DOWN_TEXT } from './errors.js';
export type { ServerHandler, ServerInterceptor } from './interceptor.js';
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
