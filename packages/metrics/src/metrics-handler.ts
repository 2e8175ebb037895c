/**
 * The `/metrics` endpoint: a `node:http` request listener answering with the registry's text
 * exposition, under the registry's content type (Prometheus text 0.0.4, or OpenMetrics when the
 * registry was set to it). Mount it in an HTTP server of your own, or start a small one:
 *
 *   http.createServer(metricsHandler(registry)).listen(9464);
 *   const endpoint = await startMetricsServer({ registry, port: 9464, host: '0.0.0.0' });
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register as globalRegistry } from 'prom-client';
import type { AnyRegistry } from './family.js';

export type MetricsRequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A request listener that answers GET and HEAD with the exposition of `registry` (default
 * prom-client's global `register`), 405 otherwise, 500 (with the reason) if collecting fails.
 * It answers every path: route to it yourself, or use `startMetricsServer`.
 */
export function metricsHandler(registry: AnyRegistry = globalRegistry): MetricsRequestListener {
  return (request, response) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, {
          'content-type': registry.contentType,
          'content-length': Buffer.byteLength(text),
          'cache-control': 'no-store',
        });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        response.end(
          `collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`,
        );
      },
    );
  };
}

export interface MetricsServerOptions {
  /** Default prom-client's global `register`. */
  registry?: AnyRegistry;
  /** Default 9464 (OpenTelemetry's Prometheus exporter port); 0 for a free one. */
  port?: number;
  /**
   * Default `127.0.0.1`: only this machine can scrape. Give `0.0.0.0` (or `::`) for a
   * Prometheus elsewhere.
   */
  host?: string;
  /** Default `/metrics`; other paths get 404. */
  path?: string;
}

export interface MetricsServer {
  /** `http://host:port/path`, with the port it got. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Stops listening and closes idle connections; resolves once closed. */
  close(): Promise<void>;
}

/** Starts an HTTP server that serves `metricsHandler(registry)` at `path`. */
export function startMetricsServer(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/metrics';
  const handler = metricsHandler(options.registry);
  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    if ((query < 0 ? url : url.slice(0, query)) !== path) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`not found; metrics are at ${path}\n`);
      return;
    }
    handler(request, response);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9464, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shownHost}:${port}${path}`,
        host,
        port,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeIdleConnections();
          }),
      });
    });
  });
}
