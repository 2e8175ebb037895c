import { readText } from './text.js';

describe('readText', () => {
  const decodeAll = (text: string) => {
    const bytes = Buffer.from(`[${text}]`);
    return readText(bytes, 1, bytes.length - 1);
  };

  it('decodes short ASCII, short non-ASCII and long text like Buffer#toString', () => {
    for (const text of [
      '',
      'Arith',
      'Mul',
      'héllo',
      '服务',
      '😀x',
      'a'.repeat(24),
      'b'.repeat(300),
    ]) {
      expect(decodeAll(text)).toBe(text);
    }
  });

  it('replaces invalid UTF-8 as the native decoder does', () => {
    const bytes = Buffer.from([0x41, 0xff, 0x42]);
    expect(readText(bytes, 0, 3)).toBe(bytes.toString('utf8'));
  });

  it('gives the same string for the same bytes, and the right one when strings share a slot', () => {
    const texts = Array.from({ length: 5000 }, (_, i) => `Svc${i}.m${i % 7}`);
    for (let round = 0; round < 2; round++) {
      for (const text of texts) expect(decodeAll(text)).toBe(text);
    }
    expect(decodeAll('Arith')).toBe(decodeAll('Arith'));
  });
});
