import { ErrorCode, type RpcxError, SerializeType } from '@rpcx/core';
import { describeCodecContract, rpcxErrorOf } from '@rpcx/testing';
import fc from 'fast-check';
import { jsonCodec } from './json.js';

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

    it('does not turn invalid JSON with long integers into valid JSON', () => {
      const leadingZero = codecErrorOf(() => jsonCodec.decode(utf8('[012345678901234567890]')));
      expect(leadingZero.message).toMatch(/^json: /);
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
