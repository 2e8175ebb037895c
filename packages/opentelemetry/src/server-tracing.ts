/**
 * The server side: the span context in the request metadata (from a TS or a Go client) becomes
 * the parent of a SERVER span, and the rest of the chain — the handler included — runs inside
 * it. Put it in a `Server`'s `interceptors`.
 */
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { type ConnectionInfo, ErrorCode, type Metadata } from '@rpcx/core';
import { endSpan, serverSideEndpoints } from './attributes.js';
import {
  carriesNoTrace,
  leftOutAsNewTrace,
  runInSpan,
  startCallSpan,
  unsampledParent,
} from './call-span.js';
import { newUnsampledTraceparent, unsampledSpanContextOf } from './new-trace-ids.js';
import { resolveTracing, type TracingOptions } from './options.js';
import { injectSpan, injectUnsampledRoot, metadataGetter } from './propagator.js';

/** What the interceptor reads of a call: the shape of `@rpcx/server`'s `ServerCall`. */
export interface TracedServerCall {
  readonly servicePath: string;
  readonly serviceMethod: string;
  readonly metadata: Readonly<Metadata>;
  readonly connection: ConnectionInfo;
}

/**
 * A server interceptor (`ServerInterceptor` of `@rpcx/server`), generic over the call so that
 * this package needs no more than `@rpcx/core`.
 */
export type ServerTracingInterceptor = <C extends TracedServerCall>(
  next: (call: C) => unknown,
) => (call: C) => unknown;

/**
 * A server interceptor that traces each call. The handler runs in the span's context: with a
 * context manager (the SDK's AsyncLocalStorage one) `trace.getActiveSpan()` is the SERVER span
 * there and client calls made from it are its children. Without one, as in Go, the request
 * metadata carries the SERVER span on: pass the handler's context on
 * (`client.call(..., { context: ctx })`) or read `contextOf(ctx)`. The span ends when the
 * handler's result (or error) is known, before the response is encoded and written.
 *
 *   new Server({ interceptors: [serverTracing()] })
 */
export function serverTracing(options: TracingOptions = {}): ServerTracingInterceptor {
  const tracing = resolveTracing(options);
  const { propagator, semconv } = tracing;
  return (next) => (call) => {
    // From the root, as Go's plugin starts from the request's own context: whatever context the
    // socket's callbacks happen to run in is not this call's parent.
    const metadata = call.metadata as Metadata;
    const parent = propagator.extract(ROOT_CONTEXT, metadata, metadataGetter);
    // Sampled out upstream: the handler runs in the caller's context, which its metadata names.
    if (unsampledParent(tracing, parent) !== undefined) {
      return context.with(parent, next, undefined, call);
    }
    if (leftOutAsNewTrace(tracing, parent)) {
      // A new trace, sampled out here: the handler runs in it, and its metadata names it.
      const traceparent = newUnsampledTraceparent();
      const root = trace.setSpanContext(parent, unsampledSpanContextOf(traceparent));
      if (!Object.isFrozen(metadata))
        injectUnsampledRoot(propagator, traceparent, parent, metadata);
      return context.with(root, next, undefined, call);
    }
    const span = startCallSpan(tracing, SpanKind.SERVER, call, parent);
    const recording = span.isRecording();
    // The API without an SDK and no trace to continue: nothing to do.
    if (!recording && carriesNoTrace(span)) return next(call);
    const active = trace.setSpan(parent, span);
    // Sampled out (or no SDK, passing a trace on): the handler runs in the context, nothing is
    // recorded.
    if (!recording) return context.with(active, next, undefined, call);
    span.setAttributes(serverSideEndpoints(call.connection));
    // As Go's plugin does: the request metadata now names this span, so a call the handler makes
    // with `{ context: ctx }` is its child even without a context manager.
    if (!Object.isFrozen(metadata)) injectSpan(propagator, span.spanContext(), active, metadata);
    // Whatever else a handler throws reaches the client as a service error.
    return runInSpan(active, next, call, (error, failed) =>
      endSpan(span, semconv, error, failed, ErrorCode.ServiceError),
    );
  };
}
