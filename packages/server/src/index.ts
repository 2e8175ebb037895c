export { RATE_LIMIT_TEXT, SHUTTING_DOWN_TEXT } from './errors.js';
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
  ServerConnection,
  ServerHandle,
  ServiceErrorHandler,
} from './types.js';
