import { ExtensionCodec } from '@msgpack/msgpack';
import { ErrorCode, type RpcxError, SerializeType } from '@rpcx/core';
import { describeCodecContract, hex, rpcxErrorOf, toHex } from '@rpcx/testing';
import fc from 'fast-check';
import { createMsgpackCodec, msgpackCodec } from './index.js';

const codecErrorOf = (run: () => unknown): RpcxError => rpcxErrorOf(run, ErrorCode.Codec);

// Go vector request-msgpack-rich: struct Rich{Big int64, Neg int64, U64 uint64, Small int,
// Name string, Ratio float64, Ok bool, Data []byte, Nested map[string]string} from vmihailenco/v5.
const richFromGo = hex(
  '89 a3426967 d30020000000000001 a34e6567 d3ffdfffffffffffff a3553634 cfffffffffffffffff' +
    ' a5536d616c6c 07 a44e616d65 af7270637820e4bda0e5a5bd20e29c93 a5526174696f cb400921f9f01b866e' +
    ' a24f6b c3 a444617461 c405000102feff a64e6573746564 82 a26b31 a27631 a26b32 a3e580bc',
);
const rich = {
  Big: 9007199254740993n,
  Neg: -9007199254740993n,
  U64: 18446744073709551615n,
  Small: 7,
  Name: 'rpcx 你好 ✓',
  // biome-ignore lint/suspicious/noApproximativeNumericConstant: the Go vector's float64, not π
  Ratio: 3.14159,
  Ok: true,
  Data: Uint8Array.of(0x00, 0x01, 0x02, 0xfe, 0xff),
  Nested: { k1: 'v1', k2: '值' },
};

describeCodecContract('msgpack', msgpackCodec, {
  samples: [
    { A: 10, B: 20 },
    rich,
    null,
    [1, -1, 255, 65536, 5_000_000_000, -5_000_000_000, 1.5, 'str', true, false],
    { when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)), bytes: new Uint8Array(300) },
    { ids: [2n ** 53n + 1n, -(2n ** 63n), 2n ** 64n - 1n], count: Number.MAX_SAFE_INTEGER },
    { deep: { deeper: { deepest: [[[{}]]] } } },
  ],
});

describe('msgpackCodec', () => {
  it('is serialize type 3, the Go client default', () => {
    expect(msgpackCodec.serializeType).toBe(SerializeType.MsgPack);
    expect(msgpackCodec.name).toBe('msgpack');
  });

  describe('Go structs are maps keyed by Go field name', () => {
    it('writes Args{A:10,B:20} exactly as Go does (spec §1.16 example 2)', () => {
      expect(toHex(msgpackCodec.encode({ A: 10, B: 20 }))).toBe('82a1410aa14214');
    });

    it('reads the reply of a Go server (vector response-msgpack)', () => {
      expect(msgpackCodec.decode(hex('81 a143 ccc8'))).toEqual({ C: 200 });
    });

    it('reads every field kind of a Go struct (vector request-msgpack-rich)', () => {
      expect(msgpackCodec.decode(richFromGo)).toEqual(rich);
    });

    it('writes the same struct back byte for byte, except a non-negative bigint goes out as uint64', () => {
      // Go writes int64 as d3 even when positive; a bigint has no signedness, so @msgpack/msgpack
      // writes cf (uint64) for it. Go's int64 decoder accepts both.
      const expected = toHex(richFromGo).replace('d30020000000000001', 'cf0020000000000001');
      expect(toHex(msgpackCodec.encode(rich))).toBe(expected);
    });

    it('decodes maps as plain objects', () => {
      const decoded = msgpackCodec.decode(hex('81 a141 01'));
      expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    });
  });

  describe('64-bit integers', () => {
    it('decodes a Go int64 beyond 2^53 as an exact bigint', () => {
      expect(msgpackCodec.decode(hex('d3 0020000000000001'))).toBe(9007199254740993n);
      expect(msgpackCodec.decode(hex('d3 ffdfffffffffffff'))).toBe(-9007199254740993n);
      expect(msgpackCodec.decode(hex('d3 8000000000000000'))).toBe(-(2n ** 63n));
      expect(msgpackCodec.decode(hex('cf ffffffffffffffff'))).toBe(2n ** 64n - 1n);
      expect(msgpackCodec.decode(hex('cf 0020000000000000'))).toBe(2n ** 53n);
    });

    it('finds 64-bit ints in a plain Uint8Array view as in a Buffer', () => {
      // A view into a larger buffer: only its own bytes count, wherever it starts.
      const backing = Uint8Array.from([0xd3, 0x92, 0xd3, 0, 0, 0, 0, 0, 0, 0, 5, 0x01, 0xcf]);
      const view = backing.subarray(1, 12);
      expect(Buffer.isBuffer(view)).toBe(false);
      expect(msgpackCodec.decode(view)).toEqual([5, 1]);
      const big = Uint8Array.from([0, ...hex('91 cf 0020000000000001')]).subarray(1);
      expect(msgpackCodec.decode(big)).toEqual([9007199254740993n]);
    });

    it('decodes a Go int64 within the safe range as a number', () => {
      expect(msgpackCodec.decode(hex('d3 0000000000000005'))).toBe(5);
      expect(msgpackCodec.decode(hex('d3 ffffffffffffffff'))).toBe(-1);
      expect(msgpackCodec.decode(hex('cf 001fffffffffffff'))).toBe(Number.MAX_SAFE_INTEGER);
      expect(msgpackCodec.decode(hex('d3 ffe0000000000001'))).toBe(Number.MIN_SAFE_INTEGER);
    });

    it('decodes the int64 of a Go heartbeat (vector request-heartbeat)', () => {
      expect(msgpackCodec.decode(hex('d3 17979cfe362a0000'))).toBe(1700000000000000000n);
    });

    it('narrows 64-bit ints nested anywhere in maps and arrays', () => {
      // {"a": [d3 5, {"b": d3 2^53+1}], "c": cf 7}
      const bytes = hex(
        '82 a161 92 d30000000000000005 81 a162 d30020000000000001 a163 cf0000000000000007',
      );
      expect(msgpackCodec.decode(bytes)).toEqual({ a: [5, { b: 9007199254740993n }], c: 7 });
    });

    it('encodes bigint as 64-bit ints: negative as int64 (d3), otherwise uint64 (cf)', () => {
      expect(toHex(msgpackCodec.encode(-9007199254740993n))).toBe('d3ffdfffffffffffff');
      expect(toHex(msgpackCodec.encode(9007199254740993n))).toBe('cf0020000000000001');
      expect(toHex(msgpackCodec.encode(5n))).toBe('cf0000000000000005');
    });

    it('encodes numbers beyond 32 bits as 64-bit ints, never as float64 (Go int64 refuses floats)', () => {
      expect(toHex(msgpackCodec.encode(5_000_000_000))).toBe('cf000000012a05f200');
      expect(toHex(msgpackCodec.encode(-5_000_000_000))).toBe('d3fffffffed5fa0e00');
      // The same when the value also holds a bigint (the other encoder path).
      expect(toHex(msgpackCodec.encode([5_000_000_000, -5_000_000_000, 1n]))).toBe(
        '93cf000000012a05f200d3fffffffed5fa0e00cf0000000000000001',
      );
    });

    it('encodes small integers compactly, as Go does for int fields', () => {
      expect(toHex(msgpackCodec.encode([0, 127, 128, -32, -33, 65535, -2147483648]))).toBe(
        '97007fcc80e0d0dfcdffffd280000000',
      );
    });

    it('refuses a bigint beyond 64 bits instead of wrapping it', () => {
      expect(codecErrorOf(() => msgpackCodec.encode({ n: 2n ** 64n })).message).toContain(
        'does not fit 64 bits',
      );
      expect(codecErrorOf(() => msgpackCodec.encode(-(2n ** 63n) - 1n)).message).toContain(
        'does not fit 64 bits',
      );
    });

    it('turns Go int64 map keys into object keys', () => {
      // map[int64]string{2^53+1: "a", 1: "b"}
      const bytes = hex('82 d30020000000000001 a161 d30000000000000001 a162');
      expect(msgpackCodec.decode(bytes)).toEqual({ '9007199254740993': 'a', '1': 'b' });
    });
  });

  describe('bytes and time', () => {
    it('encodes Uint8Array and Buffer as bin, and decodes bin as Uint8Array', () => {
      expect(toHex(msgpackCodec.encode(Uint8Array.of(1, 2)))).toBe('c4020102');
      expect(toHex(msgpackCodec.encode(Buffer.from([1, 2])))).toBe('c4020102');
      const decoded = msgpackCodec.decode(hex('c4020102'));
      expect(decoded).toBeInstanceOf(Uint8Array);
      expect(Array.from(decoded as Uint8Array)).toEqual([1, 2]);
    });

    it('encodes Date as the timestamp extension −1 that Go uses for time.Time', () => {
      expect(toHex(msgpackCodec.encode(new Date(0)))).toBe('d6ff00000000');
      // 1.5 s: nanoseconds in the upper 30 bits, seconds in the lower 34 (timestamp 64).
      expect(toHex(msgpackCodec.encode(new Date(1500)))).toBe('d7ff7735940000000001');
    });

    it("decodes Go's zero time.Time (timestamp 96) as 0001-01-01", () => {
      const zeroTime = hex('c7 0c ff 00000000 fffffff1886e0900');
      expect((msgpackCodec.decode(zeroTime) as Date).toISOString()).toBe(
        '0001-01-01T00:00:00.000Z',
      );
    });
  });

  describe('hostile input', () => {
    it('refuses a __proto__ key instead of touching the prototype', () => {
      // {"__proto__": {"polluted": true}}
      const bytes = hex('81 a95f5f70726f746f5f5f 81 a8706f6c6c75746564 c3');
      const error = codecErrorOf(() => msgpackCodec.decode(bytes));
      expect(error.message).toContain('__proto__');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('writes an own __proto__ key as the plain key it is, on both encoder paths', () => {
      const withProtoKey = JSON.parse('{"__proto__": 1, "n": 2}') as Record<string, unknown>;
      expect(toHex(msgpackCodec.encode(withProtoKey))).toBe('82a95f5f70726f746f5f5f01a16e02');
      withProtoKey.n = 2n;
      expect(toHex(msgpackCodec.encode(withProtoKey))).toBe(
        '82a95f5f70726f746f5f5f01a16ecf0000000000000002',
      );
    });

    it('keeps a "constructor" key as data', () => {
      const decoded = msgpackCodec.decode(hex('81 ab636f6e7374727563746f72 d30000000000000005'));
      expect(decoded).toEqual({ constructor: 5 });
    });

    it('fails on truncated, trailing or unknown bytes with RpcxError(codec) and the library message', () => {
      for (const dump of ['', '82 a141 0a a1', 'd3 0000', 'c1', '82a1410aa14214 00']) {
        const error = codecErrorOf(() => msgpackCodec.decode(hex(dump)));
        expect(error.message).toMatch(/^msgpack: /);
        expect(error.cause).toBeInstanceOf(Error);
      }
    });

    it('handles nesting deeper than the call stack without overflowing', () => {
      const depth = 200_000;
      const bytes = new Uint8Array(depth + 9);
      bytes.fill(0x91, 0, depth); // fixarray of one element, nested
      bytes.set(hex('d3 0000000000000001'), depth);
      let value = msgpackCodec.decode(bytes);
      for (let i = 0; i < depth; i++) value = (value as unknown[])[0];
      expect(value).toBe(1);
    });

    it('fails on values msgpack cannot hold with RpcxError(codec)', () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.a = cyclic;
      cyclic.b = cyclic;
      expect(codecErrorOf(() => msgpackCodec.encode(cyclic)).message).toMatch(/^msgpack: /);
      expect(codecErrorOf(() => msgpackCodec.encode({ n: 1n, cyclic })).message).toMatch(
        /^msgpack: /,
      );
      expect(codecErrorOf(() => msgpackCodec.encode(Symbol('s'))).message).toMatch(/^msgpack: /);
    });
  });

  it('returns a fresh buffer per encode, though the encoder is reused', () => {
    const first = msgpackCodec.encode({ A: 1 });
    const copy = Uint8Array.from(first);
    msgpackCodec.encode({ B: 'something longer than the first value' });
    expect(first).toEqual(copy);
  });

  it('takes user extension types, also in values holding a bigint', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
    }
    const extensionCodec = new ExtensionCodec();
    extensionCodec.register({
      type: 7,
      encode: (value) => (value instanceof Point ? Uint8Array.of(value.x, value.y) : null),
      decode: (data) => new Point(data[0] ?? 0, data[1] ?? 0),
    });
    const codec = createMsgpackCodec({ extensionCodec });
    expect(toHex(codec.encode(new Point(1, 2)))).toBe('d5070102');
    expect(codec.decode(codec.encode({ p: new Point(3, 4), n: 2n ** 60n }))).toEqual({
      p: new Point(3, 4),
      n: 2n ** 60n,
    });
  });

  it('property: msgpack values round-trip (64-bit ints beyond 2^53 as bigint)', () => {
    fc.assert(
      fc.property(msgpackValue, (value) => {
        expect(msgpackCodec.decode(msgpackCodec.encode(value))).toEqual(value);
      }),
    );
  });
});

/** Values msgpack represents exactly; -0 and safe-range bigints are left out (they normalise). */
const msgpackLeaf = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double().filter((d) => !Object.is(d, -0)),
  fc.string({ unit: 'grapheme' }),
  fc
    .bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })
    .filter((b) => !Number.isSafeInteger(Number(b))),
  fc.uint8Array(),
  fc.date({ noInvalidDate: true }),
);
const msgpackValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    msgpackLeaf,
    fc.array(tie('value')),
    fc.dictionary(
      fc.string().filter((key) => key !== '__proto__'),
      tie('value'),
    ),
  ),
})).value;
