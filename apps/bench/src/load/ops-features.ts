/**
 * The operations features a load-run server or client can have switched on (the `ops` rows,
 * ops-loads.ts): OpenTelemetry tracing (an SDK with every span sampled, batched to an exporter
 * that drops them; `tracing-10%`, the same SDK sampling one trace in ten (parent-based, trace id
 * ratio), as production setups do; `tracing-root-10%`, the SDK's default parent-based always-on
 * sampler with the interceptors drawing one new trace in ten themselves (`rootSampleRatio`);
 * `tracing-root-0%`, the same drawing none: every call traced, propagated, nothing recorded; or
 * `tracing-api`, the interceptors with no SDK registered: the API's no-op tracer), the access log
 * (every call, one JSON line each, to /dev/null; `access-log-off`: installed with `sampleRatio`
 * 0) and Prometheus metrics (prom-client, a registry of their own).
 */
import { createWriteStream } from 'node:fs';
import { context } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptor } from '@rpcx/client';
import type { ServerPlugin } from '@rpcx/core';
import { ClientMetrics, ServerMetrics } from '@rpcx/metrics';
import { clientTracing, serverTracing, type TracingOptions } from '@rpcx/opentelemetry';
import { AccessLogPlugin, type ServerInterceptor } from '@rpcx/server';
import { Registry } from 'prom-client';

export const OPS_FEATURES = [
  'tracing',
  'tracing-10%',
  'tracing-root-10%',
  'tracing-root-0%',
  'tracing-api',
  'access-log',
  'access-log-off',
  'metrics',
] as const;
export type OpsFeature = (typeof OPS_FEATURES)[number];

export function parseOpsFeatures(text: string | undefined): OpsFeature[] {
  if (text === undefined || text === '') return [];
  const features = text.split(',');
  for (const feature of features) {
    if (!(OPS_FEATURES as readonly string[]).includes(feature)) {
      throw new Error(`unknown ops feature ${feature} (${OPS_FEATURES})`);
    }
  }
  return features as OpsFeature[];
}

/** Exports nothing: the SDK does all its work (sampling, recording, batching) but the export. */
const discarding: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
};

/** The SDK of `tracing` / `tracing-10%` / `tracing-root-10%`; undefined for none of them. */
function sdkProvider(features: readonly OpsFeature[]): BasicTracerProvider | undefined {
  let sampler: Sampler;
  if (features.includes('tracing')) sampler = new AlwaysOnSampler();
  else if (features.includes('tracing-10%')) {
    sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) });
  } else if (features.includes('tracing-root-10%') || features.includes('tracing-root-0%')) {
    // The SDK's default sampler; the interceptors draw (tracingOptions).
    sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() });
  } else return undefined;
  return new BasicTracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor(discarding)] });
}

/** The interceptors' options besides the SDK. */
function tracingOptions(features: readonly OpsFeature[]): TracingOptions {
  if (features.includes('tracing-root-10%')) return { rootSampleRatio: 0.1 };
  return features.includes('tracing-root-0%') ? { rootSampleRatio: 0 } : {};
}

/** What a server process adds to its `Server` options. */
export interface ServerOps {
  plugins: ServerPlugin[];
  interceptors: ServerInterceptor[];
}

/**
 * The server side. With `tracing`, the SDK's AsyncLocalStorage context manager too, as
 * `NodeTracerProvider.register()` installs it: the server process is the row's alone.
 */
export function serverOps(features: readonly OpsFeature[]): ServerOps {
  const ops: ServerOps = { plugins: [], interceptors: [] };
  if (features.includes('metrics')) {
    const metrics = new ServerMetrics({ registry: new Registry() });
    ops.plugins.push(metrics);
    ops.interceptors.push(metrics.interceptor);
  }
  if (features.includes('access-log') || features.includes('access-log-off')) {
    const sampleRatio = features.includes('access-log') ? 1 : 0;
    ops.plugins.unshift(
      new AccessLogPlugin({ stream: createWriteStream('/dev/null'), sampleRatio }),
    );
  }
  const sdk = sdkProvider(features);
  if (sdk !== undefined) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    ops.interceptors.push(serverTracing({ tracerProvider: sdk, ...tracingOptions(features) }));
  } else if (features.includes('tracing-api')) {
    ops.interceptors.push(serverTracing());
  }
  return ops;
}

/**
 * The client side, in the load run's own process: no context manager (it would make every
 * row's promises pay for AsyncLocalStorage) and metrics without the diagnostics channels (a
 * subscriber would make every client in the process publish).
 */
export function clientOps(features: readonly OpsFeature[]): ClientInterceptor[] {
  const interceptors: ClientInterceptor[] = [];
  if (features.includes('metrics')) {
    interceptors.push(new ClientMetrics({ registry: new Registry(), xclient: false }).interceptor);
  }
  const sdk = sdkProvider(features);
  if (sdk !== undefined) {
    interceptors.push(clientTracing({ tracerProvider: sdk, ...tracingOptions(features) }));
  } else if (features.includes('tracing-api')) {
    interceptors.push(clientTracing());
  }
  return interceptors;
}
