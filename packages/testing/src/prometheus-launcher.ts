/**
 * A real Prometheus for tests: Debian's `prometheus` (2.42) run with a temporary config and data
 * directory on a free loopback port, scraping the targets it is given every second, and stopped
 * after. Install it with `bash scripts/prometheus.sh` (the launcher fails with that advice when it
 * is missing).
 *
 *   const prom = await startPrometheus({ targets: ['127.0.0.1:9464'] });   // ready, targets active
 *   await prom.waitFor('rpc_server_call_started_total', (r) => r.length > 0);
 *   const result = await prom.query('sum(rpc_server_call_started_total)');
 *   await prom.close();                                                    // stopped, dir removed
 *
 * Binary: `$RPCX_PROMETHEUS_BIN`, else `/usr/bin/prometheus`. It listens on 127.0.0.1 only and
 * scrapes only the targets given (loopback addresses in tests).
 *
 * Cleanup: every server still running is killed (SIGKILL) after each spec file that imports this
 * module; a small watchdog process (watchdog.ts) kills Prometheus when this process exits or
 * dies without doing so.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerBinary } from './server-binary.js';
import { freeLoopbackPort } from './zookeeper-launcher.js';

export interface PrometheusOptions {
  /** `host:port` of each target to scrape (loopback). */
  targets: readonly string[];
  /** The path scraped on every target. Default `/metrics`. */
  metricsPath?: string;
  /** Scrape (and rule evaluation) interval, whole seconds. Default 1. */
  scrapeIntervalS?: number;
  /** How long to wait for `/-/ready` and the targets to be active (ms). Default 30 000. */
  readyTimeoutMs?: number;
}

/** One element of an instant query's `result` (`resultType` vector). */
export interface PrometheusSample {
  metric: Record<string, string>;
  /** `[unix seconds, "value"]`. */
  value: [number, string];
}

export interface PrometheusServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  readonly running: boolean;
  /** An instant query (`/api/v1/query`); rejects when Prometheus answers an error. */
  query(expr: string): Promise<PrometheusSample[]>;
  /**
   * Repeats `query(expr)` (every 250 ms) until `accept` says yes; rejects after `timeoutMs`
   * (default 30 000) with the last result.
   */
  waitFor(
    expr: string,
    accept: (result: PrometheusSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<PrometheusSample[]>;
  /** The scrape targets as Prometheus sees them (`/api/v1/targets`, active ones). */
  targets(): Promise<Array<{ scrapeUrl: string; health: string; lastError: string }>>;
  /** What Prometheus printed (the last 64 KiB). */
  output(): string;
  /** SIGTERM, SIGKILL after 5 s, then removes the directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * The Prometheus binary (`$RPCX_PROMETHEUS_BIN`, else Debian's), checked; throws with the
 * install advice when it is missing.
 */
export function prometheusBinary(): string {
  const binary = process.env.RPCX_PROMETHEUS_BIN || '/usr/bin/prometheus';
  if (existsSync(binary)) return binary;
  throw new Error(
    `Prometheus not found at ${binary}: run \`bash scripts/prometheus.sh\` to install it`,
  );
}

const running = new Set<Launched>();

/** Kills (SIGKILL) every Prometheus started here that still runs; resolves when they exited. */
export async function stopAllPrometheus(): Promise<void> {
  await Promise.all([...running].map((server) => server.kill()));
}

/** Starts Prometheus on a free loopback port; resolves when it is ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const root = mkdtempSync(join(tmpdir(), 'rpcx-prometheus-'));
  const interval = `${options.scrapeIntervalS ?? 1}s`;
  const config = join(root, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      `  evaluation_interval: ${interval}`,
      'scrape_configs:',
      '  - job_name: rpcx',
      `    metrics_path: ${JSON.stringify(options.metricsPath ?? '/metrics')}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(options.targets)}`,
      '',
    ].join('\n'),
  );
  let failure: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = new Launched(
      binary,
      root,
      config,
      options.targets.length,
      await freeLoopbackPort(),
    );
    failure = await server.start(options.readyTimeoutMs ?? 30_000).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (failure === undefined) return server;
    await server.kill();
    // Only a port taken between our probe and Prometheus's bind is worth another try.
    if (!/address already in use/i.test(server.output())) break;
  }
  rmSync(root, { recursive: true, force: true });
  throw failure;
}

/** One Prometheus process, with its directory. */
class Launched implements PrometheusServer {
  readonly url: string;
  private readonly process = new ServerBinary('prometheus');
  private closed = false;

  constructor(
    private readonly binary: string,
    private readonly root: string,
    private readonly config: string,
    private readonly targetCount: number,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get running(): boolean {
    return this.process.running;
  }

  output(): string {
    return this.process.output();
  }

  async start(readyTimeoutMs: number): Promise<void> {
    this.process.start(
      this.binary,
      [
        `--config.file=${this.config}`,
        `--storage.tsdb.path=${join(this.root, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      () => running.delete(this),
    );
    running.add(this);

    // Ready: `/-/ready` answers 200 and every target is active (the scrape manager takes up
    // the discovered targets about 5 s after start).
    if (await this.process.waitReady(() => this.ready(), readyTimeoutMs)) return;
    await this.kill();
    throw new Error(
      `Prometheus on port ${this.port} (${this.binary}) did not become ready (with ${this.targetCount} active targets) within ${readyTimeoutMs} ms\n--- output ---\n${this.output()}`,
    );
  }

  private async ready(): Promise<boolean> {
    try {
      if ((await httpGet(`${this.url}/-/ready`)).status !== 200) return false;
      return (await this.targets()).length >= this.targetCount;
    } catch {
      return false;
    }
  }

  async query(expr: string): Promise<PrometheusSample[]> {
    const answer = await httpGet(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = JSON.parse(answer.body) as {
      status: string;
      error?: string;
      data?: { resultType: string; result: PrometheusSample[] };
    };
    if (body.status !== 'success' || body.data === undefined) {
      throw new Error(`Prometheus query ${expr}: ${body.error ?? answer.body}`);
    }
    return body.data.result;
  }

  async waitFor(
    expr: string,
    accept: (result: PrometheusSample[]) => boolean,
    timeoutMs = 30_000,
  ): Promise<PrometheusSample[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await this.query(expr);
      if (accept(result)) return result;
      if (Date.now() > deadline) {
        const targets = await this.targets().catch(() => []);
        throw new Error(
          `Prometheus: ${expr} not as expected within ${timeoutMs} ms; last result ${JSON.stringify(result)}; targets ${JSON.stringify(targets)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async targets(): Promise<Array<{ scrapeUrl: string; health: string; lastError: string }>> {
    const answer = await httpGet(`${this.url}/api/v1/targets?state=active`);
    const body = JSON.parse(answer.body) as {
      data: { activeTargets: Array<{ scrapeUrl: string; health: string; lastError: string }> };
    };
    return body.data.activeTargets.map(({ scrapeUrl, health, lastError }) => ({
      scrapeUrl,
      health,
      lastError,
    }));
  }

  kill(): Promise<void> {
    return this.process.kill();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.process.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** GET `url` (bounded to 5 s): the status and the body as text. */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 5 s`)));
    req.on('error', reject);
  });
}

// A spec file that imports this module gets its leftover servers killed after its last test
// (imported from inside a test, where no hook can be added, the watchdogs still kill them).
try {
  if (typeof afterAll === 'function') afterAll(stopAllPrometheus);
} catch {
  // no hooks here
}
