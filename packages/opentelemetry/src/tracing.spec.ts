/**
 * The client and server interceptors together, over real sockets on 127.0.0.1: one trace across
 * client → server → nested client → server, the metadata on the wire, the attributes, errors,
 * sampling, and the API without an SDK.
 */
import { readFileSync } from 'node:fs';
import {
  context,
  createTraceState,
  ROOT_CONTEXT,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { AlwaysOffSampler, AlwaysOnSampler } from '@opentelemetry/sdk-trace-base';
import {
  Client,
  type ClientOptions,
  FailMode,
  MultipleServersDiscovery,
  XClient,
} from '@rpcx/client';
import { ErrorCode, type Metadata, RpcxError, SerializeType, type ServerPlugin } from '@rpcx/core';
import { type CallContext, Server, type ServerOptions } from '@rpcx/server';
import { rpcxRejectionOf } from '@rpcx/testing';
import {
  clientTracing,
  contextOf,
  INSTRUMENTATION_VERSION,
  serverTracing,
  type TracingOptions,
} from './index.js';
import { idsOf, type TracingRig, tracingRig } from './test-support/tracing-rig.js';

const TRACEPARENT = /^00-([\da-f]{32})-([\da-f]{16})-01$/;

const servers: Server[] = [];
const clients: Array<{ close(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  context.disable();
});

async function listen(options: ServerOptions, setup: (server: Server) => void): Promise<string> {
  const server = new Server(options);
  servers.push(server);
  setup(server);
  return server.listen('tcp@127.0.0.1:0');
}

function client(options: ClientOptions): Client {
  const made = new Client({ serializeType: SerializeType.JSON, ...options });
  clients.push(made);
  return made;
}

/**
 * A server with Arith.Mul, recording the request metadata as it came on the wire (`seen`, read by
 * a plugin before the interceptors) and as the handler saw it (`handled`).
 */
async function arithServer(
  rig: TracingRig | undefined,
  seen: Metadata[] = [],
  handled: Metadata[] = [],
): Promise<string> {
  const tracing =
    rig === undefined ? serverTracing() : serverTracing({ tracerProvider: rig.provider });
  const wire: ServerPlugin = {
    postReadRequest: (_conn, request) => void seen.push({ ...request!.metadata }),
  };
  return listen({ plugins: [wire], interceptors: [tracing] }, (s) =>
    s.registerFunction('Arith', 'Mul', (args: { A: number; B: number }, ctx: CallContext) => {
      handled.push({ ...ctx.metadata });
      if (args.A < 0) throw new Error('negative');
      return { C: args.A * args.B };
    }),
  );
}

/**
 * A front server whose Relay.Call calls Arith.Mul on `next` with `{ context: ctx }` (or, with
 * `passContext` false, relying on the active context alone).
 */
async function relayServer(
  rig: TracingRig,
  nextAddress: string,
  passContext: boolean,
  serverOptions: TracingOptions = {},
) {
  const onward = client({
    address: nextAddress,
    interceptors: [clientTracing({ tracerProvider: rig.provider })],
  });
  const tracing = serverTracing({ tracerProvider: rig.provider, ...serverOptions });
  return listen({ interceptors: [tracing] }, (s) =>
    s.registerFunction('Relay', 'Call', (args: { A: number; B: number }, ctx: CallContext) =>
      onward.call('Arith', 'Mul', args, passContext ? { context: ctx } : {}),
    ),
  );
}

describe('a traced call', () => {
  test('one trace: a CLIENT span, and the SERVER span its child, with the W3C traceparent on the wire', async () => {
    const rig = tracingRig();
    const seen: Metadata[] = [];
    const handled: Metadata[] = [];
    const address = await arithServer(rig, seen, handled);
    const c = client({ address, interceptors: [clientTracing({ tracerProvider: rig.provider })] });
    await expect(
      c.call('Arith', 'Mul', { A: 6, B: 7 }, { metadata: { mine: 'kept' } }),
    ).resolves.toEqual({ C: 42 });

    const clientSpan = rig.span('Arith/Mul', SpanKind.CLIENT);
    const serverSpan = rig.span('Arith/Mul', SpanKind.SERVER);
    const ids = clientSpan.spanContext();
    // The request metadata carried the client span, in Go's format and under Go's key.
    expect(seen).toEqual([{ mine: 'kept', traceparent: `00-${ids.traceId}-${ids.spanId}-01` }]);
    // As in Go, the handler's request metadata names the SERVER span (what calls on continue).
    const own = serverSpan.spanContext();
    expect(handled).toEqual([{ mine: 'kept', traceparent: `00-${own.traceId}-${own.spanId}-01` }]);
    expect(serverSpan.spanContext().traceId).toBe(ids.traceId);
    expect(idsOf(serverSpan.parentSpanContext)).toBe(idsOf(ids));
    expect(serverSpan.parentSpanContext?.isRemote).toBe(true);
    expect(clientSpan.parentSpanContext).toBeUndefined();

    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    expect(clientSpan.attributes).toEqual({
      'rpc.system': 'rpcx',
      'rpc.service': 'Arith',
      'rpc.method': 'Mul',
      'server.address': '127.0.0.1',
      'server.port': port,
    });
    expect(serverSpan.attributes).toMatchObject({
      'rpc.system': 'rpcx',
      'rpc.service': 'Arith',
      'rpc.method': 'Mul',
      'server.address': '127.0.0.1',
      'server.port': port,
      'client.address': '127.0.0.1',
    });
    expect(serverSpan.attributes['client.port']).toEqual(expect.any(Number));
    for (const span of [clientSpan, serverSpan]) {
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.instrumentationScope).toEqual({
        name: '@rpcx/opentelemetry',
        version: INSTRUMENTATION_VERSION,
        schemaUrl: undefined,
      });
    }
  });

  test('a failed call: both spans have status ERROR and error.type service_error', async () => {
    const rig = tracingRig();
    const address = await arithServer(rig);
    const c = client({ address, interceptors: [clientTracing({ tracerProvider: rig.provider })] });
    const error = await rpcxRejectionOf(c.call('Arith', 'Mul', { A: -1, B: 1 }));
    expect(error.code).toBe(ErrorCode.ServiceError);
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      const span = rig.span('Arith/Mul', kind);
      expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'negative' });
      expect(span.attributes['error.type']).toBe('service_error');
    }
  });

  test('a call that never reaches a server: the CLIENT span records the rpcx code', async () => {
    const rig = tracingRig();
    const address = await arithServer(undefined);
    await servers.pop()!.close();
    const c = client({
      address,
      reconnect: { initialDelayMs: 0, maxDelayMs: 0 },
      interceptors: [clientTracing({ tracerProvider: rig.provider })],
    });
    const error = await rpcxRejectionOf(c.call('Arith', 'Mul', { A: 1, B: 1 }));
    const span = rig.span('Arith/Mul', SpanKind.CLIENT);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe(error.code);
    expect(error.code).toBe(ErrorCode.Unavailable);
  });

  test('the stable conventions on request: rpc.system.name, rpc.method Service/Method, status code', async () => {
    const rig = tracingRig();
    const address = await listen(
      { interceptors: [serverTracing({ tracerProvider: rig.provider, semconv: 'both' })] },
      (s) => s.registerFunction('Arith', 'Mul', () => ({ C: 0 })),
    );
    const c = client({
      address,
      interceptors: [clientTracing({ tracerProvider: rig.provider, semconv: 'stable' })],
    });
    await c.call('Arith', 'Mul', {});
    expect(rig.span('Arith/Mul', SpanKind.CLIENT).attributes).toMatchObject({
      'rpc.system.name': 'rpcx',
      'rpc.method': 'Arith/Mul',
      'rpc.response.status_code': 'OK',
    });
    expect(rig.span('Arith/Mul', SpanKind.CLIENT).attributes['rpc.system']).toBeUndefined();
    expect(rig.span('Arith/Mul', SpanKind.SERVER).attributes).toMatchObject({
      'rpc.system': 'rpcx',
      'rpc.system.name': 'rpcx',
      'rpc.service': 'Arith',
      'rpc.method': 'Arith/Mul',
      'rpc.response.status_code': 'OK',
    });
  });

  test('an XClient that fails over: one CLIENT span for the call, on the server that answered', async () => {
    const rig = tracingRig();
    const good = await arithServer(rig);
    const dead = await arithServer(undefined);
    await servers.pop()!.close();
    const discovery = new MultipleServersDiscovery([
      { key: dead, metadata: '' },
      { key: good, metadata: '' },
    ]);
    const x = new XClient({
      servicePath: 'Arith',
      discovery,
      failMode: FailMode.Failover,
      serializeType: SerializeType.JSON,
      breaker: false,
      interceptors: [clientTracing({ tracerProvider: rig.provider })],
    });
    clients.push(x, { close: async () => discovery.close() });
    for (let i = 0; i < 4; i++)
      await expect(x.call('Mul', { A: 2, B: 2 })).resolves.toEqual({ C: 4 });
    const clientSpans = rig.spans().filter((s) => s.kind === SpanKind.CLIENT);
    expect(clientSpans).toHaveLength(4);
    const port = Number(good.slice(good.lastIndexOf(':') + 1));
    for (const span of clientSpans) {
      expect(span.attributes['server.port']).toBe(port);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
    }
    expect(rig.spans().filter((s) => s.kind === SpanKind.SERVER)).toHaveLength(4);
  });
});

describe('a handler that calls on', () => {
  /** Client → Relay.Call → Arith.Mul, each side traced; checks the chain of spans. */
  async function relayedCall(passContext: boolean): Promise<void> {
    const rig = tracingRig();
    const seen: Metadata[] = [];
    const back = await arithServer(rig, seen);
    const front = await relayServer(rig, back, passContext);
    const c = client({
      address: front,
      interceptors: [clientTracing({ tracerProvider: rig.provider })],
    });
    await expect(c.call('Relay', 'Call', { A: 3, B: 4 })).resolves.toEqual({ C: 12 });
    expectChain(rig, seen);
  }

  test('with { context: ctx } and no context manager: the nested CLIENT span is a child of the SERVER span', async () => {
    await relayedCall(true);
  });

  test('with the AsyncLocalStorage context manager: the active span carries the trace, no context passed', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    await relayedCall(false);
  });

  test('inside the handler the SERVER span is active (with a context manager) and contextOf(ctx) has it', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const rig = tracingRig();
    const found: Array<[string | undefined, string | undefined]> = [];
    const address = await listen(
      { interceptors: [serverTracing({ tracerProvider: rig.provider })] },
      (s) =>
        s.registerFunction('Svc', 'Work', async (_args: unknown, ctx: CallContext) => {
          await new Promise((resolve) => setImmediate(resolve));
          const traced = contextOf(ctx);
          found.push([
            idsOf(trace.getActiveSpan()?.spanContext()),
            idsOf(traced === undefined ? undefined : trace.getSpanContext(traced)),
          ]);
          return 'done';
        }),
    );
    const c = client({ address, interceptors: [clientTracing({ tracerProvider: rig.provider })] });
    await c.call('Svc', 'Work', {});
    const server = idsOf(rig.span('Svc/Work', SpanKind.SERVER).spanContext());
    expect(found).toEqual([[server, server]]);
  });
});

/** Client → Relay.Call (SERVER) → Arith.Mul (CLIENT) → Arith.Mul (SERVER): one trace, linked. */
function expectChain(rig: TracingRig, seen: Metadata[]): void {
  const outer = rig.span('Relay/Call', SpanKind.CLIENT);
  const relay = rig.span('Relay/Call', SpanKind.SERVER);
  const nested = rig.span('Arith/Mul', SpanKind.CLIENT);
  const back = rig.span('Arith/Mul', SpanKind.SERVER);
  const traceId = outer.spanContext().traceId;
  for (const span of [relay, nested, back]) expect(span.spanContext().traceId).toBe(traceId);
  expect(idsOf(relay.parentSpanContext)).toBe(idsOf(outer.spanContext()));
  expect(idsOf(nested.parentSpanContext)).toBe(idsOf(relay.spanContext()));
  expect(idsOf(back.parentSpanContext)).toBe(idsOf(nested.spanContext()));
  expect(seen[0]!.traceparent).toBe(`00-${traceId}-${nested.spanContext().spanId}-01`);
}

describe('what goes on the wire', () => {
  test('the caller’s trace state travels as tracestate and comes out on the SERVER span', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const rig = tracingRig();
    const seen: Metadata[] = [];
    const address = await arithServer(rig, seen);
    const c = client({ address, interceptors: [clientTracing({ tracerProvider: rig.provider })] });
    const parent: SpanContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      traceState: createTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
    };
    await context.with(trace.setSpanContext(ROOT_CONTEXT, parent), () =>
      c.call('Arith', 'Mul', { A: 1, B: 1 }),
    );
    expect(seen[0]!.tracestate).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    expect(seen[0]!.traceparent).toMatch(TRACEPARENT);
    const server = rig.span('Arith/Mul', SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(parent.traceId);
    expect(server.spanContext().traceState?.serialize()).toBe(
      'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
    );
    expect(rig.span('Arith/Mul', SpanKind.CLIENT).parentSpanContext?.spanId).toBe(parent.spanId);
  });

  test('sampled out: nothing is exported, the traceparent still goes with flags 00', async () => {
    const rig = tracingRig(new AlwaysOffSampler());
    const seen: Metadata[] = [];
    const address = await arithServer(rig, seen);
    const c = client({ address, interceptors: [clientTracing({ tracerProvider: rig.provider })] });
    await c.call('Arith', 'Mul', { A: 1, B: 1 });
    expect(seen[0]!.traceparent).toMatch(/^00-[\da-f]{32}-[\da-f]{16}-00$/);
    expect(rig.spans()).toEqual([]);
  });

  test('a call under a sampled-out parent starts no span and passes the parent on (followParentSampling)', async () => {
    const rig = tracingRig(new AlwaysOnSampler()); // would record everything it is asked about
    const seen: Metadata[] = [];
    const front = await relayServer(rig, await arithServer(rig, seen), true);
    const unsampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    const c = client({ address: front });
    await c.call('Relay', 'Call', { A: 2, B: 3 }, { metadata: { traceparent: unsampled } });
    expect(rig.spans()).toEqual([]);
    expect(seen).toEqual([{ traceparent: unsampled }]);
  });

  test('followParentSampling: false asks the SDK under a sampled-out parent too', async () => {
    const rig = tracingRig(new AlwaysOnSampler());
    const address = await listen(
      {
        interceptors: [
          serverTracing({ tracerProvider: rig.provider, followParentSampling: false }),
        ],
      },
      (s) => s.registerFunction('Arith', 'Mul', () => ({ C: 0 })),
    );
    const c = client({ address });
    const unsampled = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    await c.call('Arith', 'Mul', {}, { metadata: { traceparent: unsampled } });
    const span = rig.span('Arith/Mul', SpanKind.SERVER);
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
  });

  test('a traceparent set in the call’s own metadata is the parent, as Go’s client plugin reads it', async () => {
    const rig = tracingRig();
    const seen: Metadata[] = [];
    const address = await arithServer(rig, seen);
    const c = client({ address, interceptors: [clientTracing({ tracerProvider: rig.provider })] });
    const upstream = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await c.call('Arith', 'Mul', { A: 1, B: 1 }, { metadata: { traceparent: upstream } });
    const span = rig.span('Arith/Mul', SpanKind.CLIENT);
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
    expect(seen[0]!.traceparent).toBe(
      `00-0af7651916cd43dd8448eb211c80319c-${span.spanContext().spanId}-01`,
    );
  });
});

describe('rootSampleRatio: new traces left out before the SDK is asked', () => {
  const UNSAMPLED = /^00-([\da-f]{32})-([\da-f]{16})-00$/;

  test('0: no span, and a fresh sampled-out trace travels on to the server, which records nothing', async () => {
    const rig = tracingRig(new AlwaysOnSampler()); // would record everything it is asked about
    const seen: Metadata[] = [];
    const address = await arithServer(rig, seen);
    const c = client({
      address,
      interceptors: [clientTracing({ tracerProvider: rig.provider, rootSampleRatio: 0 })],
    });
    await c.call('Arith', 'Mul', { A: 1, B: 1 });
    await c.call('Arith', 'Mul', { A: 1, B: 1 });
    expect(rig.spans()).toEqual([]);
    const traces = seen.map((metadata) => UNSAMPLED.exec(metadata.traceparent ?? '')?.[1]);
    expect(traces).toEqual([expect.any(String), expect.any(String)]);
    expect(traces[0]).not.toBe(traces[1]);
    expect(traces[0]).not.toBe('0'.repeat(32));
  });

  test('0 on a server: a request with no trace runs in a sampled-out one that nested calls carry on', async () => {
    const rig = tracingRig(new AlwaysOnSampler());
    const seen: Metadata[] = [];
    const back = await arithServer(rig, seen);
    const front = await relayServer(rig, back, true, { rootSampleRatio: 0 });
    await client({ address: front }).call('Relay', 'Call', { A: 2, B: 3 });
    expect(rig.spans()).toEqual([]);
    expect(seen[0]!.traceparent).toMatch(UNSAMPLED);
  });

  test('a call with a parent is not drawn: it follows the parent', async () => {
    const rig = tracingRig(new AlwaysOnSampler());
    const address = await arithServer(rig);
    const c = client({
      address,
      interceptors: [clientTracing({ tracerProvider: rig.provider, rootSampleRatio: 0 })],
    });
    const upstream = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await c.call('Arith', 'Mul', { A: 1, B: 1 }, { metadata: { traceparent: upstream } });
    const span = rig.span('Arith/Mul', SpanKind.CLIENT);
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(rig.span('Arith/Mul', SpanKind.SERVER).parentSpanContext?.spanId).toBe(
      span.spanContext().spanId,
    );
  });

  test('0.5: about half the new traces reach the SDK, each as one client and one server span', async () => {
    const rig = tracingRig(new AlwaysOnSampler());
    const seen: Metadata[] = [];
    const address = await arithServer(rig, seen);
    const c = client({
      address,
      interceptors: [clientTracing({ tracerProvider: rig.provider, rootSampleRatio: 0.5 })],
    });
    const calls = 400;
    for (let i = 0; i < calls; i++) await c.call('Arith', 'Mul', { A: 1, B: 1 });
    const sampled = seen.filter((metadata) => metadata.traceparent?.endsWith('-01')).length;
    // Binomial(400, 0.5): standard deviation 10; these bounds are 8 of them away.
    expect(sampled).toBeGreaterThan(120);
    expect(sampled).toBeLessThan(280);
    expect(seen.filter((metadata) => UNSAMPLED.test(metadata.traceparent ?? ''))).toHaveLength(
      calls - sampled,
    );
    expect(rig.spans().filter((span) => span.kind === SpanKind.CLIENT)).toHaveLength(sampled);
    expect(rig.spans().filter((span) => span.kind === SpanKind.SERVER)).toHaveLength(sampled);
  });

  test('a ratio outside 0..1 is refused when the interceptor is made', () => {
    expect(() => clientTracing({ rootSampleRatio: 1.5 })).toThrow(RangeError);
    expect(() => serverTracing({ rootSampleRatio: Number.NaN })).toThrow(/rootSampleRatio/);
  });
});

describe('the API without an SDK (no-op tracer)', () => {
  test('nothing is added to a call that continues no trace', async () => {
    const seen: Metadata[] = [];
    const address = await arithServer(undefined, seen);
    const c = client({ address, interceptors: [clientTracing()] });
    await c.call('Arith', 'Mul', { A: 1, B: 1 }, { metadata: { k: 'v' } });
    expect(seen).toEqual([{ k: 'v' }]);
  });

  test('an incoming trace is passed on unchanged to a nested call made with { context: ctx }', async () => {
    const seen: Metadata[] = [];
    const back = await arithServer(undefined, seen);
    const onward = client({ address: back, interceptors: [clientTracing()] });
    const front = await listen({ interceptors: [serverTracing()] }, (s) =>
      s.registerFunction('Relay', 'Call', (args: unknown, ctx: CallContext) =>
        onward.call('Arith', 'Mul', args, { context: ctx }),
      ),
    );
    const c = client({ address: front });
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await c.call('Relay', 'Call', { A: 2, B: 3 }, { metadata: { traceparent: incoming } });
    expect(seen).toEqual([{ traceparent: incoming }]);
  });
});

describe('errors thrown by the chain', () => {
  test('an interceptor inside that throws synchronously: the span ends with its error', async () => {
    const rig = tracingRig();
    const address = await arithServer(undefined);
    const c = client({
      address,
      interceptors: [
        clientTracing({ tracerProvider: rig.provider }),
        () => () => {
          throw new RpcxError(ErrorCode.InvalidArgument, 'refused here');
        },
      ],
    });
    const error = await rpcxRejectionOf(c.call('Arith', 'Mul', {}));
    expect(error.message).toBe('refused here');
    const span = rig.span('Arith/Mul', SpanKind.CLIENT);
    expect(span.attributes['error.type']).toBe('invalid_argument');
    expect(span.ended).toBe(true);
  });
});

test('INSTRUMENTATION_VERSION is the package version', () => {
  const pkg = JSON.parse(readFileSync(`${__dirname}/../package.json`, 'utf8')) as {
    version: string;
  };
  expect(INSTRUMENTATION_VERSION).toBe(pkg.version);
});
