/**
 * An SDK for the tests: a tracer provider whose spans go to an InMemorySpanExporter (not
 * registered globally: each test hands it to the interceptors), plus helpers to read the
 * exported spans.
 */
import { type SpanContext, SpanKind } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  type Sampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

export interface TracingRig {
  provider: BasicTracerProvider;
  exporter: InMemorySpanExporter;
  /** The finished spans. */
  spans(): ReadableSpan[];
  /** The finished span named `name` of `kind`; fails unless there is exactly one. */
  span(name: string, kind: SpanKind): ReadableSpan;
}

export function tracingRig(sampler?: Sampler): TracingRig {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...(sampler === undefined ? {} : { sampler }),
  });
  const spans = () => exporter.getFinishedSpans();
  return {
    provider,
    exporter,
    spans,
    span(name, kind) {
      const found = spans().filter((s) => s.name === name && s.kind === kind);
      if (found.length !== 1) {
        const all = spans().map((s) => `${s.name} (${SpanKind[s.kind]})`);
        throw new Error(`${found.length} spans ${name} (${SpanKind[kind]}) among: ${all}`);
      }
      return found[0]!;
    },
  };
}

/** `trace id/span id` of a span context, for comparing links. */
export function idsOf(context: SpanContext | undefined): string | undefined {
  return context === undefined ? undefined : `${context.traceId}/${context.spanId}`;
}
