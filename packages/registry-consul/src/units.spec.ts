/** Without a Consul: key layout, KV flags, addresses, option checks, an unreachable Consul. */
import { consulBaseUrl, LOCK_FLAG_VALUE } from './consul-kv.js';
import { ConsulRegisterPlugin } from './consul-register-plugin.js';
import { nodeKey, normalizeBasePath, servicePrefix } from './layout.js';

test("keys carry no leading slash, as Go's plugin and discovery write and read them", () => {
  expect(normalizeBasePath('/rpcx_test')).toBe('rpcx_test');
  expect(normalizeBasePath('/rpcx_test/')).toBe('rpcx_test');
  expect(normalizeBasePath('a/b')).toBe('a/b');
  expect(servicePrefix('/rpcx_test', 'Arith')).toBe('rpcx_test/Arith');
  expect(servicePrefix('', 'Arith')).toBe('Arith');
  expect(nodeKey('/rpcx_test', 'Arith', 'tcp@127.0.0.1:8972')).toBe(
    'rpcx_test/Arith/tcp@127.0.0.1:8972',
  );
  expect(nodeKey('/r', 'Arith', 'unix@/run/a.sock')).toBe('r/Arith/unix@/run/a.sock');
});

test('the KV flags are Go api.LockFlagValue, 0x2ddccbc058a50c18', () => {
  expect(BigInt(LOCK_FLAG_VALUE)).toBe(0x2ddccbc058a50c18n);
});

test('consul addresses: host:port or a URL', () => {
  expect(consulBaseUrl()).toBe('http://127.0.0.1:8500/v1');
  expect(consulBaseUrl('127.0.0.1:8600')).toBe('http://127.0.0.1:8600/v1');
  expect(consulBaseUrl('[::1]:8600')).toBe('http://[::1]:8600/v1');
  expect(consulBaseUrl('consul.local')).toBe('http://consul.local:8500/v1');
  expect(consulBaseUrl('https://consul.local:8501')).toBe('https://consul.local:8501/v1');
  expect(() => consulBaseUrl('http://')).toThrow(TypeError);
});

test('session TTL: Go default (interval + expired) / 2, at least 10 s; Consul limits checked', () => {
  const ttl = (options: object) =>
    new ConsulRegisterPlugin({ basePath: 'b', ...options }).sessionTtlMs;
  expect(ttl({})).toBe(10_000);
  expect(ttl({ updateIntervalMs: 1_000 })).toBe(10_000);
  expect(ttl({ updateIntervalMs: 30_000 })).toBe(30_000);
  expect(ttl({ updateIntervalMs: 30_000, expiredMs: 60_000 })).toBe(45_000);
  expect(new ConsulRegisterPlugin({ basePath: 'b' }).expiryMs).toBe(20_000);
  expect(() => new ConsulRegisterPlugin({ basePath: 'b', sessionTtlMs: 5_000 })).toThrow(
    RangeError,
  );
  expect(() => new ConsulRegisterPlugin({ basePath: 'b', sessionTtlMs: 10_500 })).toThrow(
    RangeError,
  );
  expect(() => new ConsulRegisterPlugin({ basePath: 'b', sessionTtlMs: 25 * 3600 * 1000 })).toThrow(
    RangeError,
  );
  expect(
    () =>
      new ConsulRegisterPlugin({ basePath: 'b', updateIntervalMs: 25_000, sessionTtlMs: 10_000 }),
  ).toThrow(RangeError);
  expect(() => new ConsulRegisterPlugin({ basePath: 'b', updateIntervalMs: 0 })).toThrow(
    RangeError,
  );
});

test('Consul unreachable: register rejects (and is retried later), stop returns at once', async () => {
  const plugin = new ConsulRegisterPlugin({
    address: '127.0.0.1:1',
    basePath: 'b',
    serviceAddress: 'tcp@127.0.0.1:9',
  });
  plugin.start([]);
  await expect(plugin.register('S', '')).rejects.toThrow(/ECONNREFUSED/);
  await expect(plugin.register(' ', '')).rejects.toThrow(TypeError);
  const started = Date.now();
  await plugin.stop();
  expect(Date.now() - started).toBeLessThan(1_000);
  await expect(plugin.register('S', '')).rejects.toThrow(/stopped/);
});
