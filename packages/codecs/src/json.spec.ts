import { ErrorCode, type RpcxError, SerializeType } from '@rpcx/core';
import { describeCodecContract, rpcxErrorOf } from '@rpcx/testing';
import fc from 'fast-check';
import { jsonCodec } from './json.js';
import { mayHoldUnsafeInteger, parseExact } from './json-int64.js';

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const codecErrorOf = (run: () => unknown): RpcxError => rpcxErrorOf(run, ErrorCode.Codec);

describeCodecContract('json', jsonCodec, {
  samples: [
    { A: 10, B: 20 },
    { name: 'rpcx 你好 ✓', ok: true, ratio: 2.5, list: [1, 'two', null], nested: { k: 'v' } },
    null,
    'a string',
    -42,
    [],
    2n ** 60n,
    { big: 9007199254740993n, neg: -9007199254740993n, max: 18446744073709551615n },
  ],
});

describe('jsonCodec', () => {
  it('is serialize type 1', () => {
    expect(jsonCodec.serializeType).toBe(SerializeType.JSON);
    expect(jsonCodec.name).toBe('json');
  });

  it('writes what Go writes for Args{A:10,B:20} (vector request-json)', () => {
    expect(text(jsonCodec.encode({ A: 10, B: 20 }))).toBe('{"A":10,"B":20}');
  });

  it('reads the reply of a Go server (vector response-json)', () => {
    expect(jsonCodec.decode(Buffer.from('7b2243223a3230307d', 'hex'))).toEqual({ C: 200 });
  });

  it('encodes undefined as null, what Go sends for a nil reply', () => {
    expect(text(jsonCodec.encode(undefined))).toBe('null');
    expect(text(jsonCodec.encode(() => 0))).toBe('null');
    expect(jsonCodec.decode(utf8('null'))).toBeNull();
  });

  describe('bytes', () => {
    it('encodes Uint8Array and Buffer as base64 strings, as Go encodes []byte', () => {
      const data = Uint8Array.of(0x00, 0x01, 0x02, 0xfe, 0xff);
      expect(text(jsonCodec.encode({ Data: data }))).toBe('{"Data":"AAEC/v8="}');
      expect(text(jsonCodec.encode({ Data: Buffer.from(data) }))).toBe('{"Data":"AAEC/v8="}');
      expect(text(jsonCodec.encode(Buffer.from('hi')))).toBe('"aGk="');
    });

    it('encodes a view into a larger buffer as just its own bytes', () => {
      const backing = Uint8Array.of(9, 9, 1, 2, 3, 9);
      expect(text(jsonCodec.encode(backing.subarray(2, 5)))).toBe('"AQID"');
    });

    it('finds bytes however deep they sit, and behind a toJSON', () => {
      let deep: unknown = Uint8Array.of(1);
      for (let i = 0; i < 40; i++) deep = [deep];
      expect(text(jsonCodec.encode(deep))).toBe(`${'['.repeat(40)}"AQ=="${']'.repeat(40)}`);
      expect(text(jsonCodec.encode({ toJSON: () => ({ b: Uint8Array.of(1) }) }))).toBe(
        '{"b":"AQ=="}',
      );
    });

    it('decodes a Go []byte field as its base64 string (no schema to know better)', () => {
      expect(jsonCodec.decode(utf8('{"Data":"AAEC/v8="}'))).toEqual({ Data: 'AAEC/v8=' });
    });
  });

  describe('64-bit integers', () => {
    it('encodes bigint as a JSON number with exact digits, for Go int64/uint64 fields', () => {
      expect(
        text(jsonCodec.encode({ Big: 9007199254740993n, Neg: -9223372036854775808n, Small: 5n })),
      ).toBe('{"Big":9007199254740993,"Neg":-9223372036854775808,"Small":5}');
      expect(text(jsonCodec.encode([18446744073709551615n]))).toBe('[18446744073709551615]');
    });

    it('writes a bigint returned by a toJSON as digits too', () => {
      expect(text(jsonCodec.encode({ id: { toJSON: () => 2n ** 60n } }))).toBe(
        '{"id":1152921504606846976}',
      );
    });

    it('decodes integers beyond 2^53 within the 64-bit range as bigint, the rest as numbers', () => {
      const decoded = jsonCodec.decode(
        utf8(
          '{"Big":9007199254740993,"Neg":-9223372036854775808,"U64":18446744073709551615,' +
            '"Safe":9007199254740991,"Float":1234567890123456.5,"Exp":1e300,"Huge":100000000000000000000}',
        ),
      );
      expect(decoded).toEqual({
        Big: 9007199254740993n,
        Neg: -9223372036854775808n,
        U64: 18446744073709551615n,
        Safe: 9007199254740991,
        Float: 1234567890123456.5,
        Exp: 1e300,
        Huge: 1e20, // beyond uint64: cannot be a Go integer, stays a float
      });
    });

    it('leaves long digit runs inside strings alone', () => {
      const json =
        '{"id":"9007199254740993","note":"x\\"12345678901234567890","n":12345678901234567890}';
      expect(jsonCodec.decode(utf8(json))).toEqual({
        id: '9007199254740993',
        note: 'x"12345678901234567890',
        n: 12345678901234567890n,
      });
    });

    it('finds an unsafe integer wherever it starts in the text', () => {
      // The check reads every 16th byte: try every offset of the digits against it.
      for (let pad = 0; pad < 40; pad++) {
        const spaces = ' '.repeat(pad);
        expect(jsonCodec.decode(utf8(`${spaces}9007199254740993`))).toBe(9007199254740993n);
        expect(jsonCodec.decode(utf8(`[${spaces}-9007199254740993]`))).toEqual([
          -9007199254740993n,
        ]);
        expect(jsonCodec.decode(utf8(`{"k":"${spaces}","n":18446744073709551615}`))).toEqual({
          k: spaces,
          n: 18446744073709551615n,
        });
      }
    });

    it('draws the line at 2^53 exactly, digit count aside', () => {
      expect(
        jsonCodec.decode(
          utf8('[1000000000000000,9007199254740991,9007199254740992,-9007199254740991]'),
        ),
      ).toEqual([1000000000000000, 9007199254740991, 9007199254740992n, -9007199254740991]);
      // Leading-zero-free 15-digit runs everywhere: all safe, all numbers.
      const fifteen = Array.from({ length: 50 }, (_, i) => 100000000000000 + i);
      expect(jsonCodec.decode(utf8(JSON.stringify(fifteen)))).toEqual(fifteen);
    });

    it('keeps floats, exponents and -0 as numbers, long or not', () => {
      const decoded = jsonCodec.decode(
        utf8('[1e16,9007199254740993e0,1.0e20,12345678901234567.5,-0,-0.0,0.1234567890123456789]'),
      ) as number[];
      expect(decoded).toEqual([
        1e16, 9007199254740992, 1e20, 12345678901234568, -0, -0, 0.12345678901234568,
      ]);
      expect(Object.is(decoded[4], -0)).toBe(true);
    });

    it('finds unsafe integers deep in arrays and objects', () => {
      const json = `{"a":[[[{"b":[1,2,{"c":[${'['.repeat(50)}9223372036854775807${']'.repeat(50)}]}]}]]]}`;
      let deep: unknown = 9223372036854775807n;
      for (let i = 0; i < 50; i++) deep = [deep];
      expect(jsonCodec.decode(utf8(json))).toEqual({ a: [[[{ b: [1, 2, { c: [deep] }] }]]] });
    });

    it('reads 16+ digit runs in strings as text, next to numbers or not', () => {
      const digits = '12345678901234567890123456789012345678901234567890';
      expect(jsonCodec.decode(utf8(`["${digits}",5,"-${digits}"]`))).toEqual([
        digits,
        5,
        `-${digits}`,
      ]);
    });

    it('property: the 16th-byte check finds every run of 16 digits', () => {
      // Exactly what a /\d{16}/ search finds, over texts dense in digits.
      // Digit runs of 0 to 20 (16 often enough), each ended by another character.
      const run = fc
        .tuple(fc.nat(20), fc.constantFrom('"', ',', '-', '.', 'e', ' ', '许'))
        .map(([digits, end]) => '7'.repeat(digits) + end);
      const texts = fc.array(run, { maxLength: 12 }).map((runs) => runs.join(''));
      fc.assert(
        fc.property(texts, (s) => {
          expect(mayHoldUnsafeInteger(utf8(s))).toBe(/\d{16}/.test(s));
        }),
        { numRuns: 2000 },
      );
    });

    it('property: decoding equals the exact parse of the whole text', () => {
      const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n });
      const value = fc.letrec((tie) => ({
        node: fc.oneof(
          { depthSize: 'small' },
          int64,
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.string(),
          fc.stringMatching(/^[0-9]{14,20}$/),
          fc.array(tie('node')),
          fc.dictionary(fc.string(), tie('node')),
        ),
      })).node;
      fc.assert(
        fc.property(value, fc.nat(31), (v, pad) => {
          const json = ' '.repeat(pad) + text(jsonCodec.encode(v));
          expect(jsonCodec.decode(utf8(json))).toEqual(parseExact(json));
        }),
      );
    });

    it('does not turn invalid JSON with long integers into valid JSON', () => {
      const leadingZero = codecErrorOf(() => jsonCodec.decode(utf8('[012345678901234567890]')));
      expect(leadingZero.message).toMatch(/^json: /);
    });
  });

  describe('what plain JSON.stringify gets wrong, found without a walk', () => {
    it('writes bigints however deep they sit', () => {
      expect(text(jsonCodec.encode({ a: { b: [{ c: [1, { d: -(2n ** 63n) }] }] } }))).toBe(
        '{"a":{"b":[{"c":[1,{"d":-9223372036854775808}]}]}}',
      );
      expect(text(jsonCodec.encode([[[[18446744073709551615n]]]]))).toBe(
        '[[[[18446744073709551615]]]]',
      );
    });

    it('writes bigints and bytes side by side', () => {
      expect(text(jsonCodec.encode({ id: 2n ** 60n, data: Uint8Array.of(1), list: [3n] }))).toBe(
        '{"id":1152921504606846976,"data":"AQ==","list":[3]}',
      );
    });

    it('writes empty bytes as an empty base64 string', () => {
      expect(text(jsonCodec.encode(new Uint8Array(0)))).toBe('""');
      expect(text(jsonCodec.encode({ a: [Buffer.alloc(0)], b: new Uint8Array(0) }))).toBe(
        '{"a":[""],"b":""}',
      );
    });

    it('leaves objects that only look like bytes as they are', () => {
      const lookalikes = {
        empty: {},
        indexed: { 0: 1, 1: 2 },
        buffer: { type: 'Buffer', data: [1, 2] },
        typed: { type: 'Buffers', t: '0' },
        inString: '{}{"0":{"type":"Buffer"',
        map: new Map([[1, 2]]),
      };
      expect(text(jsonCodec.encode(lookalikes))).toBe(JSON.stringify(lookalikes));
    });

    it('leaves -0 and long digit strings as plain JSON.stringify writes them', () => {
      const value = { zero: -0, digits: '12345678901234567890', n: 1e21 };
      expect(text(jsonCodec.encode(value))).toBe(JSON.stringify(value));
    });

    it('lets a toJSON of the bytes themselves decide, as JSON.stringify does', () => {
      class Tagged extends Uint8Array {
        toJSON() {
          return 'tagged';
        }
      }
      expect(text(jsonCodec.encode({ a: new Tagged([1, 2]) }))).toBe('{"a":"tagged"}');
    });

    it('writes an empty Uint8Array given properties of its own as an object of them', () => {
      // The one shape whose plain output leaves no trace of bytes; with bytes in it, it has one.
      const tagged = Object.assign(new Uint8Array(0), { tag: 1 });
      expect(text(jsonCodec.encode({ a: tagged }))).toBe('{"a":{"tag":1}}');
      expect(text(jsonCodec.encode({ a: Object.assign(Uint8Array.of(7), { tag: 1 }) }))).toBe(
        '{"a":"Bw=="}',
      );
    });

    it('lets a BigInt.prototype.toJSON decide too, if the application defines one', () => {
      const proto = BigInt.prototype as { toJSON?: () => string };
      proto.toJSON = function (this: bigint) {
        return `${this}`;
      };
      try {
        expect(text(jsonCodec.encode({ a: 5n }))).toBe('{"a":"5"}');
      } finally {
        delete proto.toJSON;
      }
    });
  });

  it('writes Date as an RFC 3339 string, which Go parses into time.Time', () => {
    expect(text(jsonCodec.encode({ At: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) }))).toBe(
      '{"At":"2024-01-02T03:04:05.006Z"}',
    );
  });

  it('keeps a __proto__ key as data, never as the prototype', () => {
    const decoded = jsonCodec.decode(utf8('{"__proto__":{"polluted":true},"a":1}')) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(decoded)).toEqual(['__proto__', 'a']);
  });

  it('reads invalid UTF-8 as U+FFFD, as Go does in strings', () => {
    expect(jsonCodec.decode(Uint8Array.of(0x22, 0xff, 0x22))).toBe('\ufffd');
  });

  it('fails on bad JSON with RpcxError(codec) carrying the parser message', () => {
    // Go's protocol.TestMessage payload: a trailing comma.
    const payload = Buffer.from('7b0a09092241223a20312c0a09092242223a20322c0a097d0a09', 'hex');
    const error = codecErrorOf(() => jsonCodec.decode(payload));
    expect(error.message).toMatch(/^json: /);
    expect(error.cause).toBeInstanceOf(SyntaxError);
    expect(error.message).toContain((error.cause as Error).message);
    expect(codecErrorOf(() => jsonCodec.decode(new Uint8Array(0))).message).toMatch(/^json: /);
  });

  it('fails on values JSON cannot hold with RpcxError(codec)', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(codecErrorOf(() => jsonCodec.encode(cyclic)).cause).toBeInstanceOf(TypeError);
  });

  it('property: JSON values round-trip (integers past 2^53 come back as bigint)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonCodec.decode(jsonCodec.encode(value))).toEqual(expectedAfterJson(value));
      }),
    );
  });

  it('property: bigints in the 64-bit range round-trip exactly', () => {
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n });
    fc.assert(
      fc.property(fc.array(int64), (values) => {
        const decoded = jsonCodec.decode(jsonCodec.encode(values)) as unknown[];
        expect(decoded.map((v) => BigInt(v as bigint | number))).toEqual(values);
      }),
    );
  });
});

/** What JSON.stringify + an exact int64 parser give back for `value`. */
function expectedAfterJson(value: unknown): unknown {
  const plain: unknown = JSON.parse(JSON.stringify(value));
  const visit = (v: unknown): unknown => {
    if (typeof v === 'number') {
      const printed = String(v);
      if (!/^-?\d+$/.test(printed) || Number.isSafeInteger(v)) return v;
      const big = BigInt(printed);
      return big >= -(2n ** 63n) && big < 2n ** 64n ? big : v;
    }
    if (Array.isArray(v)) return v.map(visit);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, visit(item)]));
    }
    return v;
  };
  return visit(plain);
}
