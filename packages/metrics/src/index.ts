export {
  ClientMetrics,
  type ClientMetricsInterceptor,
  type ClientMetricsOptions,
  type MeteredClientCall,
} from './client-metrics.js';
export type { AnyRegistry } from './family.js';
export {
  type MetricsRequestListener,
  type MetricsServer,
  type MetricsServerOptions,
  metricsHandler,
  startMetricsServer,
} from './metrics-handler.js';
export {
  DEFAULT_DURATION_BUCKETS,
  DEFAULT_SIZE_BUCKETS,
  Label,
  MetricName,
  RPC_SYSTEM,
} from './names.js';
export {
  type MeteredServerCall,
  ServerMetrics,
  type ServerMetricsInterceptor,
  type ServerMetricsOptions,
} from './server-metrics.js';
