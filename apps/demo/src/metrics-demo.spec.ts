/** The metrics demo: the calls it makes are in what its /metrics endpoint serves. */
import { runMetricsDemo } from './metrics-demo.js';

test('the demo calls show up on /metrics, with the registry rates', async () => {
  const lines: string[] = [];
  const summary = await runMetricsDemo({ log: (line) => lines.push(line) });

  expect(summary.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  const value = (prefix: string) =>
    Number(
      summary.lines
        .find((line) => line.startsWith(prefix))
        ?.split(' ')
        .at(-1),
    );
  const mul = 'rpc_system_name="rpcx",rpc_service="Arith",rpc_method="Arith/Mul"';
  expect(value(`rpc_server_call_started_total{${mul}}`)).toBe(4);
  expect(
    value(`rpc_server_call_duration_seconds_count{${mul},rpc_response_status_code="OK"}`),
  ).toBe(4);
  expect(
    value(
      'rpc_server_call_duration_seconds_count{rpc_system_name="rpcx",rpc_service="Arith",rpc_method="Arith/Div",rpc_response_status_code="service_error",error_type="service_error"}',
    ),
  ).toBe(1);
  expect(
    value(
      'rpc_server_call_started_total{rpc_system_name="rpcx",rpc_service="_OTHER",rpc_method="_OTHER"}',
    ),
  ).toBe(1);
  expect(value(`rpc_client_call_started_total{${mul}}`)).toBe(4);
  expect(value('rpc_server_connections_accepted_total')).toBe(2);
  expect(Number(summary.registry.calls)).toBeGreaterThan(0);
  expect(Number(summary.registry.connections)).toBeGreaterThan(0);
  expect(lines[0]).toMatch(
    /^server on tcp@127\.0\.0\.1:\d+, metrics at http:\/\/127\.0\.0\.1:\d+\/metrics$/,
  );
});
