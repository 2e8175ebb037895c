/**
 * ClientMetrics over real sockets on 127.0.0.1: a Client's calls by method, server and status
 * (success, service error, timeout, no connection); an XClient's picks, retries and breaker
 * states from the diagnostics channels (Failover past a dead server, a Failbackup backup); the
 * /metrics endpoint scraped over HTTP, linted by promtool and parsed.
 */
import {
  FailMode,
  MultipleServersDiscovery,
  type XClient,
  type XClientOptions,
} from '@rpcx/client';
import { DiagnosticsChannel, diagnostics, ErrorCode, type Selector } from '@rpcx/core';
import { freeLoopbackPort, rpcxRejectionOf } from '@rpcx/testing';
import { Registry } from 'prom-client';
import { ClientMetrics, MetricName } from './index.js';
import {
  client,
  closeAll,
  failedWith,
  gate,
  histogram,
  listen,
  methodLabels,
  metricsEndpoint,
  scrape,
  track,
  xclient,
} from './test-support/rig.js';
import { sampleValue, seriesOf } from './test-support/scrape.js';

afterEach(closeAll);

const M = MetricName;
const method = methodLabels;

function metricsIn(registry: Registry, options: { xclient?: boolean } = {}): ClientMetrics {
  return track(new ClientMetrics({ registry, ...options }));
}

/** A server answering Who.Id with its name, Arith.Mul, Arith.Fail, and Who.Wait after `until`. */
async function arith(name: string, until: Promise<void> = Promise.resolve()) {
  return listen({}, (s) => {
    s.registerFunction('Who', 'Id', () => name);
    s.registerFunction('Who', 'Wait', async () => {
      await until;
      return name;
    });
    s.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({
      C: args.A * args.B,
    }));
    s.registerFunction('Arith', 'Fail', () => {
      throw new Error('boom');
    });
  });
}

/** An address nobody listens on. */
async function deadAddress(): Promise<string> {
  return `tcp@127.0.0.1:${await freeLoopbackPort()}`;
}

/**
 * An XClient of `Who` over `servers`, picked in that order (a selector that takes them in turn),
 * with the metrics' interceptor.
 */
function whoOver(
  servers: readonly string[],
  metrics: ClientMetrics,
  options: Partial<XClientOptions>,
): XClient {
  let next = 0;
  const inTurn: Selector = { select: () => servers[next++ % servers.length], update: () => {} };
  return xclient({
    servicePath: 'Who',
    discovery: new MultipleServersDiscovery(servers.map((key) => ({ key, metadata: '' }))),
    selector: inTurn,
    interceptors: [metrics.interceptor],
    ...options,
  });
}

const hostPort = (key: string) => {
  const [host, port] = key.slice(key.indexOf('@') + 1).split(':');
  return { server_address: host!, server_port: port! };
};

describe('ClientMetrics on a Client', () => {
  test('calls by method, server and status; active back to 0', async () => {
    const registry = new Registry();
    const metrics = metricsIn(registry);
    const { opened: handlerGate, open: release } = gate();
    const { address } = await arith('one', handlerGate);
    const c = client({ address, interceptors: [metrics.interceptor] });
    const endpoint = await metricsEndpoint(registry);

    await expect(c.call('Arith', 'Mul', { A: 2, B: 3 })).resolves.toEqual({ C: 6 });
    await expect(c.call('Arith', 'Mul', { A: 4, B: 3 })).resolves.toEqual({ C: 12 });
    expect((await rpcxRejectionOf(c.call('Arith', 'Fail', {}))).code).toBe(ErrorCode.ServiceError);
    const waiting = c.call('Who', 'Wait', {}, { timeoutMs: 60_000 });
    const timedOut = await rpcxRejectionOf(c.call('Who', 'Wait', {}, { timeoutMs: 50 }));
    expect(timedOut.code).toBe(ErrorCode.Timeout);

    let samples = await scrape(endpoint);
    expect(sampleValue(samples, M.ClientActiveCalls, method('Who/Wait'))).toBe(1);
    release();
    await expect(waiting).resolves.toBe('one');
    samples = await scrape(endpoint);

    const at = hostPort(address);
    expect(sampleValue(samples, M.ClientCallStarted, method('Arith/Mul'))).toBe(2);
    expect(sampleValue(samples, M.ClientCallStarted, method('Arith/Fail'))).toBe(1);
    expect(sampleValue(samples, M.ClientCallStarted, method('Who/Wait'))).toBe(2);
    // Finished calls by method and status, all answered (or timed out) at the one server.
    const finished = (name: string, status: Record<string, string>) =>
      histogram(samples, M.ClientCallDuration, { ...method(name), ...at, ...status }).count;
    const ok = { rpc_response_status_code: 'OK' };
    expect(finished('Arith/Mul', ok)).toBe(2);
    expect(finished('Arith/Fail', failedWith('service_error'))).toBe(1);
    expect(finished('Who/Wait', failedWith('timeout'))).toBe(1);
    expect(finished('Who/Wait', ok)).toBe(1);
    for (const name of ['Arith/Mul', 'Arith/Fail', 'Who/Wait']) {
      expect(sampleValue(samples, M.ClientActiveCalls, method(name))).toBe(0);
    }
    // A Client makes no picks: the XClient families are there, empty.
    expect(samples.get(M.ClientPicks) ?? []).toEqual([]);
  });

  test('a call that never reached a server has no server labels', async () => {
    const registry = new Registry();
    const metrics = metricsIn(registry);
    const c = client({ address: await deadAddress(), interceptors: [metrics.interceptor] });
    expect((await rpcxRejectionOf(c.call('Arith', 'Mul', {}))).code).toBe(ErrorCode.Unavailable);
    const samples = await scrape(await metricsEndpoint(registry));
    const [series] = seriesOf(samples, `${M.ClientCallDuration}_count`, {
      rpc_response_status_code: 'unavailable',
    });
    expect(series).toEqual({
      labels: {
        ...method('Arith/Mul'),
        rpc_response_status_code: 'unavailable',
        error_type: 'unavailable',
      },
      value: 1,
    });
  });

  test('serverLabels: false leaves the server out of the durations', async () => {
    const registry = new Registry();
    const metrics = track(new ClientMetrics({ registry, serverLabels: false }));
    const { address } = await arith('one');
    await client({ address, interceptors: [metrics.interceptor] }).call('Arith', 'Mul', {});
    const samples = await scrape(await metricsEndpoint(registry));
    expect(seriesOf(samples, `${M.ClientCallDuration}_count`)).toEqual([
      { labels: { ...method('Arith/Mul'), rpc_response_status_code: 'OK' }, value: 1 },
    ]);
  });
});

describe('ClientMetrics on an XClient', () => {
  test('Failover past a dead server: picks and a retry per server, the dead one’s breaker opens', async () => {
    const registry = new Registry();
    const metrics = metricsIn(registry);
    const alive = (await arith('alive')).address;
    const dead = await deadAddress();
    const who = whoOver([dead, alive], metrics, {
      failMode: FailMode.Failover,
      breaker: { failureThreshold: 1, openMs: 600_000 },
    });
    const endpoint = await metricsEndpoint(registry);

    await expect(who.call('Id')).resolves.toBe('alive');
    const samples = await scrape(endpoint);
    const id = method('Who/Id');
    expect(sampleValue(samples, M.ClientPicks, { ...id, rpcx_server: dead })).toBe(1);
    expect(sampleValue(samples, M.ClientPicks, { ...id, rpcx_server: alive })).toBe(1);
    expect(seriesOf(samples, M.ClientRetries)).toEqual([
      { labels: { ...id, rpcx_server: dead, error_type: 'unavailable' }, value: 1 },
    ]);
    const breaker = (server: string, state: string) =>
      sampleValue(samples, M.ClientBreakerState, { rpcx_server: server, state });
    expect([breaker(dead, 'open'), breaker(dead, 'closed'), breaker(dead, 'half-open')]).toEqual([
      1, 0, 0,
    ]);
    expect(seriesOf(samples, M.ClientBreakerTransitions)).toEqual([
      { labels: { rpc_system_name: 'rpcx', rpcx_server: dead, state: 'open' }, value: 1 },
    ]);
    // One call for the interceptor, answered by the server of its last attempt.
    expect(sampleValue(samples, M.ClientCallStarted, id)).toBe(1);
    expect(
      histogram(samples, M.ClientCallDuration, {
        ...id,
        ...hostPort(alive),
        rpc_response_status_code: 'OK',
      }).count,
    ).toBe(1);
  });

  test('a Failbackup backup request is a retry without an error type', async () => {
    const registry = new Registry();
    const metrics = metricsIn(registry);
    const { opened: slow, open: release } = gate();
    const first = (await arith('first', slow)).address;
    const second = (await arith('second')).address;
    const who = whoOver([first, second], metrics, {
      failMode: FailMode.Failbackup,
      backupLatencyMs: 10,
    });
    await expect(who.call('Wait')).resolves.toBe('second');
    release();
    const samples = await scrape(await metricsEndpoint(registry));
    expect(seriesOf(samples, M.ClientRetries)).toEqual([
      { labels: { ...method('Who/Wait'), rpcx_server: first }, value: 1 },
    ]);
    expect(sampleValue(samples, M.ClientPicks, { rpcx_server: second })).toBe(1);
  });

  test('the channels are listened to while the metrics live, and only when asked', async () => {
    const registry = new Registry();
    const channels = [diagnostics.ClientPick, diagnostics.ClientRetry, diagnostics.BreakerState];
    expect(channels.map((c) => c.hasSubscribers)).toEqual([false, false, false]);
    const quiet = new ClientMetrics({ registry, xclient: false });
    expect(channels.map((c) => c.hasSubscribers)).toEqual([false, false, false]);
    expect(registry.getSingleMetric(M.ClientPicks)).toBeUndefined();
    quiet.close();
    const metrics = new ClientMetrics({ registry });
    expect(channels.map((c) => c.hasSubscribers)).toEqual([true, true, true]);
    expect(registry.getMetricsAsArray()).toHaveLength(7);
    metrics.close();
    expect(channels.map((c) => c.hasSubscribers)).toEqual([false, false, false]);
    expect(registry.getMetricsAsArray()).toHaveLength(0);
    expect(DiagnosticsChannel.ClientPick).toBe('rpcx:client:pick');
  });
});
