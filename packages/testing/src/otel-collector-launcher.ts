/**
 * A real OpenTelemetry Collector for tests (release 0.165.0, built by `bash scripts/otelcol.sh`:
 * the collector core with its OTLP receiver and OTLP/HTTP exporter). It receives OTLP/HTTP on a
 * free loopback port and exports every span it gets, as OTLP JSON, to an HTTP sink the launcher
 * runs in this process — so a test sees exactly what the collector made of its spans.
 *
 *   const collector = await startOtelCollector();
 *   new OTLPTraceExporter({ url: collector.tracesUrl });            // the SDK sends here
 *   const spans = await collector.waitForSpans((all) => all.length >= 2);
 *   await collector.close();                                        // stopped, dir removed
 *
 * Binary: `$RPCX_OTELCOL_BIN`, else `${RPCX_CACHE_DIR:-~/.cache/rpcx-ts}/otelcol-0.165.0/
 * otelcol-rpcx`. Both ends listen on 127.0.0.1 only. Every collector still running is killed
 * after each spec file that imports this module, and a watchdog kills it if this process dies.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './eventually.js';
import { ServerBinary } from './server-binary.js';
import { freeLoopbackPort } from './zookeeper-launcher.js';

export const OTELCOL_RELEASE = '0.165.0';

/** A span as the collector exported it, with its resource's and scope's names. */
export interface CollectedSpan {
  /** Lower-case hex, as OTLP JSON writes ids. */
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's enum: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  /** The attribute values (OTLP JSON's int64 values, strings there, as numbers). */
  attributes: Record<string, string | number | boolean>;
  status: { code?: number; message?: string };
  /** The resource's `service.name`. */
  serviceName: string | undefined;
  scopeName: string;
}

export interface OtelCollector {
  /** OTLP/HTTP traces endpoint of the collector's receiver. */
  readonly tracesUrl: string;
  /** Spans exported so far, in the order they arrived. */
  spans(): CollectedSpan[];
  /** Polls `spans()` until `accept` says yes; rejects after `timeoutMs` (default 15 000). */
  waitForSpans(
    accept: (spans: CollectedSpan[]) => boolean,
    timeoutMs?: number,
  ): Promise<CollectedSpan[]>;
  /** What the collector printed (the last 64 KiB). */
  output(): string;
  /** SIGTERM (SIGKILL after 5 s), the sink closed, the directory removed. Idempotent. */
  close(): Promise<void>;
}

/** The collector binary, checked; throws with the build advice when it is missing. */
export function otelCollectorBinary(): string {
  const cache = process.env.RPCX_CACHE_DIR || join(homedir(), '.cache', 'rpcx-ts');
  const binary =
    process.env.RPCX_OTELCOL_BIN || join(cache, `otelcol-${OTELCOL_RELEASE}`, 'otelcol-rpcx');
  if (existsSync(binary)) return binary;
  throw new Error(
    `OpenTelemetry Collector not found at ${binary}: run \`bash scripts/otelcol.sh\` to build it`,
  );
}

const running = new Set<Launched>();

/** Kills (SIGKILL) every collector started here that still runs. */
export async function stopAllOtelCollectors(): Promise<void> {
  await Promise.all([...running].map((collector) => collector.kill()));
}

/** Starts the sink and the collector; resolves when the collector's receiver accepts connections. */
export async function startOtelCollector(readyTimeoutMs = 30_000): Promise<OtelCollector> {
  const binary = otelCollectorBinary();
  const receiverPort = await freeLoopbackPort();
  const sink = await startSink();
  let collector: Launched;
  try {
    const root = mkdtempSync(join(tmpdir(), 'rpcx-otelcol-'));
    const config = join(root, 'config.yaml');
    writeFileSync(config, collectorConfig(receiverPort, sink.port));
    collector = new Launched(binary, config, root, receiverPort, sink);
  } catch (error) {
    sink.server.close();
    throw error;
  }
  // From here `close` takes the process, the sink and the directory down.
  try {
    await collector.start(readyTimeoutMs);
  } catch (error) {
    await collector.close();
    throw error;
  }
  return collector;
}

/** OTLP/HTTP in on `receiverPort`; out as OTLP JSON to the sink, at once, without retries. */
function collectorConfig(receiverPort: number, sinkPort: number): string {
  return [
    'receivers:',
    '  otlp:',
    '    protocols:',
    '      http:',
    `        endpoint: 127.0.0.1:${receiverPort}`,
    'exporters:',
    '  otlp_http:',
    `    endpoint: http://127.0.0.1:${sinkPort}`,
    '    encoding: json',
    '    compression: none',
    '    retry_on_failure:',
    '      enabled: false',
    '    sending_queue:',
    '      enabled: false',
    'service:',
    '  telemetry:',
    '    metrics:',
    '      level: none',
    '    logs:',
    '      level: warn',
    '  pipelines:',
    '    traces:',
    '      receivers: [otlp]',
    '      exporters: [otlp_http]',
    '',
  ].join('\n');
}

interface Sink {
  port: number;
  spans: CollectedSpan[];
  /** Bodies the sink could not read as OTLP JSON (a test should see none). */
  errors: string[];
  server: Server;
}

/** The HTTP endpoint the collector exports to: `POST /v1/traces`, OTLP JSON. */
async function startSink(): Promise<Sink> {
  const spans: CollectedSpan[] = [];
  const errors: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      try {
        if (req.method !== 'POST' || req.url !== '/v1/traces') {
          throw new Error(`${req.method} ${req.url}`);
        }
        spans.push(...spansOf(JSON.parse(body) as OtlpTraces));
      } catch (error) {
        errors.push(`${error instanceof Error ? error.message : String(error)}: ${body}`);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('sink has no port');
  return { port: address.port, spans, errors, server };
}

/** The parts of an OTLP JSON `ExportTraceServiceRequest` read here. */
interface OtlpTraces {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: Array<{
      scope?: { name?: string };
      spans?: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind?: number;
        attributes?: OtlpAttribute[];
        status?: { code?: number; message?: string };
      }>;
    }>;
  }>;
}

interface OtlpAttribute {
  key: string;
  value: {
    stringValue?: string;
    intValue?: string | number;
    doubleValue?: number;
    boolValue?: boolean;
  };
}

function spansOf(request: OtlpTraces): CollectedSpan[] {
  const spans: CollectedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const serviceName = attributesOf(resourceSpans.resource?.attributes)['service.name'];
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      for (const span of scopeSpans.spans ?? []) {
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId ?? '',
          name: span.name,
          kind: span.kind ?? 0,
          attributes: attributesOf(span.attributes),
          status: span.status ?? {},
          serviceName: typeof serviceName === 'string' ? serviceName : undefined,
          scopeName: scopeSpans.scope?.name ?? '',
        });
      }
    }
  }
  return spans;
}

function attributesOf(attributes: OtlpAttribute[] | undefined): CollectedSpan['attributes'] {
  const values: CollectedSpan['attributes'] = {};
  for (const { key, value } of attributes ?? []) {
    if (value.stringValue !== undefined) values[key] = value.stringValue;
    else if (value.intValue !== undefined) values[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) values[key] = value.doubleValue;
    else if (value.boolValue !== undefined) values[key] = value.boolValue;
  }
  return values;
}

/** One collector process, with its sink and directory. */
class Launched implements OtelCollector {
  readonly tracesUrl: string;
  private readonly process = new ServerBinary('collector');
  private closed = false;

  constructor(
    private readonly binary: string,
    private readonly config: string,
    private readonly root: string,
    private readonly receiverPort: number,
    private readonly sink: Sink,
  ) {
    this.tracesUrl = `http://127.0.0.1:${receiverPort}/v1/traces`;
  }

  spans(): CollectedSpan[] {
    if (this.sink.errors.length > 0) {
      throw new Error(`the collector sent what is not OTLP JSON: ${this.sink.errors.join('\n')}`);
    }
    return [...this.sink.spans];
  }

  waitForSpans(
    accept: (spans: CollectedSpan[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<CollectedSpan[]> {
    return eventually(() => this.spans(), accept, timeoutMs, 'the collected spans');
  }

  output(): string {
    return this.process.output();
  }

  async start(readyTimeoutMs: number): Promise<void> {
    this.process.start(this.binary, [`--config=${this.config}`], () => running.delete(this));
    running.add(this);
    if (await this.process.waitReady(() => accepts(this.receiverPort), readyTimeoutMs)) return;
    throw new Error(
      `the collector (${this.binary}) did not accept OTLP on port ${this.receiverPort} within ${readyTimeoutMs} ms\n--- output ---\n${this.output()}`,
    );
  }

  kill(): Promise<void> {
    return this.process.kill();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.process.stop();
    await new Promise((resolve) => this.sink.server.close(resolve));
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Whether something accepts a TCP connection on 127.0.0.1:`port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// A spec file that imports this module gets its leftover collectors killed after its last test.
try {
  if (typeof afterAll === 'function') afterAll(stopAllOtelCollectors);
} catch {
  // no hooks here
}
