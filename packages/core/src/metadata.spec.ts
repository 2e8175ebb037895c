import { copyMetadata, newMetadata } from './metadata.js';

describe('metadata maps', () => {
  it('inherit no keys', () => {
    const metadata = newMetadata();
    expect('toString' in metadata).toBe(false);
    expect('constructor' in metadata).toBe(false);
    expect(Object.keys(metadata)).toEqual([]);
    expect(JSON.stringify(metadata)).toBe('{}');
  });

  it('take __proto__ as an ordinary key', () => {
    const metadata = newMetadata();
    const proto = '__proto__';
    metadata[proto] = 'x';
    metadata.a = '1';
    expect(Object.keys(metadata)).toEqual([proto, 'a']);
    expect(metadata[proto]).toBe('x');
    expect(Object.getPrototypeOf(metadata)).toBe(Object.getPrototypeOf(newMetadata()));
  });

  it('copy own pairs only, into a new map', () => {
    const source = Object.assign(Object.create({ inherited: 'no' }), { a: '1', b: '2' });
    const copy = copyMetadata(source);
    expect(copy).not.toBe(source);
    expect(Object.keys(copy)).toEqual(['a', 'b']);
    expect(copy.a).toBe('1');
    expect(Object.keys(copyMetadata(undefined))).toEqual([]);
  });
});
