/**
 * Metrics: an Arith server with `ServerMetrics` (plugin + interceptor), a Client and an XClient
 * with `ClientMetrics`, and the `/metrics` endpoint a Prometheus would scrape. The demo makes a
 * few calls — good ones, a division by zero, one to a method the server does not have — then
 * reads `/metrics` over HTTP and prints the rpcx lines, and the rates a register plugin would
 * write into the registry (`calls`, `connections`).
 *
 * `runMetricsDemo()` returns what it read (metrics-demo-main.ts runs it; metrics-demo.spec.ts
 * checks it). With `serve`, it leaves the server and the endpoint running for a real Prometheus:
 *
 *   scrape_configs:
 *     - job_name: rpcx-demo
 *       static_configs: [{ targets: ['127.0.0.1:9464'] }]
 */
import { get } from 'node:http';
import { Client, MultipleServersDiscovery, SerializeType, XClient } from '@rpcx/client';
import { registryMetricsValues } from '@rpcx/core';
import { ClientMetrics, ServerMetrics, startMetricsServer } from '@rpcx/metrics';
import { Server } from '@rpcx/server';
import { Registry } from 'prom-client';
import { Arith } from './arith.js';

export interface MetricsDemoOptions {
  log?: (line: string) => void;
  /** Port of the /metrics endpoint; default 0 (any free one). */
  metricsPort?: number;
  /** Keep serving after the demo calls (until the process is stopped). */
  serve?: boolean;
}

export interface MetricsDemoSummary {
  /** `http://127.0.0.1:PORT/metrics`. */
  url: string;
  contentType: string;
  /** The exposition's sample lines of rpcx metrics (not `_bucket` lines). */
  lines: string[];
  /** What a register plugin writes: the mean rates, Go's `%.2f`. */
  registry: { calls: string; connections: string };
  /** Stops everything (already done unless `serve`). */
  close(): Promise<void>;
}

export async function runMetricsDemo(
  options: MetricsDemoOptions = {},
): Promise<MetricsDemoSummary> {
  const log = options.log ?? console.log;
  const registry = new Registry();

  // The server: one object, installed as a plugin and as the first interceptor.
  const serverMetrics = new ServerMetrics({ registry });
  const server = new Server({
    plugins: [serverMetrics],
    interceptors: [serverMetrics.interceptor],
  });
  server.register(new Arith());
  const address = await server.listen('tcp@127.0.0.1:0');

  // The clients: one ClientMetrics for both (per-method calls; picks, retries, breakers).
  const clientMetrics = new ClientMetrics({ registry });
  const client = new Client({
    address,
    serializeType: SerializeType.JSON,
    interceptors: [clientMetrics.interceptor],
  });
  const xclient = new XClient({
    servicePath: 'Arith',
    discovery: new MultipleServersDiscovery([{ key: address, metadata: '' }]),
    serializeType: SerializeType.JSON,
    interceptors: [clientMetrics.interceptor],
  });

  const endpoint = await startMetricsServer({ registry, port: options.metricsPort ?? 0 });
  log(`server on ${address}, metrics at ${endpoint.url}`);

  for (let i = 1; i <= 3; i++) await client.call('Arith', 'Mul', { A: i, B: 7 });
  await xclient.call('Mul', { A: 6, B: 7 });
  await client.call('Arith', 'Div', { A: 1, B: 0 }).catch(() => undefined); // service error
  await client.call('Arith', 'Sqrt', { A: 2 }).catch(() => undefined); // no such method: _OTHER

  const { contentType, body } = await fetch(endpoint.url);
  const lines = body
    .split('\n')
    .filter((line) => line.startsWith('rpc_') && !line.includes('_bucket{'));
  log(`GET ${endpoint.url} (${contentType}):`);
  for (const line of lines) log(`  ${line}`);
  const rates = registryMetricsValues(serverMetrics);
  log(`a register plugin would write calls=${rates.calls} connections=${rates.connections}`);

  const close = async () => {
    await client.close();
    await xclient.close();
    await endpoint.close();
    await server.close();
    clientMetrics.close();
    serverMetrics.close();
  };
  if (!options.serve) await close();
  else log('serving until stopped (Ctrl-C)');
  return { url: endpoint.url, contentType, lines, registry: rates, close };
}

function fetch(url: string): Promise<{ contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ contentType: String(response.headers['content-type']), body }),
      );
    }).on('error', reject);
  });
}
