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
});
