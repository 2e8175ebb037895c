import { etcdNodeKey, etcdServiceKey, etcdServicePrefix, prefixRangeEnd } from './keys.js';

describe('key layout', () => {
  test('verbatim as Go joins them', () => {
    expect(etcdNodeKey('/rpcx', 'Arith', 'tcp@127.0.0.1:8972')).toBe(
      '/rpcx/Arith/tcp@127.0.0.1:8972',
    );
    expect(etcdServiceKey('rpcx', 'Arith')).toBe('rpcx/Arith');
    expect(etcdServicePrefix('/rpcx', 'Arith')).toBe('/rpcx/Arith/');
    expect(etcdServicePrefix('/rpcx/', 'Arith/')).toBe('/rpcx//Arith/');
  });

  test('prefix range end', () => {
    expect(prefixRangeEnd(Buffer.from('/a/'))).toEqual(Buffer.from('/a0'));
    expect(prefixRangeEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixRangeEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]));
  });
});
