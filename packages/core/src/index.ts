export { Backoff, type BackoffOptions } from './backoff.js';
export type { CallOptions } from './call-options.js';
export type { ClientPlugin, SelectFunc } from './client-plugin.js';
export { type Codec, SerializeType } from './codec.js';
export { type Compressor, CompressType } from './compressor.js';
export { type DeadlineEntry, DeadlineQueue, monotonicNow } from './deadline-queue.js';
export {
  type BreakerStateMessage,
  type BreakerStateName,
  type ClientCallMessage,
  type ClientPickMessage,
  type ClientRetryMessage,
  type ConnectionMessage,
  DiagnosticsChannel,
  type DiagnosticsChannelName,
  type DiscoveryChangeMessage,
  diagnostics,
  type ServerRequestMessage,
} from './diagnostics.js';
export {
  enableTrace,
  parseTraceNames,
  TRACE_ENV,
  TraceName,
  traceFromEnvironment,
} from './diagnostics-trace.js';
export type { ServiceDiscovery, ServiceEndpoint } from './discovery.js';
export { DiscoveryWatcher } from './discovery-watcher.js';
export {
  DEFAULT_OUTAGE_GRACE_MS,
  EndpointFeed,
  type EndpointFeedOptions,
} from './endpoint-feed.js';
export { parseQuery } from './endpoint-metadata.js';
export {
  ErrorCode,
  isRetryable,
  isRpcxError,
  RATE_LIMIT_TEXT,
  RpcxError,
  type RpcxErrorOptions,
  rateLimited,
  SHUTTING_DOWN_TEXT,
} from './errors.js';
export { encodeGoValues, mergeMetadata, queryEscape } from './go-values.js';
export { chainInterceptors, type Interceptor } from './interceptor.js';
export {
  MAX_LOGGED_TEXT,
  peerText,
  WarningLimiter,
  type WarningLimiterOptions,
} from './log-guard.js';
export { type Logger, silentLogger } from './logger.js';
export {
  MessageStatusType,
  MessageType,
  type Metadata,
  MetadataKey,
  type RpcxMessage,
} from './message.js';
export { copyMetadata, newMetadata } from './metadata.js';
export type { ParentContext } from './parent-context.js';
export type { Awaitable, CallInfo, ConnectionInfo, VerifiedCertificate } from './plugins.js';
export { RegistryMeters } from './registry-meters.js';
export { type RegistryMetricsSource, registryMetricsValues } from './registry-metrics.js';
export {
  DEFAULT_MAX_WAITING,
  type RateLimit,
  RequestLimiter,
} from './request-limiter.js';
export { RequestLimits, type RequestLimitsOptions } from './request-limits.js';
export type { SelectContext, Selector } from './selector.js';
export type { RegistryPlugin, ServedRequest, ServerPlugin } from './server-plugin.js';
export { asError, asRpcxError, isErrorLike, messageOf } from './thrown.js';
export { TokenBucket, type TokenBucketOptions } from './token-bucket.js';
