/**
 * The W3C Trace Context in rpcx request metadata, as Go's rpcx-plugins carries it: its
 * `share.Inject`/`share.Extract` hand the request metadata map to the propagator as the carrier,
 * so a span context travels as two metadata entries, `traceparent` and `tracestate`, under those
 * exact (lower-case) keys. With Go's `propagation.TraceContext{}` the two sides read each other.
 */
import {
  type Context,
  createTraceState,
  isSpanContextValid,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { Metadata } from '@rpcx/core';
import { unsampledSpanContextOf } from './new-trace-ids.js';

export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const DASH = 0x2d;

/** Each lower-case hex digit's value by character code; 16 (not a digit) for other codes. */
const HEX_VALUE = new Uint8Array(128).fill(16);
for (let digit = 0; digit < 16; digit++) HEX_VALUE['0123456789abcdef'.charCodeAt(digit)] = digit;

/**
 * Whether `text[from, to)` is lower-case hex. One table load per character and no branch: a
 * code of 128 or more, or one that is not a digit, sets a bit. (Range comparisons made the whole
 * parse, run on every traced request, a third slower.)
 */
function isHex(text: string, from: number, to: number): boolean {
  let invalid = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    invalid |= (code >>> 7) | (HEX_VALUE[code & 0x7f]! >>> 4);
  }
  return invalid === 0;
}

/**
 * Reads a `traceparent` value as W3C Trace Context level 1 (and Go's propagator) does:
 * `version-traceid-parentid-flags` in lower-case hex; version `00` must be exactly 55
 * characters, a later version may carry more after a `-`; version `ff` and all-zero ids are
 * invalid; only the sampled flag is kept. Undefined when invalid. (By hand, not a regular
 * expression: it runs for every traced request.)
 */
export function parseTraceparent(value: string): SpanContext | undefined {
  const length = value.length;
  if (length < 55 || (length > 55 && value.charCodeAt(55) !== DASH)) return undefined;
  if (
    value.charCodeAt(2) !== DASH ||
    value.charCodeAt(35) !== DASH ||
    value.charCodeAt(52) !== DASH ||
    !isHex(value, 0, 2) ||
    !isHex(value, 3, 35) ||
    !isHex(value, 36, 52) ||
    !isHex(value, 53, 55)
  ) {
    return undefined;
  }
  const version = (HEX_VALUE[value.charCodeAt(0)]! << 4) | HEX_VALUE[value.charCodeAt(1)]!;
  if (version === 0xff || (version === 0 && length !== 55)) return undefined;
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  // The sampled flag is the lowest bit of the flags' second digit.
  const sampled = HEX_VALUE[value.charCodeAt(54)]! & TraceFlags.SAMPLED;
  return { traceId, spanId, traceFlags: sampled, isRemote: true };
}

/** The `traceparent` value of a span context (version 00, the sampled flag only). */
export function formatTraceparent(spanContext: SpanContext): string {
  const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  return `00-${spanContext.traceId}-${spanContext.spanId}-${sampled ? '01' : '00'}`;
}

/**
 * W3C Trace Context over request metadata: the default propagator of `clientTracing` and
 * `serverTracing`. Needs only `@opentelemetry/api`. Pass another `TextMapPropagator` (for
 * example the API's global `propagation`, once an SDK set a composite with baggage) through the
 * `propagator` option to use it instead.
 */
export class TraceContextPropagator implements TextMapPropagator<Metadata> {
  inject(context: Context, carrier: Metadata, setter: TextMapSetter<Metadata>): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext === undefined || !isSpanContextValid(spanContext)) return;
    setter.set(carrier, TRACEPARENT, formatTraceparent(spanContext));
    const state = spanContext.traceState?.serialize();
    // As Go: tracestate only when there is one.
    if (state) setter.set(carrier, TRACESTATE, state);
  }

  /** `inject` of a span context known to be valid, straight into metadata (the hot path). */
  injectValid(spanContext: SpanContext, carrier: Metadata): void {
    carrier[TRACEPARENT] = formatTraceparent(spanContext);
    const state = spanContext.traceState?.serialize();
    if (state) carrier[TRACESTATE] = state;
  }

  extract(context: Context, carrier: Metadata, getter: TextMapGetter<Metadata>): Context {
    const value = getter.get(carrier, TRACEPARENT);
    if (typeof value !== 'string') return context;
    const spanContext = parseTraceparent(value);
    if (spanContext === undefined) return context;
    const state = getter.get(carrier, TRACESTATE);
    if (typeof state === 'string' && state !== '') {
      spanContext.traceState = createTraceState(state);
    }
    return trace.setSpanContext(context, spanContext);
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE];
  }
}

/** The default propagator (stateless: one for all). */
export const traceContextPropagator: TraceContextPropagator = new TraceContextPropagator();

/**
 * Puts `span`'s context (valid) into `metadata` with `propagator` — by the direct path when it is
 * the default one, which needs no Context and checks nothing twice.
 */
export function injectSpan(
  propagator: TextMapPropagator<Metadata>,
  spanContext: SpanContext,
  active: Context,
  metadata: Metadata,
): void {
  if (propagator === traceContextPropagator)
    traceContextPropagator.injectValid(spanContext, metadata);
  else propagator.inject(active, metadata, metadataSetter);
}

/**
 * Puts a new trace left out here (`newUnsampledTraceparent`) into `metadata`: its `traceparent`
 * as it is for the default propagator; for another, a Context with its span context.
 */
export function injectUnsampledRoot(
  propagator: TextMapPropagator<Metadata>,
  traceparent: string,
  parent: Context,
  metadata: Metadata,
): void {
  if (propagator === traceContextPropagator) {
    metadata[TRACEPARENT] = traceparent;
  } else {
    const spanContext = unsampledSpanContextOf(traceparent);
    propagator.inject(trace.setSpanContext(parent, spanContext), metadata, metadataSetter);
  }
}

/** Reads request metadata as a propagator's carrier. */
export const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (Object.hasOwn(carrier, key) ? carrier[key] : undefined),
};

/** Writes into request metadata (a copy the interceptor made). */
export const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};
