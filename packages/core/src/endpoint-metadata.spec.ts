import { parseQuery } from './endpoint-metadata.js';

describe("parseQuery (Go's url.ParseQuery)", () => {
  test('pairs, repeated keys, + as space, percent escapes, empty pairs skipped', () => {
    const params = parseQuery('weight=10&group=a&group=b&&name=x+y&path=%2Fz&flag')!;
    expect(params.get('weight')).toBe('10');
    expect(params.getAll('group')).toEqual(['a', 'b']);
    expect(params.get('name')).toBe('x y');
    expect(params.get('path')).toBe('/z');
    expect(params.get('flag')).toBe('');
  });

  test("fails where Go's returns an error: a semicolon, a bad escape", () => {
    expect(parseQuery('a=1;b=2')).toBeUndefined();
    expect(parseQuery('a=%zz')).toBeUndefined();
    expect(parseQuery('a=%4')).toBeUndefined();
  });

  test('an empty string is an empty query', () => {
    expect([...parseQuery('')!.keys()]).toEqual([]);
  });
});

test('escapes that are not UTF-8 are decoded with replacement characters, not refused', () => {
  expect(parseQuery('name=%ff%41')!.get('name')).toBe('\ufffdA');
});
