import type { SelectContext, ServiceEndpoint } from '@rpcx/core';
import {
  ConsistentHashSelector,
  consistentHashKey,
  formatGoValue,
  hashBytes,
  hashString,
  jumpHash,
} from './consistent-hash.js';

const ctx = (args: unknown, serviceMethod = 'Mul'): SelectContext => ({
  servicePath: 'Arith',
  serviceMethod,
  args,
  metadata: {},
});
const servers = (n: number, from = 0): ServiceEndpoint[] =>
  Array.from({ length: n }, (_, i) => ({ key: `tcp@127.0.0.1:${8000 + from + i}`, metadata: '' }));

/** FNV-1a 64 with BigInt, straight from the definition. */
function fnvReference(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h;
}

/** Go's jump with BigInt for the 64-bit key and doubles for the division, as Go writes it. */
function jumpReference(key: bigint, n: number): number {
  let b = -1;
  let j = 0;
  while (j < n) {
    b = j;
    key = BigInt.asUintN(64, key * 2862933555777941757n + 1n);
    j = Math.floor((b + 1) * (2 ** 31 / Number((key >> 33n) + 1n)));
  }
  return b;
}

/** Deterministic bytes (xorshift32). */
function noise(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
}

describe('hash and jump (spec §5.6)', () => {
  it('the spec example: FNV-1a("/Arith/Mul/&{10 20}") and its buckets for n = 1..7', () => {
    const key = hashString('/Arith/Mul/&{10 20}');
    expect(key).toBe(0x20fe73eb7bd50f79n);
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => jumpHash(key, n))).toEqual([0, 1, 1, 1, 1, 1, 1]);
    expect(consistentHashKey(ctx({ A: 10, B: 20 }))).toBe('/Arith/Mul/&{10 20}');
  });

  it('FNV-1a 64 on 32-bit halves equals the BigInt definition', () => {
    const next = noise(42);
    for (let trial = 0; trial < 500; trial++) {
      const bytes = new Uint8Array(next() % 80);
      for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
      expect(hashBytes(bytes)).toBe(fnvReference(bytes));
    }
    expect(hashBytes(new Uint8Array(0))).toBe(0xcbf29ce484222325n);
  });

  it('hashes strings as their UTF-8 bytes (lone surrogates as U+FFFD, like Buffer)', () => {
    for (const text of ['', 'a', 'é', '€', '中文', '𝄞 music', 'a\ud800b', '\udc00', 'x\ud83d']) {
      expect(hashString(text)).toBe(fnvReference(Buffer.from(text, 'utf8')));
    }
  });

  it('jump on 32-bit halves equals the BigInt version, for many keys and sizes', () => {
    const next = noise(7);
    for (let trial = 0; trial < 2000; trial++) {
      const key = (BigInt(next()) << 32n) | BigInt(next());
      const n = 1 + (next() % 1000);
      expect(jumpHash(key, n)).toBe(jumpReference(key, n));
    }
    expect(jumpHash(0xffffffffffffffffn, 1 << 20)).toBe(
      jumpReference(0xffffffffffffffffn, 1 << 20),
    );
  });

  it('jumpHash follows rpcx Hash: buckets below 1 count as 1, keys wrap mod 2^64', () => {
    expect(jumpHash(123n, 0)).toBe(0);
    expect(jumpHash(123n, -5)).toBe(0);
    expect(jumpHash(-1n, 10)).toBe(jumpHash(0xffffffffffffffffn, 10));
  });

  it('jump moves a key only to the new bucket when buckets grow', () => {
    const next = noise(99);
    for (let trial = 0; trial < 1000; trial++) {
      const key = (BigInt(next()) << 32n) | BigInt(next());
      for (let n = 1; n < 30; n++) {
        const before = jumpHash(key, n);
        const after = jumpHash(key, n + 1);
        if (after !== before) expect(after).toBe(n);
      }
    }
  });
});

describe('formatGoValue: Go %v, approximated (expected texts printed by Go 1.26)', () => {
  it.each<[string, unknown, string]>([
    ['a pointer to a struct', { A: 10, B: 20 }, '&{10 20}'],
    ['an empty struct', {}, '&{}'],
    ['nil', null, '<nil>'],
    ['undefined', undefined, '<nil>'],
    ['a string', 'hello world', 'hello world'],
    ['bytes', new Uint8Array([1, 2, 3]), '[1 2 3]'],
    ['a Buffer', Buffer.from([7, 8]), '[7 8]'],
    [
      'a map, sorted by key',
      new Map([
        ['b', 2],
        ['a', 1],
      ]),
      'map[a:1 b:2]',
    ],
    [
      'a map with int keys, numerically',
      new Map([
        [10, 'x'],
        [9, 'y'],
      ]),
      'map[9:y 10:x]',
    ],
    ['a slice of interfaces', ['a', 1, null, { A: 1, B: 2 }], '[a 1 <nil> {1 2}]'],
    ['true', true, 'true'],
    ['an int', 42, '42'],
    ['a negative int', -7, '-7'],
    ['a bigint', 2n ** 64n, '18446744073709551616'],
    ['1.5', 1.5, '1.5'],
    ['0.1', 0.1, '0.1'],
    ['1e-4', 1e-4, '0.0001'],
    ['1e-5', 1e-5, '1e-05'],
    ['0.000123', 0.000123, '0.000123'],
    ['-2.5', -2.5, '-2.5'],
    ['1/3', 1 / 3, '0.3333333333333333'],
    ['12345678.9', 12345678.9, '1.23456789e+07'],
    ['1e21', 1e21, '1e+21'],
    ['1e100', 1e100, '1e+100'],
    ['5e-324', 5e-324, '5e-324'],
    ['+Inf', Number.POSITIVE_INFINITY, '+Inf'],
    ['-Inf', Number.NEGATIVE_INFINITY, '-Inf'],
    ['NaN', Number.NaN, 'NaN'],
    ['a time', new Date(Date.UTC(2024, 2, 5, 7, 8, 9, 120)), '2024-03-05 07:08:09.12 +0000 UTC'],
    [
      'a whole-second time',
      new Date(Date.UTC(2024, 2, 5, 7, 8, 9)),
      '2024-03-05 07:08:09 +0000 UTC',
    ],
  ])('%s', (_, value, expected) => {
    expect(formatGoValue(value)).toBe(expected);
  });

  it('a nested struct: fields in order, nested values without &', () => {
    const inner = {
      S: 'hi there',
      F: 2.5,
      Bs: new Uint8Array([7]),
      M: new Map([['z', 1]]),
      P: null,
      L: [1, 2],
      N: undefined,
      T: true,
    };
    expect(formatGoValue(inner)).toBe('&{hi there 2.5 [7] map[z:1] <nil> [1 2] <nil> true}');
  });

  it('Stringer-like objects and errors print their text', () => {
    class Id {
      constructor(private readonly id: number) {}
      toString(): string {
        return `id-${this.id}`;
      }
    }
    expect(formatGoValue(new Id(3))).toBe('id-3');
    expect(formatGoValue(new Error('boom'))).toBe('boom');
  });

  it('never throws: cycles, throwing getters and proxies', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(formatGoValue(cyclic)).toBe('&{1 <cycle>}');
    const getter = {
      get bad(): never {
        throw new Error('no');
      },
    };
    expect(formatGoValue(getter)).toBe('%!v(PANIC)');
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    expect(formatGoValue(proxy)).toBe('%!v(PANIC)');
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(() => formatGoValue(deep)).not.toThrow();
  });
});

describe('ConsistentHashSelector', () => {
  /** Where each of `count` keys goes. */
  function mapping(selector: ConsistentHashSelector, count: number): (string | undefined)[] {
    return Array.from({ length: count }, (_, i) => selector.select(ctx({ user: i })));
  }

  it('returns the same server for the same key', () => {
    const selector = new ConsistentHashSelector();
    selector.update(servers(7));
    const first = mapping(selector, 200);
    expect(mapping(selector, 200)).toEqual(first);
    expect(new Set(first).size).toBe(7); // 200 keys reach every server
  });

  it('does not depend on the order endpoints come in (inserted sorted)', () => {
    const a = new ConsistentHashSelector();
    const b = new ConsistentHashSelector();
    a.update(servers(9));
    b.update([...servers(9)].reverse());
    expect(mapping(b, 300)).toEqual(mapping(a, 300));
  });

  it('removing a server moves only the keys that were on it', () => {
    for (const removed of [0, 4, 9]) {
      const selector = new ConsistentHashSelector();
      const list = servers(10);
      selector.update(list);
      const before = mapping(selector, 2000);
      const gone = list[removed]!.key;
      selector.update(list.filter((endpoint) => endpoint.key !== gone));
      const after = mapping(selector, 2000);
      let moved = 0;
      before.forEach((server, i) => {
        if (server === gone) {
          expect(after[i]).not.toBe(gone);
          moved++;
        } else {
          expect(after[i]).toBe(server);
        }
      });
      expect(moved).toBeGreaterThan(100); // about 1/10 of the keys
    }
  });

  it('adding a server moves keys only onto the new one', () => {
    const selector = new ConsistentHashSelector();
    selector.update(servers(6));
    const before = mapping(selector, 2000);
    selector.update(servers(7));
    const added = servers(7)[6]!.key;
    const after = mapping(selector, 2000);
    let moved = 0;
    before.forEach((server, i) => {
      if (after[i] !== server) {
        expect(after[i]).toBe(added);
        moved++;
      }
    });
    expect(moved).toBeGreaterThan(150); // about 1/7
  });

  it('a removed then re-added server takes its old slot back (a hole, not compaction)', () => {
    const selector = new ConsistentHashSelector();
    const list = servers(5);
    selector.update(list);
    const before = mapping(selector, 500);
    selector.update(list.filter((_, i) => i !== 2));
    selector.update(list);
    expect(mapping(selector, 500)).toEqual(before);
  });

  it('a key function decides the key: strings and bytes hash alike', () => {
    const byString = new ConsistentHashSelector({ key: (c) => String(c.args) });
    const byBytes = new ConsistentHashSelector({
      key: (c) => Buffer.from(String(c.args), 'utf8'),
    });
    byString.update(servers(11));
    byBytes.update(servers(11));
    for (let i = 0; i < 300; i++) {
      const c = ctx(`user-${i}-é`);
      expect(byBytes.select(c)).toBe(byString.select(c));
    }
  });

  it('the default key includes service path and method', () => {
    const selector = new ConsistentHashSelector();
    selector.update(servers(20));
    const mul = mapping(selector, 200);
    const add = Array.from({ length: 200 }, (_, i) => selector.select(ctx({ user: i }, 'Add')));
    expect(add).not.toEqual(mul);
  });
});
