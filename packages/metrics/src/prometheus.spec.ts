/**
 * End to end with a real Prometheus (Debian's 2.42, scripts/prometheus.sh): it scrapes the
 * /metrics endpoint of a server and a client every second over loopback, and its query API
 * answers with the series they produced — counters, a histogram through `histogram_quantile`,
 * and gauges.
 */
import { MultipleServersDiscovery } from '@rpcx/client';
import { ErrorCode } from '@rpcx/core';
import { type PrometheusSample, rpcxRejectionOf, startPrometheus } from '@rpcx/testing';
import { Registry } from 'prom-client';
import { ClientMetrics, ServerMetrics } from './index.js';
import { closeAll, listen, metricsEndpoint, track, xclient } from './test-support/rig.js';

afterEach(closeAll);

const valueIs = (expected: number) => (result: PrometheusSample[]) =>
  result.length === 1 && Number(result[0]!.value[1]) === expected;

test('a real Prometheus scrapes the server and client metrics and answers queries on them', async () => {
  const registry = new Registry();
  const serverMetrics = track(new ServerMetrics({ registry }));
  const clientMetrics = track(new ClientMetrics({ registry }));
  const { address } = await listen(
    { plugins: [serverMetrics], interceptors: [serverMetrics.interceptor] },
    (s) => {
      s.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({
        C: args.A * args.B,
      }));
      s.registerFunction('Arith', 'Fail', () => {
        throw new Error('boom');
      });
    },
  );
  const arith = xclient({
    servicePath: 'Arith',
    discovery: new MultipleServersDiscovery([{ key: address, metadata: '' }]),
    interceptors: [clientMetrics.interceptor],
  });
  for (let i = 1; i <= 3; i++) await arith.call('Mul', { A: i, B: i });
  expect((await rpcxRejectionOf(arith.call('Fail', {}))).code).toBe(ErrorCode.ServiceError);

  const endpoint = await metricsEndpoint(registry);
  const prometheus = track(await startPrometheus({ targets: [`127.0.0.1:${endpoint.port}`] }));

  const started = await prometheus.waitFor(
    'rpc_server_call_started_total{rpc_method="Arith/Mul"}',
    valueIs(3),
    8_000,
  );
  expect(started[0]!.metric).toMatchObject({
    __name__: 'rpc_server_call_started_total',
    job: 'rpcx',
    instance: `127.0.0.1:${endpoint.port}`,
    rpc_system_name: 'rpcx',
    rpc_service: 'Arith',
    rpc_method: 'Arith/Mul',
  });
  await prometheus.waitFor(
    'sum(rpc_server_call_duration_seconds_count{rpc_response_status_code!="OK"})',
    valueIs(1),
  );
  await prometheus.waitFor(
    'rpc_client_call_duration_seconds_bucket{rpc_method="Arith/Mul",le="+Inf"}',
    valueIs(3),
  );
  const median = await prometheus.query(
    'histogram_quantile(0.5, sum by (le) (rpc_server_call_duration_seconds_bucket{rpc_method="Arith/Mul"}))',
  );
  expect(median).toHaveLength(1);
  const seconds = Number(median[0]!.value[1]);
  expect(seconds).toBeGreaterThan(0);
  expect(seconds).toBeLessThanOrEqual(10);
  await prometheus.waitFor('rpc_server_connections_open', valueIs(1));
  await prometheus.waitFor(`sum(rpc_client_picks_total{rpcx_server="${address}"})`, valueIs(4));
  const targets = await prometheus.targets();
  expect(targets).toEqual([
    { scrapeUrl: `http://127.0.0.1:${endpoint.port}/metrics`, health: 'up', lastError: '' },
  ]);
}, 90_000);
