/**
 * One trace across languages: a TS client (`clientTracing`) → a Go rpcx server traced by Go's
 * rpcx-plugins (conformance/go/cmd/otelrelay: its OpenTelemetry server plugin, and its client
 * plugin on the XClient the handler calls on with) → a TS server (`serverTracing`). The span
 * context crosses both language boundaries as `traceparent` in the request metadata. TS spans
 * are collected by the SDK's InMemorySpanExporter, Go's by its stdouttrace exporter (one JSON
 * object per line in a file), and the test checks one trace id, each parent link and each kind.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Client } from '@rpcx/client';
import { type Metadata, SerializeType, type ServerPlugin } from '@rpcx/core';
import { clientTracing, serverTracing } from '@rpcx/opentelemetry';
import { Server } from '@rpcx/server';
import { type GoProcess, startGo } from './support/go-tools.js';

jest.setTimeout(120_000);

/** A span as Go's stdouttrace exporter writes it (the fields read here). */
interface GoSpan {
  Name: string;
  SpanContext: { TraceID: string; SpanID: string; TraceFlags: string; Remote: boolean };
  Parent: { TraceID: string; SpanID: string; Remote: boolean };
  /** trace.SpanKind: 1 internal, 2 server, 3 client. */
  SpanKind: number;
  Attributes: Array<{ Key: string; Value: { Type: string; Value: unknown } }>;
  Status: { Code: string; Description: string };
}

const GO_SERVER = 2;
const GO_INTERNAL = 1;

const attributesOf = (span: GoSpan) =>
  Object.fromEntries(span.Attributes.map(({ Key, Value }) => [Key, Value.Value]));

let dir: string;
let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
let server: Server;
let back: string;
const seen: Metadata[] = [];
const running: GoProcess[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rpcx-otel-'));
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  // What came on the wire, read before the interceptors (which name the SERVER span in it).
  const wire: ServerPlugin = {
    postReadRequest: (_conn, request) => void seen.push({ ...request!.metadata }),
  };
  server = new Server({
    plugins: [wire],
    interceptors: [serverTracing({ tracerProvider: provider })],
  });
  server.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({
    C: args.A * args.B,
  }));
  back = await server.listen('tcp@127.0.0.1:0');
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(running.splice(0).map((p) => p.stop()));
  exporter.reset();
  seen.length = 0;
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts otelrelay in front of our server, makes one traced call through it, stops it (which
 * flushes its spans) and returns both sides' spans.
 */
async function relayOnce(name: string, extra: string[] = []) {
  const spansFile = join(dir, `${name}.jsonl`);
  const relay = await startGo(
    'otelrelay',
    ['-next', back.slice('tcp@'.length), '-spans', spansFile, ...extra],
    /^READY (tcp@\S+)$/,
  );
  running.push(relay);
  const client = new Client({
    address: relay.ready[1]!,
    serializeType: SerializeType.JSON,
    interceptors: [clientTracing({ tracerProvider: provider })],
  });
  clients.push(client);
  await expect(
    client.call('Relay', 'Call', { A: 6, B: 7 }, { timeoutMs: 10_000 }),
  ).resolves.toEqual({ C: 42 });
  await running.pop()!.stop();
  const goSpans = readFileSync(spansFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as GoSpan);
  const tsSpans = exporter.getFinishedSpans();
  const one = <T>(list: T[], what: string): T => {
    if (list.length !== 1) throw new Error(`${list.length} ${what}: ${JSON.stringify(list)}`);
    return list[0]!;
  };
  return {
    goSpans,
    tsClient: one(
      tsSpans.filter((s: ReadableSpan) => s.kind === SpanKind.CLIENT),
      'TS client spans',
    ),
    tsServer: one(
      tsSpans.filter((s: ReadableSpan) => s.kind === SpanKind.SERVER),
      'TS server spans',
    ),
    goClient: one(
      goSpans.filter((s) => s.Name === 'rpcx.client.Arith.Mul'),
      'Go client spans',
    ),
    goServers: goSpans.filter((s) => s.Name === 'rpcx.service.Relay.Call'),
  };
}

test('TS client → Go (rpcx-plugins) → TS server: one trace, each hop the child of the one before', async () => {
  const { tsClient, tsServer, goClient, goServers } = await relayOnce('chain');
  expect(goServers).toHaveLength(1);
  const goServer = goServers[0]!;
  const traceId = tsClient.spanContext().traceId;

  // One trace id across the three hops (four spans).
  expect(goServer.SpanContext.TraceID).toBe(traceId);
  expect(goClient.SpanContext.TraceID).toBe(traceId);
  expect(tsServer.spanContext().traceId).toBe(traceId);

  // Parent links: TS client → Go server (remote) → Go client → TS server (remote).
  expect(tsClient.parentSpanContext).toBeUndefined();
  expect(goServer.Parent).toMatchObject({ SpanID: tsClient.spanContext().spanId, Remote: true });
  expect(goClient.Parent.SpanID).toBe(goServer.SpanContext.SpanID);
  expect(tsServer.parentSpanContext?.spanId).toBe(goClient.SpanContext.SpanID);
  expect(tsServer.parentSpanContext?.isRemote).toBe(true);

  // Kinds: ours CLIENT and SERVER; Go's server plugin SERVER, its client plugin INTERNAL (it
  // starts the span without a kind).
  expect(tsClient.kind).toBe(SpanKind.CLIENT);
  expect(tsServer.kind).toBe(SpanKind.SERVER);
  expect(goServer.SpanKind).toBe(GO_SERVER);
  expect(goClient.SpanKind).toBe(GO_INTERNAL);

  // Both sides name the call the same way in attributes; sampled all along.
  expect(attributesOf(goServer)).toMatchObject({
    'rpc.system': 'rpcx',
    'rpc.service': 'Relay',
    'rpc.method': 'Call',
  });
  expect(tsClient.attributes).toMatchObject({
    'rpc.system': 'rpcx',
    'rpc.service': 'Relay',
    'rpc.method': 'Call',
  });
  expect(attributesOf(goClient)).toMatchObject({ 'rpc.service': 'Arith', 'rpc.method': 'Mul' });
  expect(goServer.SpanContext.TraceFlags).toBe('01');

  // What Go's client plugin put in the metadata our server read: W3C, under Go's key.
  expect(seen[0]!.traceparent).toBe(`00-${traceId}-${goClient.SpanContext.SpanID}-01`);
});

test('Go quirk: a handler passing its own ctx to the XClient loses the Go server span', async () => {
  // rpcx's XClient does not wrap a *share.Context, so rpcx-plugins' client plugin stores its
  // span in the server's context; the server plugin then ends that span again at
  // PostWriteResponse and never ends (nor exports) its own. The trace still reaches our server.
  const { tsClient, tsServer, goClient, goServers } = await relayOnce('handler-ctx', [
    '-pass-handler-ctx',
  ]);
  expect(goServers).toEqual([]);
  const traceId = tsClient.spanContext().traceId;
  expect(goClient.SpanContext.TraceID).toBe(traceId);
  expect(tsServer.spanContext().traceId).toBe(traceId);
  expect(tsServer.parentSpanContext?.spanId).toBe(goClient.SpanContext.SpanID);
  // Its parent is the Go server span nobody exported.
  expect(goClient.Parent.SpanID).not.toBe(tsClient.spanContext().spanId);
});
