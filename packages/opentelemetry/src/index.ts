export type { Semconv } from './attributes.js';
export {
  type ClientTracingInterceptor,
  clientTracing,
  type TracedClientCall,
} from './client-tracing.js';
export {
  INSTRUMENTATION_NAME,
  INSTRUMENTATION_VERSION,
  type TracingOptions,
} from './options.js';
export {
  formatTraceparent,
  parseTraceparent,
  TRACEPARENT,
  TRACESTATE,
  TraceContextPropagator,
  traceContextPropagator,
} from './propagator.js';
export { contextOf } from './server-contexts.js';
export {
  type ServerTracingInterceptor,
  serverTracing,
  type TracedServerCall,
} from './server-tracing.js';
