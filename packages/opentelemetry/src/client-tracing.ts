/**
 * The client side: one CLIENT span per call (covering an XClient's retries, as the conventions
 * ask), its context injected into the request metadata. Put it in a `Client`'s or `XClient`'s
 * `interceptors`.
 */
import { type Context, context, SpanKind, type TextMapPropagator, trace } from '@opentelemetry/api';
import type { CallOptions, ConnectionInfo, Metadata } from '@rpcx/core';
import { clientSideEndpoint, endSpan } from './attributes.js';
import {
  carriesNoTrace,
  leftOutAsNewTrace,
  runInSpan,
  startCallSpan,
  unsampledParent,
} from './call-span.js';
import { newUnsampledTraceparent } from './new-trace-ids.js';
import { resolveTracing, type TracingOptions } from './options.js';
import { injectSpan, injectUnsampledRoot, metadataGetter } from './propagator.js';

/** What the interceptor reads and writes of a call: the shape of `@rpcx/client`'s `ClientCall`. */
export interface TracedClientCall {
  readonly servicePath: string;
  readonly serviceMethod: string;
  /** Replaced by a copy with the trace context added. */
  metadata: Readonly<Metadata>;
  readonly options: CallOptions;
  /** The connection of the last attempt, once sent: the span's `server.address`/`port`. */
  readonly connection: ConnectionInfo | undefined;
}

/**
 * A client interceptor (`ClientInterceptor` of `@rpcx/client`), generic over the call so that
 * this package needs no more than `@rpcx/core`.
 */
export type ClientTracingInterceptor = <C extends TracedClientCall>(
  next: (call: C) => Promise<unknown>,
) => (call: C) => Promise<unknown>;

/**
 * A client interceptor that traces each call. The span's parent is, in this order: the active
 * span (with a context manager, e.g. inside a traced handler or `startActiveSpan`); a span
 * context in the call's own request metadata (as Go's plugin reads it); the one in the request
 * metadata of the handler context passed as `{ context: ctx }` — its SERVER span, which
 * `serverTracing` wrote there. Without any, the span starts a new trace.
 *
 *   new Client({ address, interceptors: [clientTracing()] })
 */
export function clientTracing(options: TracingOptions = {}): ClientTracingInterceptor {
  const tracing = resolveTracing(options);
  const { propagator, semconv } = tracing;
  return (next) => (call) => {
    const parent = parentContext(call, propagator);
    const unsampled = unsampledParent(tracing, parent);
    if (unsampled !== undefined) {
      // Sampled out upstream: the trace goes on as it came.
      const metadata: Metadata = { ...call.metadata };
      injectSpan(propagator, unsampled, parent, metadata);
      call.metadata = metadata;
      return context.with(parent, next, undefined, call);
    }
    if (leftOutAsNewTrace(tracing, parent)) {
      // A new trace, sampled out here: it travels in the metadata alone (what is left of the
      // chain sends the call; it has no span to see).
      const metadata: Metadata = { ...call.metadata };
      injectUnsampledRoot(propagator, newUnsampledTraceparent(), parent, metadata);
      call.metadata = metadata;
      return next(call);
    }
    const span = startCallSpan(tracing, SpanKind.CLIENT, call, parent);
    const spanContext = span.spanContext();
    const recording = span.isRecording();
    // The API without an SDK, and no trace to continue: nothing to record or to send.
    if (!recording && carriesNoTrace(span)) return next(call);
    const active = trace.setSpan(parent, span);
    const metadata: Metadata = { ...call.metadata };
    injectSpan(propagator, spanContext, active, metadata);
    call.metadata = metadata;
    // Sampled out (or no SDK, passing a trace on): the context travels, nothing is recorded.
    if (!recording) return context.with(active, next, undefined, call);
    return runInSpan(active, next, call, (error, failed) => {
      const connection = call.connection;
      if (connection !== undefined && span.isRecording()) {
        span.setAttributes(clientSideEndpoint(connection));
      }
      endSpan(span, semconv, error, failed, '_OTHER');
    });
  };
}

function parentContext(call: TracedClientCall, propagator: TextMapPropagator<Metadata>): Context {
  const active = context.active();
  if (trace.getSpan(active) !== undefined) return active;
  const own = propagator.extract(active, call.metadata, metadataGetter);
  const incoming = call.options.context;
  if (trace.getSpan(own) !== undefined || incoming?.metadata === undefined) return own;
  return propagator.extract(active, incoming.metadata, metadataGetter);
}
