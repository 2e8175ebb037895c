import type { CallInfo, ConnectionInfo } from './plugins.js';
import { RegistryMeters } from './registry-meters.js';
import { registryMetricsValues } from './registry-metrics.js';
import type { ServerPlugin } from './server-plugin.js';

const connection: ConnectionInfo = { id: 1, remoteAddress: '127.0.0.1:50000', localAddress: '' };
const call: CallInfo = { connection, servicePath: 'Arith', serviceMethod: 'Mul', metadata: {} };

describe('RegistryMeters', () => {
  test('mean rates per second since creation, on the injected clock', () => {
    let now = 5_000;
    const meters = new RegistryMeters(() => now);
    expect([meters.calls(), meters.connections()]).toEqual([0, 0]); // no time passed yet
    expect(meters.postConnAccept()).toBeUndefined(); // the connection is kept
    for (let i = 0; i < 3; i++) expect(meters.preCall()).toBeUndefined(); // args kept
    now += 2_000;
    expect([meters.calls(), meters.connections()]).toEqual([1.5, 0.5]);
    now += 2_000;
    expect([meters.calls(), meters.connections()]).toEqual([0.75, 0.25]);
  });

  test('counts through the server plugin hooks it implements (PostConnAccept, PreCall)', () => {
    let now = 0;
    const meters = new RegistryMeters(() => now);
    const plugin: ServerPlugin = meters;
    expect(plugin.postConnAccept?.(connection)).toBeUndefined();
    expect(plugin.preCall?.(call, { A: 1 })).toBeUndefined();
    now = 1_000;
    expect(registryMetricsValues(meters)).toEqual({ calls: '1.00', connections: '1.00' });
  });
});

describe("registryMetricsValues: Go's %.2f", () => {
  const values = (calls: number, connections = 0) =>
    registryMetricsValues({ calls: () => calls, connections: () => connections });

  test('two decimals, rounded', () => {
    expect(values(12.345, 0.5)).toEqual({ calls: '12.35', connections: '0.50' });
    expect(values(1 / 3).calls).toBe('0.33');
    expect(values(0).calls).toBe('0.00');
    expect(values(1.005).calls).toBe('1.00'); // 1.00499999... in binary
  });

  test('exact halves round to even as Go does (toFixed would round them up)', () => {
    expect([0.125, 0.375, 0.625, 0.875, 1.125, -0.125].map((x) => values(x).calls)).toEqual([
      '0.12',
      '0.38',
      '0.62',
      '0.88',
      '1.12',
      '-0.12',
    ]);
  });

  test('non-finite and very large values as Go spells them', () => {
    expect([Number.NaN, Infinity, -Infinity, 1e21].map((x) => values(x).calls)).toEqual([
      'NaN',
      '+Inf',
      '-Inf',
      '1000000000000000000000.00',
    ]);
  });
});
