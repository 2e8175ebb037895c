import { checkServiceAddress, connectStringOf, segmentsOf, znodePath } from './zk-layout.js';

describe('ZooKeeper layout helpers', () => {
  test("paths: leading, trailing and doubled '/' do not matter (Go strips them)", () => {
    expect(znodePath([...segmentsOf('/rpcx'), ...segmentsOf('Arith')])).toBe('/rpcx/Arith');
    expect(znodePath([...segmentsOf('rpcx/'), ...segmentsOf('Arith')])).toBe('/rpcx/Arith');
    expect(znodePath([...segmentsOf('/com//example/rpcx'), 'Arith'])).toBe(
      '/com/example/rpcx/Arith',
    );
  });

  test('connection strings', () => {
    expect(connectStringOf(['127.0.0.1:2181', ' 127.0.0.1:2182 '], 'x')).toBe(
      '127.0.0.1:2181,127.0.0.1:2182',
    );
    expect(connectStringOf('127.0.0.1:2181,127.0.0.1:2182', 'x')).toBe(
      '127.0.0.1:2181,127.0.0.1:2182',
    );
    expect(() => connectStringOf([], 'ZookeeperDiscovery')).toThrow(/names no ZooKeeper server/);
  });

  test("a server key with '/' cannot be a znode name", () => {
    expect(checkServiceAddress('tcp@127.0.0.1:8972', 'x')).toBe('tcp@127.0.0.1:8972');
    expect(checkServiceAddress('tcp@[::1]:8972', 'x')).toBe('tcp@[::1]:8972');
    expect(() => checkServiceAddress('unix@/run/rpcx.sock', 'x')).toThrow(/cannot be a znode/);
    expect(() => checkServiceAddress('', 'x')).toThrow(/cannot be a znode/);
  });
});
