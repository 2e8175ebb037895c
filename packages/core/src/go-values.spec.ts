import { encodeGoValues, mergeMetadata, queryEscape } from './go-values.js';

// Expected strings printed by Go 1.26's net/url.
describe("Go's url.QueryEscape and url.Values.Encode", () => {
  test('QueryEscape: unreserved kept, space as +, the rest %XX of the UTF-8 bytes', () => {
    expect(queryEscape('tcp@127.0.0.1:8972')).toBe('tcp%40127.0.0.1%3A8972');
    expect(queryEscape('a b/c?d=e&f')).toBe('a+b%2Fc%3Fd%3De%26f');
    expect(queryEscape("-_.~!*'()")).toBe('-_.~%21%2A%27%28%29');
    expect(queryEscape('é')).toBe('%C3%A9');
    // A lone surrogate is not UTF-8: written as U+FFFD rather than thrown on.
    expect(queryEscape('\ud800')).toBe('%EF%BF%BD');
  });

  test('Encode: keys sorted by UTF-8 bytes, every value of a key in order', () => {
    const values = new URLSearchParams();
    values.append('weight', '10');
    values.append('b', 'x y');
    values.append('a', "!*'()~-_.");
    values.append('b', 'é/&=');
    values.append('😀', '1');
    values.append('\ufffd', '2');
    values.append('State', 'inactive');
    expect(encodeGoValues(values)).toBe(
      'State=inactive&a=%21%2A%27%28%29~-_.&b=x+y&b=%C3%A9%2F%26%3D&weight=10&%EF%BF%BD=2&%F0%9F%98%80=1',
    );
  });
});

describe('mergeMetadata (the refresh loop: ParseQuery, Set, Encode)', () => {
  test('sets the extra keys, replacing old values, and re-encodes', () => {
    expect(mergeMetadata('weight=10&group=a&calls=1', { calls: '2.00', connections: '0.50' })).toBe(
      'calls=2.00&connections=0.50&group=a&weight=10',
    );
    expect(mergeMetadata('calls=9&tag=a&tag=b&note=x y', { calls: '0.00' })).toBe(
      'calls=0.00&note=x+y&tag=a&tag=b',
    );
    expect(mergeMetadata('', { calls: '0.00' })).toBe('calls=0.00');
    expect(mergeMetadata('', {})).toBe('');
  });

  test('metadata Go cannot parse is left alone (undefined)', () => {
    expect(mergeMetadata('a=%zz', { calls: '0.00' })).toBeUndefined();
    expect(mergeMetadata('a=1;b=2', { calls: '0.00' })).toBeUndefined();
  });
});
