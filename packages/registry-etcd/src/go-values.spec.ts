import { encodeGoValues, mergeMetadata, queryEscape } from './go-values.js';
import { etcdNodeKey, etcdServiceKey, etcdServicePrefix, prefixRangeEnd } from './keys.js';

describe("Go's url.Values.Encode", () => {
  test('keys sorted, values in order, QueryEscape', () => {
    const values = new URLSearchParams();
    values.append('weight', '10');
    values.append('b', 'x y');
    values.append('a', "!*'()~-_.");
    values.append('b', 'é/&=');
    expect(encodeGoValues(values)).toBe('a=%21%2A%27%28%29~-_.&b=x+y&b=%C3%A9%2F%26%3D&weight=10');
    expect(queryEscape('tcp@127.0.0.1:8972')).toBe('tcp%40127.0.0.1%3A8972');
  });

  test('merge sets the extra keys (replacing), re-encodes; unparsable metadata is left alone', () => {
    expect(mergeMetadata('weight=10&group=a&calls=1', { calls: '2.00', connections: '0.50' })).toBe(
      'calls=2.00&connections=0.50&group=a&weight=10',
    );
    expect(mergeMetadata('', { calls: '0.00' })).toBe('calls=0.00');
    expect(mergeMetadata('a=%zz', { calls: '0.00' })).toBeUndefined();
  });
});

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
