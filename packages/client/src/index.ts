export {
  type CallOptions,
  CompressType,
  ErrorCode,
  isRpcxError,
  type Metadata,
  RpcxError,
  SerializeType,
} from '@rpcx/core';
export { SelectMode } from '@rpcx/selectors';
export type { CallResult, ClientCall } from './call.js';
export {
  type BreakerFactory,
  type BreakerState,
  type CircuitBreaker,
  ConsecutiveBreaker,
  type ConsecutiveBreakerOptions,
} from './circuit-breaker.js';
export { Client } from './client.js';
export type { ClientOptions, ClientSettings, ReconnectOptions } from './client-options.js';
export { FailMode } from './fail-mode.js';
export type { Receipt } from './fan-out.js';
export type { HeartbeatOptions } from './heartbeat.js';
export { InProcessDiscovery } from './in-process-discovery.js';
export type { CallHandler, ClientInterceptor } from './interceptor.js';
export { MultipleServersDiscovery } from './multiple-servers-discovery.js';
export { OneClient, type OneClientOptions } from './one-client.js';
export { PeerDiscovery } from './peer-discovery.js';
export type { CloseHandler, PushHandler } from './push-fanout.js';
export { PushStream, type PushStreamOptions } from './push-stream.js';
export { type ClientRateLimitOptions, rateLimitInterceptor } from './rate-limit-interceptor.js';
export type { RetryBudgetOptions } from './retry-budget.js';
export type { RemoteMethod, ServiceProxy } from './service-proxy.js';
export { XClient } from './xclient.js';
export type { XClientOptions } from './xclient-options.js';
export { XClientPool } from './xclient-pool.js';
