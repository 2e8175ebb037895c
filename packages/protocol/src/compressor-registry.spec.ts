/** CompressorRegistry: compressors by compress type, and `check` for a type a caller asks for. */
import { type Compressor, ErrorCode } from '@rpcx/core';
import { rpcxErrorOf } from '@rpcx/testing';
import { CompressorRegistry, defaultCompressors } from './compressor-registry.js';
import { gzipCompressor } from './gzip.js';

function fakeCompressor(compressType: number): Compressor {
  return {
    compressType,
    name: `fake ${compressType}`,
    compress: (bytes) => bytes,
    decompress: async (bytes) => bytes,
  };
}

describe('CompressorRegistry', () => {
  it('holds gzip as type 1 by default, as Go registers', () => {
    expect(defaultCompressors.get(1)).toBe(gzipCompressor);
    for (const type of [0, 2, 3, 4, 5, 6, 7]) expect(defaultCompressors.get(type)).toBeUndefined();
  });

  it('registers and replaces a compressor for types 1..7', () => {
    const registry = new CompressorRegistry([]);
    const first = fakeCompressor(7);
    const second = fakeCompressor(7);
    expect(registry.register(first).get(7)).toBe(first);
    expect(registry.register(second).get(7)).toBe(second);
    expect(registry.get(1)).toBeUndefined();
  });

  it.each([0, 8, 1.5])('refuses to register a compressor for type %p', (type) => {
    const error = rpcxErrorOf(
      () => new CompressorRegistry([fakeCompressor(type)]),
      ErrorCode.InvalidArgument,
    );
    expect(error.message).toBe(`compress type must be an integer in 1..7, got ${type}`);
  });
});

describe('CompressorRegistry.check', () => {
  const registry = new CompressorRegistry([gzipCompressor, fakeCompressor(3)]);

  it('accepts 0 (none) without a compressor, and every registered type', () => {
    expect(new CompressorRegistry([]).check(0)).toBe(0);
    expect(registry.check(0)).toBe(0);
    expect(registry.check(1)).toBe(1);
    expect(registry.check(3)).toBe(3);
  });

  it.each([8, -1, 1.5, Number.NaN])('refuses %p with invalid_argument', (type) => {
    const error = rpcxErrorOf(() => registry.check(type), ErrorCode.InvalidArgument);
    expect(error.message).toBe(`compressType must be an integer in 0..7, got ${type}`);
  });

  it('refuses a type in range with no compressor with codec, as Go’s unsupported compressor', () => {
    const error = rpcxErrorOf(() => registry.check(5), ErrorCode.Codec);
    expect(error.message).toBe('unsupported compressor: compress type 5');
    expect(rpcxErrorOf(() => new CompressorRegistry([]).check(1), ErrorCode.Codec).message).toBe(
      'unsupported compressor: compress type 1',
    );
  });
});
