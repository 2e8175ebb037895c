import { request } from 'node:http';
import { accepts, type OtelCollector, startOtelCollector } from './otel-collector-launcher.js';

/** POSTs `body` as JSON to `url`; resolves with the status. */
function postJson(url: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

// A Go binary starting on a busy machine: more than the default 20 s.
jest.setTimeout(60_000);

describe('OpenTelemetry Collector launcher', () => {
  let collector: OtelCollector | undefined;
  afterAll(() => collector?.close());

  test('what is sent to the receiver comes out of the sink as the collector exported it; close stops it', async () => {
    collector = await startOtelCollector();
    // An OTLP/JSON export request as any SDK sends it (ids in hex, int64 as a string).
    const status = await postJson(collector.tracesUrl, {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'probe' } }] },
          scopeSpans: [
            {
              scope: { name: 'launcher-test' },
              spans: [
                {
                  traceId: '0af7651916cd43dd8448eb211c80319c',
                  spanId: 'b7ad6b7169203331',
                  parentSpanId: '00f067aa0ba902b7',
                  name: 'Arith/Mul',
                  kind: 2,
                  startTimeUnixNano: '1764512770000000000',
                  endTimeUnixNano: '1764512770001000000',
                  attributes: [
                    { key: 'rpc.system', value: { stringValue: 'rpcx' } },
                    { key: 'server.port', value: { intValue: '8972' } },
                    { key: 'sampled', value: { boolValue: true } },
                  ],
                  status: { code: 2, message: 'negative' },
                },
              ],
            },
          ],
        },
      ],
    });
    expect(status).toBe(200);
    const spans = await collector.waitForSpans((all) => all.length > 0);
    expect(spans).toEqual([
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        parentSpanId: '00f067aa0ba902b7',
        name: 'Arith/Mul',
        kind: 2,
        attributes: { 'rpc.system': 'rpcx', 'server.port': 8972, sampled: true },
        status: { code: 2, message: 'negative' },
        serviceName: 'probe',
        scopeName: 'launcher-test',
      },
    ]);

    const port = Number(new URL(collector.tracesUrl).port);
    await collector.close();
    expect(await accepts(port)).toBe(false);
    expect(collector.output()).toMatch(/collector exited/);
  });
});
