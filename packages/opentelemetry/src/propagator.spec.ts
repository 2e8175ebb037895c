/**
 * The W3C Trace Context over request metadata, checked against the W3C rules and Go's
 * `propagation.TraceContext` (what rpcx-plugins uses): which `traceparent` values are read, what
 * is written, and that the sampled flag alone survives.
 */
import {
  createTraceState,
  propagation,
  ROOT_CONTEXT,
  type SpanContext,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { Metadata } from '@rpcx/core';
import { semconvFromEnv } from './attributes.js';
import { formatTraceparent, parseTraceparent, traceContextPropagator } from './index.js';
import { metadataGetter, metadataSetter } from './propagator.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  test('reads version 00', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
  });

  test('keeps only the sampled flag, as Go does', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-ff`)?.traceFlags).toBe(TraceFlags.SAMPLED);
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-02`)?.traceFlags).toBe(TraceFlags.NONE);
  });

  test('a later version may carry more fields', () => {
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-whatever`)?.spanId).toBe(SPAN);
    expect(parseTraceparent(`cc-${TRACE}-${SPAN}-00`)?.traceId).toBe(TRACE);
  });

  test.each([
    ['version ff', `ff-${TRACE}-${SPAN}-01`],
    ['version 00 with more after it', `00-${TRACE}-${SPAN}-01-more`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['an all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${TRACE.toUpperCase()}-${SPAN}-01`],
    ['a short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['a short span id', `00-${TRACE}-${SPAN.slice(1)}-01`],
    ['no flags', `00-${TRACE}-${SPAN}`],
    ['a non-hex character', `00-${TRACE.slice(0, 31)}g-${SPAN}-01`],
    // Characters whose low seven bits are a hex digit's code ('0', 'a').
    ['a character past ASCII', `00-${TRACE.slice(0, 31)}\u00b0-${SPAN}-01`],
    ['a character past Latin-1', `00-${TRACE}-${SPAN.slice(0, 15)}\u0161-01`],
    ['a non-hex version', `0g-${TRACE}-${SPAN}-01`],
    ['non-hex flags', `00-${TRACE}-${SPAN}-0x`],
    ['spaces around it', ` 00-${TRACE}-${SPAN}-01`],
    ['nothing', ''],
  ])('rejects %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('formatTraceparent', () => {
  test('version 00, the sampled flag only', () => {
    const base = { traceId: TRACE, spanId: SPAN };
    expect(formatTraceparent({ ...base, traceFlags: TraceFlags.SAMPLED })).toBe(
      `00-${TRACE}-${SPAN}-01`,
    );
    expect(formatTraceparent({ ...base, traceFlags: 0xff })).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent({ ...base, traceFlags: TraceFlags.NONE })).toBe(
      `00-${TRACE}-${SPAN}-00`,
    );
  });
});

describe('traceContextPropagator over request metadata', () => {
  const inject = (spanContext: SpanContext): Metadata => {
    const carrier: Metadata = {};
    traceContextPropagator.inject(
      trace.setSpanContext(ROOT_CONTEXT, spanContext),
      carrier,
      metadataSetter,
    );
    return carrier;
  };

  test('writes traceparent, and tracestate only when there is one', () => {
    const sampled = { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED };
    expect(inject(sampled)).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01` });
    expect(inject({ ...sampled, traceState: createTraceState('a=1,b=2') })).toEqual({
      traceparent: `00-${TRACE}-${SPAN}-01`,
      tracestate: 'a=1,b=2',
    });
  });

  test('writes nothing for an invalid span context or none', () => {
    expect(inject({ traceId: '0'.repeat(32), spanId: SPAN, traceFlags: 1 })).toEqual({});
    const carrier: Metadata = {};
    traceContextPropagator.inject(ROOT_CONTEXT, carrier, metadataSetter);
    expect(carrier).toEqual({});
  });

  test('reads what it wrote back, trace state included, as a remote span context', () => {
    const written = inject({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('rojo=00f067aa0ba902b7'),
    });
    const read = trace.getSpanContext(
      traceContextPropagator.extract(ROOT_CONTEXT, written, metadataGetter),
    );
    expect(read).toMatchObject({ traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
    expect(read?.traceState?.serialize()).toBe('rojo=00f067aa0ba902b7');
  });

  test('an invalid traceparent leaves the context as it was; tracestate alone means nothing', () => {
    const cases: Metadata[] = [{ traceparent: 'garbage' }, { tracestate: 'a=1' }, {}];
    for (const metadata of cases) {
      expect(traceContextPropagator.extract(ROOT_CONTEXT, metadata, metadataGetter)).toBe(
        ROOT_CONTEXT,
      );
    }
  });

  test('reads only own keys of the metadata (a key named like an Object method is not a header)', () => {
    const metadata = Object.create({ traceparent: `00-${TRACE}-${SPAN}-01` }) as Metadata;
    expect(traceContextPropagator.extract(ROOT_CONTEXT, metadata, metadataGetter)).toBe(
      ROOT_CONTEXT,
    );
  });

  test('fields are the two W3C keys; the API’s global propagator without an SDK writes nothing', () => {
    expect(traceContextPropagator.fields()).toEqual(['traceparent', 'tracestate']);
    // With no SDK the global propagator is a no-op: it reads and writes nothing.
    const carrier: Metadata = {};
    propagation.inject(
      trace.setSpanContext(ROOT_CONTEXT, parseTraceparent(`00-${TRACE}-${SPAN}-01`)!),
      carrier,
      metadataSetter,
    );
    expect(carrier).toEqual({});
  });
});

describe('semconvFromEnv', () => {
  test.each([
    [undefined, 'legacy'],
    ['', 'legacy'],
    ['http', 'legacy'],
    ['rpc', 'stable'],
    ['http, rpc', 'stable'],
    ['rpc,rpc/dup', 'both'],
    ['rpc/dup', 'both'],
  ])('%s → %s', (value, expected) => {
    expect(semconvFromEnv(value)).toBe(expected);
  });
});
