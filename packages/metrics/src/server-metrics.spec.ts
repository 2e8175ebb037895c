/**
 * ServerMetrics on a real server over real sockets on 127.0.0.1: a Client and an XClient make
 * successful, failing (service error, unknown method, client timeout) calls; the /metrics
 * endpoint is scraped over HTTP, linted by promtool and parsed by an npm parser of the text
 * format. Then the registry rates (spec §6.9) and deterministic durations with an injected clock,
 * and the options.
 */
import { MultipleServersDiscovery } from '@rpcx/client';
import { ErrorCode, registryMetricsValues, SerializeType } from '@rpcx/core';
import { type CallContext, Server } from '@rpcx/server';
import { rpcxRejectionOf } from '@rpcx/testing';
import { Registry, register } from 'prom-client';
import { MetricName, ServerMetrics } from './index.js';
import {
  client,
  closeAll,
  failedWith as failed,
  gate,
  histogram,
  listen,
  methodLabels as method,
  metricsEndpoint,
  scrape,
  scrapeUntil,
  xclient,
} from './test-support/rig.js';
import { sampleValue } from './test-support/scrape.js';

afterEach(closeAll);

const M = MetricName;
const other = { rpc_system_name: 'rpcx', rpc_service: '_OTHER', rpc_method: '_OTHER' };
const ok = { rpc_response_status_code: 'OK' };

describe('ServerMetrics on a server', () => {
  test('calls by method and status, in-flight, payload sizes, connections', async () => {
    const registry = new Registry();
    const metrics = new ServerMetrics({ registry });
    const { opened: handlerGate, open: release } = gate();
    // Sizes as the handlers saw them (requests) and as they answered (responses).
    const requestBytes: Record<string, number> = {};
    const seen = (ctx: CallContext) => {
      const name = `${ctx.servicePath}/${ctx.serviceMethod}`;
      requestBytes[name] = (requestBytes[name] ?? 0) + ctx.request.payload.length;
    };
    const { server, address } = await listen(
      { plugins: [metrics], interceptors: [metrics.interceptor] },
      (s) => {
        s.registerFunction('Arith', 'Mul', (args: { A: number; B: number }, ctx) => {
          seen(ctx);
          return { C: args.A * args.B };
        });
        s.registerFunction('Arith', 'Fail', (_args: unknown, ctx) => {
          seen(ctx);
          throw new Error('boom');
        });
        s.registerFunction('Arith', 'Wait', async (_args: unknown, ctx) => {
          seen(ctx);
          await handlerGate;
          return {};
        });
        s.registerFunction('Bytes', 'Echo', (payload: Uint8Array, ctx) => {
          seen(ctx);
          return payload;
        });
      },
    );
    const endpoint = await metricsEndpoint(registry);
    const one = client({ address });
    const many = xclient({
      servicePath: 'Arith',
      discovery: new MultipleServersDiscovery([{ key: address, metadata: '' }]),
    });

    for (const [a, b] of [
      [2, 3],
      [4, 5],
      [60, 70],
    ]) {
      await expect(one.call('Arith', 'Mul', { A: a, B: b })).resolves.toEqual({ C: a! * b! });
    }
    await expect(many.call('Mul', { A: 1, B: 1 })).resolves.toEqual({ C: 1 });
    await expect(many.call('Mul', { A: 10, B: 10 })).resolves.toEqual({ C: 100 });
    expect((await rpcxRejectionOf(one.call('Arith', 'Fail', {}))).message).toBe('boom');
    // Names the server does not have: counted as _OTHER, not as series of their own.
    expect((await rpcxRejectionOf(one.call('Arith', 'Nope', {}))).code).toBe(
      ErrorCode.ServiceError,
    );
    expect((await rpcxRejectionOf(many.call('Nope2', {}))).code).toBe(ErrorCode.ServiceError);
    const kilobyte = new Uint8Array(1000).fill(7);
    for (let i = 0; i < 2; i++) {
      await expect(
        one.call('Bytes', 'Echo', kilobyte, { serializeType: SerializeType.None }),
      ).resolves.toEqual(kilobyte);
    }
    // The client gives up; the server's handler is still running.
    const timedOut = await rpcxRejectionOf(one.call('Arith', 'Wait', {}, { timeoutMs: 50 }));
    expect(timedOut.code).toBe(ErrorCode.Timeout);

    let samples = await scrape(endpoint);
    expect(sampleValue(samples, M.ServerActiveCalls, method('Arith/Wait'))).toBe(1);
    expect(sampleValue(samples, M.ServerCallStarted, method('Arith/Wait'))).toBe(1);
    expect(sampleValue(samples, M.ServerActiveCalls, method('Arith/Mul'))).toBe(0);
    expect(sampleValue(samples, `${M.ServerCallDuration}_count`, method('Arith/Wait'))).toBe(0);
    expect(sampleValue(samples, M.ServerConnectionsOpen)).toBe(2);
    expect(sampleValue(samples, M.ServerConnectionsAccepted, { rpc_system_name: 'rpcx' })).toBe(2);

    release();
    samples = await scrapeUntil(
      endpoint,
      (s) => sampleValue(s, M.ServerActiveCalls, method('Arith/Wait')) === 0,
      'the Wait handler to finish',
    );

    // Started and finished, by method and status.
    expect(sampleValue(samples, M.ServerCallStarted, method('Arith/Mul'))).toBe(5);
    expect(sampleValue(samples, M.ServerCallStarted, method('Arith/Fail'))).toBe(1);
    expect(sampleValue(samples, M.ServerCallStarted, method('Bytes/Echo'))).toBe(2);
    expect(sampleValue(samples, M.ServerCallStarted, other)).toBe(2);
    const mul = histogram(samples, M.ServerCallDuration, { ...method('Arith/Mul'), ...ok });
    expect(mul.count).toBe(5);
    expect(mul.sum).toBeGreaterThanOrEqual(0);
    expect(histogram(samples, M.ServerCallDuration, { ...method('Arith/Wait'), ...ok }).count).toBe(
      1,
    );
    expect(histogram(samples, M.ServerCallDuration, { ...method('Bytes/Echo'), ...ok }).count).toBe(
      2,
    );
    const fail = histogram(samples, M.ServerCallDuration, {
      ...method('Arith/Fail'),
      ...failed('service_error'),
    });
    expect(fail.count).toBe(1);
    expect(
      histogram(samples, M.ServerCallDuration, { ...other, ...failed('service_error') }).count,
    ).toBe(2);
    // No other series: a method with no failures has none, an unknown name has none of its own.
    const durationSeries = samples.get(`${M.ServerCallDuration}_count`)!;
    expect(
      durationSeries
        .map((s) => `${s.labels.rpc_method} ${s.labels.rpc_response_status_code}`)
        .sort(),
    ).toEqual([
      'Arith/Fail OK',
      'Arith/Fail service_error',
      'Arith/Mul OK',
      'Arith/Wait OK',
      'Bytes/Echo OK',
      '_OTHER OK',
      '_OTHER service_error',
    ]);
    for (const series of durationSeries) {
      expect(series.labels.rpc_system_name).toBe('rpcx');
      if (series.labels.rpc_response_status_code === 'OK')
        expect(series.labels.error_type).toBeUndefined();
    }
    for (const name of ['Arith/Mul', 'Arith/Fail', 'Arith/Wait', 'Bytes/Echo']) {
      expect(sampleValue(samples, M.ServerActiveCalls, method(name))).toBe(0);
    }
    expect(sampleValue(samples, M.ServerActiveCalls, other)).toBe(0);

    // Payload sizes: requests as the handlers saw them; responses as encoded (JSON, raw bytes).
    const requests = (name: string) => histogram(samples, M.ServerRequestSize, method(name));
    const responses = (name: string) => histogram(samples, M.ServerResponseSize, method(name));
    expect(requests('Arith/Mul')).toMatchObject({ count: 5, sum: requestBytes['Arith/Mul'] });
    expect(requests('Bytes/Echo')).toMatchObject({ count: 2, sum: 2000 });
    expect(requests('Bytes/Echo').buckets.get('256')).toBe(0);
    expect(requests('Bytes/Echo').buckets.get('1024')).toBe(2);
    const replies = ['{"C":6}', '{"C":20}', '{"C":4200}', '{"C":1}', '{"C":100}'];
    expect(responses('Arith/Mul')).toMatchObject({
      count: 5,
      sum: replies.join('').length,
    });
    expect(responses('Bytes/Echo')).toMatchObject({ count: 2, sum: 2000 });
    // An error response carries no payload; the Wait answer went out after the client left.
    expect(responses('Arith/Fail')).toMatchObject({ count: 1, sum: 0 });
    expect(responses('Arith/Wait')).toMatchObject({ count: 1, sum: '{}'.length });
    expect(histogram(samples, M.ServerRequestSize, other).count).toBe(2);
    expect(histogram(samples, M.ServerResponseSize, other)).toMatchObject({ count: 2, sum: 0 });

    // Connections: both clients go; accepted stays.
    await one.close();
    await many.close();
    samples = await scrapeUntil(
      endpoint,
      (s) => sampleValue(s, M.ServerConnectionsOpen) === 0,
      'the server to see both connections close',
    );
    expect(sampleValue(samples, M.ServerConnectionsAccepted)).toBe(2);
    expect(server.connections()).toHaveLength(0);
  });

  test('the registry rates (calls, connections per second) and durations, with an injected clock', async () => {
    let now = 5_000;
    const registry = new Registry();
    const metrics = new ServerMetrics({ registry, now: () => now });
    const { address } = await listen(
      { plugins: [metrics], interceptors: [metrics.interceptor] },
      (s) => {
        s.registerFunction('Clock', 'Tick', (ms: number) => {
          now += ms;
          return ms;
        });
      },
    );
    const endpoint = await metricsEndpoint(registry);
    const c = client({ address });
    for (const ms of [30, 30, 40, 4]) await c.call('Clock', 'Tick', ms);
    await rpcxRejectionOf(c.call('Clock', 'Nope', 1)); // not a call of the server's: not counted

    now = 5_000 + 2_000;
    expect(metrics.calls()).toBe(2); // 4 calls in 2 s
    expect(metrics.connections()).toBe(0.5);
    // What a register plugin writes into the registry (Go's %.2f of the mean rates).
    expect(registryMetricsValues(metrics)).toEqual({ calls: '2.00', connections: '0.50' });

    const tick = histogram(await scrape(endpoint), MetricName.ServerCallDuration, {
      ...method('Clock/Tick'),
      ...ok,
    });
    expect(tick.count).toBe(4);
    expect(tick.sum).toBeCloseTo(0.104, 9);
    expect(tick.buckets.get('0.0025')).toBe(0);
    expect(tick.buckets.get('0.005')).toBe(1);
    expect(tick.buckets.get('0.025')).toBe(1);
    expect(tick.buckets.get('0.05')).toBe(4);
  });

  test('before any time has passed the rates are 0', () => {
    const metrics = new ServerMetrics({ registry: new Registry(), now: () => 7 });
    metrics.postConnAccept({ id: 1, remoteAddress: 'a:1', localAddress: 'b:2' });
    expect([metrics.calls(), metrics.connections()]).toEqual([0, 0]);
  });

  test('a connection a later plugin refuses is not counted open for ever', async () => {
    const registry = new Registry();
    const metrics = new ServerMetrics({ registry });
    const refuse = { name: 'refuse', postConnAccept: () => false };
    const { address } = await listen({ plugins: [metrics, refuse] }, (s) => {
      s.registerFunction('Arith', 'Mul', () => 0);
    });
    const endpoint = await metricsEndpoint(registry);
    const c = client({ address, connectTimeoutMs: 1_000 });
    await rpcxRejectionOf(c.call('Arith', 'Mul', {}, { timeoutMs: 2_000 }));
    const samples = await scrapeUntil(
      endpoint,
      (s) => sampleValue(s, MetricName.ServerConnectionsOpen) === 0,
      'the refused connection to be let go',
    );
    expect(sampleValue(samples, MetricName.ServerConnectionsAccepted)).toBeGreaterThanOrEqual(1);
  });
});

describe('ServerMetrics options', () => {
  test('payloadSizes: false has no size histograms and no postWriteResponse hook', async () => {
    const registry = new Registry();
    const metrics = new ServerMetrics({ registry, payloadSizes: false });
    expect(metrics.postWriteResponse).toBeUndefined();
    const { address } = await listen(
      { plugins: [metrics], interceptors: [metrics.interceptor] },
      (s) => s.registerFunction('Arith', 'Mul', () => 1),
    );
    await client({ address }).call('Arith', 'Mul', {});
    const samples = await scrape(await metricsEndpoint(registry));
    expect(sampleValue(samples, MetricName.ServerCallStarted, method('Arith/Mul'))).toBe(1);
    expect([...samples.keys()].filter((name) => name.includes('size'))).toEqual([]);
  });

  test('custom duration buckets; invalid ones are refused', async () => {
    const registry = new Registry();
    const metrics = new ServerMetrics({ registry, durationBuckets: [0.5, 2] });
    const { address } = await listen({ interceptors: [metrics.interceptor] }, (s) =>
      s.registerFunction('Arith', 'Mul', () => 1),
    );
    await client({ address }).call('Arith', 'Mul', {});
    const mul = histogram(
      await scrape(await metricsEndpoint(registry)),
      MetricName.ServerCallDuration,
      {
        ...method('Arith/Mul'),
        ...ok,
      },
    );
    expect([...mul.buckets.keys()]).toEqual(['0.5', '2', '+Inf']);
    expect(() => new ServerMetrics({ registry: new Registry(), durationBuckets: [1, 1] })).toThrow(
      RangeError,
    );
    expect(() => new ServerMetrics({ registry: new Registry(), sizeBuckets: [] })).toThrow(
      RangeError,
    );
  });

  test('one per registry; close() takes the metrics out; the default is the global register', () => {
    const registry = new Registry();
    const first = new ServerMetrics({ registry });
    expect(() => new ServerMetrics({ registry })).toThrow(/already registered/);
    // The failed one left nothing half-registered.
    expect(registry.getMetricsAsArray()).toHaveLength(7);
    first.close();
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    new ServerMetrics({ registry }).close();

    const global = new ServerMetrics();
    try {
      expect(global.registry).toBe(register);
      expect(register.getSingleMetric(MetricName.ServerCallStarted)).toBeDefined();
    } finally {
      global.close();
    }
    expect(register.getSingleMetric(MetricName.ServerCallStarted)).toBeUndefined();
  });

  test('registry.resetMetrics() starts the counters again; gauges keep the present', async () => {
    const registry = new Registry();
    const metrics = new ServerMetrics({ registry });
    const { address } = await listen(
      { plugins: [metrics], interceptors: [metrics.interceptor] },
      (s) => s.registerFunction('Arith', 'Mul', () => 1),
    );
    const c = client({ address });
    await c.call('Arith', 'Mul', {});
    const endpoint = await metricsEndpoint(registry);
    expect(
      sampleValue(await scrape(endpoint), MetricName.ServerCallStarted, method('Arith/Mul')),
    ).toBe(1);
    registry.resetMetrics();
    const samples = await scrape(endpoint);
    expect(sampleValue(samples, MetricName.ServerCallStarted, method('Arith/Mul'))).toBe(0);
    expect(sampleValue(samples, MetricName.ServerConnectionsAccepted)).toBe(0);
    expect(sampleValue(samples, MetricName.ServerConnectionsOpen)).toBe(1);
    expect(
      histogram(samples, MetricName.ServerCallDuration, { ...method('Arith/Mul'), ...ok }).count,
    ).toBe(0);
  });

  test('the interceptor types fit the server (no cast)', () => {
    const metrics = new ServerMetrics({ registry: new Registry() });
    const server = new Server({ plugins: [metrics], interceptors: [metrics.interceptor] });
    expect(server).toBeInstanceOf(Server);
  });
});
