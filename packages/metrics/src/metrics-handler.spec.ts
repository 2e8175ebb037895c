/**
 * The /metrics endpoint over real HTTP on 127.0.0.1: the exposition and its content type (text
 * 0.0.4, or OpenMetrics when the registry says so), HEAD, other methods, other paths, a failing
 * collection, and the handler mounted in a server of one's own.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge, Registry, type RegistryContentType } from 'prom-client';
import { MetricName, metricsHandler, ServerMetrics, startMetricsServer } from './index.js';
import { closeAll, track } from './test-support/rig.js';
import { fetchText, parseExposition } from './test-support/scrape.js';

afterEach(closeAll);

const TEXT = 'text/plain; version=0.0.4; charset=utf-8';

function registryWithMetrics(): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  track(new ServerMetrics({ registry }));
  return registry;
}

describe('startMetricsServer', () => {
  test('GET /metrics: the exposition, as text 0.0.4; HEAD: the headers alone', async () => {
    const registry = registryWithMetrics();
    const endpoint = track(await startMetricsServer({ registry, port: 0 }));
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}/metrics`);
    const answer = await fetchText(endpoint.url);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe(TEXT);
    expect(answer.body).toBe(await registry.metrics());
    const { types } = parseExposition(answer.body);
    expect(types.get(MetricName.ServerCallDuration)).toBe('HISTOGRAM');
    expect(types.get(MetricName.ServerCallStarted)).toBe('COUNTER');
    expect(types.get(MetricName.ServerConnectionsOpen)).toBe('GAUGE');
    expect(await fetchText(`${endpoint.url}?x=1`)).toMatchObject({ status: 200 });

    const head = await fetchText(endpoint.url, 'HEAD');
    expect(head).toEqual({ status: 200, contentType: TEXT, body: '' });
  });

  test('other methods get 405, other paths 404', async () => {
    const endpoint = track(await startMetricsServer({ registry: new Registry(), port: 0 }));
    expect(await fetchText(endpoint.url, 'POST')).toMatchObject({ status: 405 });
    const elsewhere = await fetchText(`http://127.0.0.1:${endpoint.port}/other`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body).toMatch(/\/metrics/);
    const custom = track(
      await startMetricsServer({ registry: new Registry(), port: 0, path: '/stats' }),
    );
    expect(custom.url).toMatch(/\/stats$/);
    expect(await fetchText(custom.url)).toMatchObject({ status: 200 });
  });

  test('an OpenMetrics registry is served as OpenMetrics', async () => {
    const registry = registryWithMetrics();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const endpoint = track(await startMetricsServer({ registry, port: 0 }));
    const answer = await fetchText(endpoint.url);
    expect(answer.contentType).toBe(Registry.OPENMETRICS_CONTENT_TYPE);
    expect(answer.body.endsWith('# EOF\n')).toBe(true);
    // Counters keep their name: the family without `_total`, the sample with it.
    expect(answer.body).toMatch(/^# TYPE rpc_server_call_started counter$/m);
    expect(answer.body).toMatch(
      /^rpc_server_connections_accepted_total\{rpc_system_name="rpcx"\} 0$/m,
    );
  });

  test('a collection that fails is a 500 with the reason', async () => {
    const registry = new Registry();
    new Gauge({
      name: 'broken',
      help: 'throws when collected',
      registers: [registry],
      collect() {
        throw new Error('no data');
      },
    });
    const endpoint = track(await startMetricsServer({ registry, port: 0 }));
    const answer = await fetchText(endpoint.url);
    expect(answer.status).toBe(500);
    expect(answer.body).toMatch(/no data/);
  });
});

test('metricsHandler in a server of one’s own answers any path', async () => {
  const registry = registryWithMetrics();
  const server = createServer(metricsHandler(registry));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  track({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  const { port } = server.address() as AddressInfo;
  const answer = await fetchText(`http://127.0.0.1:${port}/anything`);
  expect(answer).toMatchObject({ status: 200, contentType: TEXT });
  expect(answer.body).toMatch(/^# TYPE rpc_server_call_duration_seconds histogram$/m);
});
