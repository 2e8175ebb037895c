/**
 * The TS ends of otel-collector-trace.spec.ts, each a child process of its own (the OTLP/HTTP
 * exporter loads node:http with a dynamic `import()`, which jest's module sandbox refuses). Each
 * has an SDK that sends every span, when it ends, to the collector's OTLP/HTTP traces URL:
 *
 *   otlp-ts-side.ts server <tracesUrl>
 *     Arith.Mul (JSON {A, B} -> {C}) traced by serverTracing, service "ts-back"; prints
 *     `READY <address>`; on the stdin line `stop` closes, flushes and prints `STOPPED`.
 *   otlp-ts-side.ts client <tracesUrl> <address>
 *     one Relay.Call {A: 6, B: 7} traced by clientTracing, service "ts-front"; flushes, prints
 *     `READY <C>` and exits.
 */
import { createInterface } from 'node:readline';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client } from '@rpcx/client';
import { SerializeType } from '@rpcx/core';
import { clientTracing, serverTracing } from '@rpcx/opentelemetry';
import { Server } from '@rpcx/server';

const [mode, tracesUrl, address] = process.argv.slice(2);

function sdkOf(serviceName: string): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }))],
  });
}

async function serve(): Promise<void> {
  const sdk = sdkOf('ts-back');
  const server = new Server({ interceptors: [serverTracing({ tracerProvider: sdk })] });
  server.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => ({
    C: args.A * args.B,
  }));
  process.stdout.write(`READY ${await server.listen('tcp@127.0.0.1:0')}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() !== 'stop') continue;
    await server.close();
    await sdk.forceFlush();
    await sdk.shutdown();
    process.stdout.write('STOPPED\n');
    return;
  }
}

async function callOnce(): Promise<void> {
  const sdk = sdkOf('ts-front');
  const client = new Client({
    address: address!,
    serializeType: SerializeType.JSON,
    interceptors: [clientTracing({ tracerProvider: sdk })],
  });
  const reply = await client.call<{ C: number }>('Relay', 'Call', { A: 6, B: 7 });
  await client.close();
  await sdk.forceFlush();
  await sdk.shutdown();
  process.stdout.write(`READY ${reply.C}\n`);
}

const run = mode === 'server' ? serve : mode === 'client' ? callOnce : undefined;
if (run === undefined || tracesUrl === undefined || (mode === 'client' && address === undefined)) {
  process.stderr.write(
    'usage: otlp-ts-side.ts server <tracesUrl> | client <tracesUrl> <address>\n',
  );
  process.exit(64);
}
run().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
