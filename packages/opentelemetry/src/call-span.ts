/**
 * What the client and server sides do alike: start a call's span, and run the rest of the chain
 * inside it, ending the span with the outcome — at once when the chain answers synchronously,
 * else when its promise settles.
 */
import {
  type Context,
  context,
  INVALID_SPANID,
  INVALID_TRACEID,
  type Span,
  type SpanContext,
  type SpanKind,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { callAttributes } from './attributes.js';
import { randomFraction } from './new-trace-ids.js';
import type { ResolvedTracing } from './options.js';

/** The span `Service/Method` of `kind`, a child of `parent`. */
export function startCallSpan(
  tracing: ResolvedTracing,
  kind: SpanKind,
  call: { readonly servicePath: string; readonly serviceMethod: string },
  parent: Context,
): Span {
  const name = `${call.servicePath}/${call.serviceMethod}`;
  const attributes = callAttributes(tracing.semconv, call.servicePath, call.serviceMethod, name);
  return tracing.tracer.startSpan(name, { kind, attributes }, parent);
}

/**
 * Whether a span started by a tracer carries no trace: the API's no-op tracer with nothing to
 * continue gives the all-zero span context; any tracer's other span contexts are valid (a
 * cheaper test than the API's `isSpanContextValid`, which runs two regular expressions).
 */
export function carriesNoTrace(span: Span): boolean {
  return span.spanContext().traceId === INVALID_TRACEID;
}

/**
 * The parent's span context when the parent was sampled out and `followParentSampling` says to
 * leave the call out: its context is then passed on, and no span is started.
 */
export function unsampledParent(
  tracing: ResolvedTracing,
  parent: Context,
): SpanContext | undefined {
  if (!tracing.followParentSampling) return undefined;
  const parentSpanContext = trace.getSpanContext(parent);
  if (parentSpanContext === undefined) return undefined;
  if ((parentSpanContext.traceFlags & TraceFlags.SAMPLED) !== 0) return undefined;
  // The ids of a span context a tracer or the propagator made are well-formed; all zeros is
  // the one invalid value they can have.
  const valid =
    parentSpanContext.traceId !== INVALID_TRACEID && parentSpanContext.spanId !== INVALID_SPANID;
  return valid ? parentSpanContext : undefined;
}

/**
 * Whether a call that starts a new trace (`parent` has no span) is left out here, by
 * `rootSampleRatio`, before the SDK is asked. A call with a parent is never drawn: it follows it.
 */
export function leftOutAsNewTrace(tracing: ResolvedTracing, parent: Context): boolean {
  if (tracing.rootSampleRatio >= 1 || trace.getSpanContext(parent) !== undefined) return false;
  return randomFraction() >= tracing.rootSampleRatio;
}

/** `next(call)` with `active` as the active context; `end` is told how it ended. */
export function runInSpan<C, R>(
  active: Context,
  next: (call: C) => R,
  call: C,
  end: (error: unknown, failed: boolean) => void,
): R {
  let result: R;
  try {
    result = context.with(active, next, undefined, call);
  } catch (error) {
    end(error, true);
    throw error;
  }
  if (!isThenable(result)) {
    end(undefined, false);
    return result;
  }
  return result.then(
    (reply) => {
      end(undefined, false);
      return reply;
    },
    (error: unknown) => {
      end(error, true);
      throw error;
    },
  ) as R;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
