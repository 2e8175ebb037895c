/**
 * Spans through a real OpenTelemetry Collector (0.165.0, scripts/otelcol.sh): a traced client
 * and server, each with its own SDK exporting OTLP/HTTP to the collector as two services would
 * (test-support/otlp-calls.ts, a child process), make one call and one failing call over
 * loopback; the collector's export says what a tracing backend gets — one trace per call, the
 * SERVER span the child of the CLIENT span, the RPC attributes, the error.
 */
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { ErrorCode } from '@rpcx/core';
import {
  type CollectedSpan,
  type OtelCollector,
  startOtelCollector,
  startProcess,
} from '@rpcx/testing';

// Child processes and a Go binary on a busy machine: more than the default 20 s.
jest.setTimeout(60_000);

let collector: OtelCollector;

beforeAll(async () => {
  collector = await startOtelCollector();
});
afterAll(() => collector.close());

const byKind = (spans: CollectedSpan[], kind: number) => spans.filter((s) => s.kind === kind);
// OTLP's span kinds are the API's plus one.
const OTLP_SERVER = SpanKind.SERVER + 1;
const OTLP_CLIENT = SpanKind.CLIENT + 1;

test('a call and a failed call reach a real collector as two traces of a CLIENT and a SERVER span', async () => {
  const calls = await startProcess(
    join(__dirname, 'test-support', 'otlp-calls.ts'),
    [collector.tracesUrl],
    { name: 'otlp-calls' },
  );
  expect(calls.ready[1]).toBe('2');
  expect(await calls.exited).toEqual({ code: 0, signal: null });

  const spans = await collector.waitForSpans((all) => all.length >= 4);
  expect(spans).toHaveLength(4);
  const clients = byKind(spans, OTLP_CLIENT);
  const servers = byKind(spans, OTLP_SERVER);
  expect(clients).toHaveLength(2);
  expect(servers).toHaveLength(2);
  for (const clientSpan of clients) {
    expect(clientSpan).toMatchObject({
      name: 'Arith/Mul',
      serviceName: 'caller',
      parentSpanId: '',
    });
    expect(clientSpan.scopeName).toBe('@rpcx/opentelemetry');
    expect(clientSpan.traceId).toMatch(/^[\da-f]{32}$/);
    // The SERVER span of the same call: the same trace, the CLIENT span its parent.
    const serverSpan = servers.find((s) => s.traceId === clientSpan.traceId);
    expect(serverSpan).toMatchObject({
      name: 'Arith/Mul',
      serviceName: 'arith',
      parentSpanId: clientSpan.spanId,
    });
    expect(serverSpan!.attributes).toMatchObject({
      'rpc.system': 'rpcx',
      'rpc.service': 'Arith',
      'rpc.method': 'Mul',
      'server.address': '127.0.0.1',
    });
  }
  expect(new Set(clients.map((s) => s.traceId)).size).toBe(2);
  // The failed call: ERROR status (OTLP's code 2) and error.type on both sides.
  const failedTrace = servers.find((s) => s.status.code === 2)!.traceId;
  for (const span of spans.filter((s) => s.traceId === failedTrace)) {
    expect(span.status).toMatchObject({ code: 2 });
    expect(span.attributes['error.type']).toBe(ErrorCode.ServiceError);
  }
  expect(spans.filter((s) => s.status.code === 2)).toHaveLength(2);
});
