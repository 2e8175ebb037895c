import {
  type TextMapPropagator,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { Metadata } from '@rpcx/core';
import { type Semconv, semconvFromEnv } from './attributes.js';
import { traceContextPropagator } from './propagator.js';

/** The instrumentation scope of the spans: this package. */
export const INSTRUMENTATION_NAME = '@rpcx/opentelemetry';
/** Kept equal to package.json's version (a test checks). */
export const INSTRUMENTATION_VERSION = '0.1.0';

export interface TracingOptions {
  /**
   * Where spans go. Default: the API's global provider (`trace.getTracerProvider()`), which is a
   * no-op until an SDK registers one.
   */
  tracerProvider?: TracerProvider;
  /**
   * How the span context travels in request metadata. Default: W3C Trace Context
   * (`traceparent` / `tracestate`), what Go's rpcx-plugins sends with
   * `propagation.TraceContext{}`. Pass the API's `propagation` to use the global propagator.
   */
  propagator?: TextMapPropagator<Metadata>;
  /**
   * Which RPC semantic conventions: `legacy` (`rpc.system`, `rpc.service`, `rpc.method`),
   * `stable` (`rpc.system.name`, `rpc.method` = `Service/Method`, `rpc.response.status_code`)
   * or `both`. Default from `OTEL_SEMCONV_STABILITY_OPT_IN` (`rpc`, `rpc/dup`), else `legacy`.
   */
  semconv?: Semconv;
  /**
   * Whether a call whose parent was sampled out (trace flags `00`) is left out without asking
   * the SDK: its context is passed on unchanged and no span is started. What the SDK's default
   * sampler (parent-based) decides anyway, without the cost of a span that records nothing
   * (ids, a sampling decision, a context). Default true; false asks the SDK for every call, for
   * a sampler that does not follow the parent.
   */
  followParentSampling?: boolean;
  /**
   * The share of new traces — calls with no parent span — offered to the SDK, 0..1. The others
   * are left out here without asking the SDK: they get fresh ids and travel on with trace flags
   * `00`, so every service downstream leaves them out too (`followParentSampling`). The OpenTelemetry
   * JS SDK spends microseconds on a span even when its sampler says no; with 10 % of traces
   * wanted, `rootSampleRatio: 0.1` and the SDK's default parent-based always-on sampler leave
   * the other 90 % out at the cost of a random draw. What is offered, the SDK's sampler still
   * decides. Default 1: every new trace is offered.
   */
  rootSampleRatio?: number;
}

/** The options resolved once, when the interceptor is made. */
export interface ResolvedTracing {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator<Metadata>;
  readonly semconv: Semconv;
  readonly followParentSampling: boolean;
  readonly rootSampleRatio: number;
}

export function resolveTracing(options: TracingOptions): ResolvedTracing {
  const rootSampleRatio = options.rootSampleRatio ?? 1;
  if (!(rootSampleRatio >= 0 && rootSampleRatio <= 1)) {
    throw new RangeError(`rootSampleRatio must be in 0..1, got ${rootSampleRatio}`);
  }
  const provider = options.tracerProvider ?? trace.getTracerProvider();
  return {
    tracer: provider.getTracer(INSTRUMENTATION_NAME, INSTRUMENTATION_VERSION),
    propagator: options.propagator ?? traceContextPropagator,
    semconv: options.semconv ?? semconvFromEnv(),
    followParentSampling: options.followParentSampling ?? true,
    rootSampleRatio,
  };
}
