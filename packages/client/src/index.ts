export type { ReconnectOptions } from './backoff.js';
export { Client, type CloseHandler, type PushHandler } from './client.js';
export type { ClientOptions } from './client-options.js';
export type { HeartbeatOptions } from './heartbeat.js';
export type { CallResult } from './pending-call.js';
export { PushStream, type PushStreamOptions } from './push-stream.js';
export type { RemoteMethod, ServiceProxy } from './service-proxy.js';
