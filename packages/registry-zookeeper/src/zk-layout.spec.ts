import {
  checkServiceAddress,
  connectStringOf,
  encodeQuery,
  mergedMetadata,
  queryEscape,
  segmentsOf,
  znodePath,
} from './zk-layout.js';

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

  test("Go's url.QueryEscape and url.Values.Encode (outputs taken from Go 1.26)", () => {
    expect(queryEscape('a b/c?d=e&f')).toBe('a+b%2Fc%3Fd%3De%26f');
    expect(queryEscape("-_.~!*'()")).toBe('-_.~%21%2A%27%28%29');
    expect(queryEscape('é')).toBe('%C3%A9');
    const params = new URLSearchParams();
    params.append('weight', '10');
    params.append('group', 'a b');
    params.append('tag', 'x');
    params.append('tag', 'y');
    params.append('State', 'inactive');
    expect(encodeQuery(params)).toBe('State=inactive&group=a+b&tag=x&tag=y&weight=10');
  });

  test('the refresh value: stored metadata with calls/connections set, keys sorted', () => {
    expect(mergedMetadata('weight=10&group=a', { calls: '1.50', connections: '0.00' })).toBe(
      'calls=1.50&connections=0.00&group=a&weight=10',
    );
    expect(mergedMetadata('calls=9.00&weight=1', { calls: '2.00' })).toBe('calls=2.00&weight=1');
    expect(mergedMetadata('', {})).toBe('');
    // Go would drop the bad pair; an operator's unparsable value is left alone here.
    expect(mergedMetadata('a=%zz', { calls: '1.00' })).toBeUndefined();
  });
});
