/**
 * The span a traced server call is in, read back from its request metadata, where
 * `serverTracing` put it (as Go's plugin does): for starting spans by hand in a handler when no
 * context manager carries the active span.
 */
import { type Context, ROOT_CONTEXT, type TextMapPropagator, trace } from '@opentelemetry/api';
import type { Metadata } from '@rpcx/core';
import { metadataGetter, traceContextPropagator } from './propagator.js';

/**
 * The OpenTelemetry context of the call whose handler got `ctx` — its SERVER span (as a span
 * context) when `serverTracing` traced it — or undefined when the request metadata names no
 * span. To start a child span by hand: `tracer.startSpan('db query', {}, contextOf(ctx))`.
 * Give the `propagator` the interceptor was given, if not the default.
 */
export function contextOf(
  ctx: { readonly metadata?: Readonly<Metadata> | undefined },
  propagator: TextMapPropagator<Metadata> = traceContextPropagator,
): Context | undefined {
  if (ctx.metadata === undefined) return undefined;
  const context = propagator.extract(ROOT_CONTEXT, ctx.metadata, metadataGetter);
  return trace.getSpan(context) === undefined ? undefined : context;
}
