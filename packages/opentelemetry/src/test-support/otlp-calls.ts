/**
 * The traced side of otlp-collector.spec.ts, as a child process: the OTLP/HTTP exporter loads
 * node:http with a dynamic `import()`, which jest's module sandbox refuses. A server ("arith")
 * and a client ("caller"), each with an SDK of its own exporting every span at its end to the
 * collector at `argv[2]`; the client calls Arith.Mul once and once failing, both SDKs flush, and
 * the process prints `READY <calls>` and exits.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Client } from '@rpcx/client';
import { SerializeType } from '@rpcx/core';
import { Server } from '@rpcx/server';
import { clientTracing, serverTracing } from '../index.js';

const tracesUrl = process.argv[2]!;

function sdkOf(serviceName: string): BasicTracerProvider {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: tracesUrl }))],
  });
}

async function main(): Promise<void> {
  const serverSdk = sdkOf('arith');
  const clientSdk = sdkOf('caller');
  const server = new Server({ interceptors: [serverTracing({ tracerProvider: serverSdk })] });
  server.registerFunction('Arith', 'Mul', (args: { A: number; B: number }) => {
    if (args.A < 0) throw new Error('negative');
    return { C: args.A * args.B };
  });
  const address = await server.listen('tcp@127.0.0.1:0');
  const client = new Client({
    address,
    serializeType: SerializeType.JSON,
    interceptors: [clientTracing({ tracerProvider: clientSdk })],
  });
  const product = await client.call<{ C: number }>('Arith', 'Mul', { A: 6, B: 7 });
  if (product.C !== 42) throw new Error(`Arith.Mul 6×7 answered ${JSON.stringify(product)}`);
  const failed = await client.call('Arith', 'Mul', { A: -1, B: 7 }).then(
    () => false,
    () => true,
  );
  if (!failed) throw new Error('Arith.Mul with A < 0 did not fail');
  await client.close();
  await server.close();
  // Every span exported (SimpleSpanProcessor: one request each) before the process says so.
  await Promise.all([clientSdk.forceFlush(), serverSdk.forceFlush()]);
  await Promise.all([clientSdk.shutdown(), serverSdk.shutdown()]);
  process.stdout.write('READY 2\n');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
