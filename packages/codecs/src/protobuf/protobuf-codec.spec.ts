import { ErrorCode, isRpcxError, type RpcxError, SerializeType } from '@rpcx/core';
import { describeCodecContract, hex, rpcxErrorOf, toHex } from '@rpcx/testing';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { createProtobufCodec, isMessageType } from './index.js';
import { replaceBigInts } from './longs.js';
import { ArithArgs as StaticArithArgs } from './test-support/arith-static.js';

const codecErrorOf = (run: () => unknown): RpcxError => rpcxErrorOf(run, ErrorCode.Codec);

// The schema of conformance/proto/arith.proto, plus types for 64-bit fields and field variety.
const { root } = protobuf.parse(`
  syntax = "proto3";
  package arith;
  message ArithArgs { int32 a = 1; int32 b = 2; }
  message ArithReply { int32 c = 1; }
  message Ids {
    int64 id = 1; uint64 u = 2; sint64 s = 3; fixed64 f = 4;
    repeated int64 many = 5; map<string, int64> named = 6;
  }
  message Mixed { string name = 1; int64 big = 2; Ids inner = 3; int32 small = 4; }
  message Rich {
    string name = 1; bytes data = 2; bool ok = 3; double ratio = 4;
    repeated string tags = 5; ArithArgs nested = 6;
  }
  enum Kind { ZERO = 0; ONE = 1; }
  message Tree {
    int64 id = 1; Tree left = 2; repeated Tree kids = 3; map<string, Tree> named = 4;
    Kind kind = 5; ArithArgs args = 6; repeated sfixed64 many = 7;
  }
`);
const ArithArgs = root.lookupType('arith.ArithArgs');
const Ids = root.lookupType('arith.Ids');
const Rich = root.lookupType('arith.Rich');
const Mixed = root.lookupType('arith.Mixed');
const Tree = root.lookupType('arith.Tree');
// The same ArithReply, reflected from JSON (what `pbjs -t json` emits) instead of .proto text.
const ArithReply = protobuf.Root.fromJSON({
  nested: { arith: { nested: { ArithReply: { fields: { c: { type: 'int32', id: 1 } } } } } },
}).lookupType('arith.ArithReply');

const codec = createProtobufCodec();

describeCodecContract('protobuf (reflected type)', codec, {
  typeHint: Rich,
  samples: [
    Rich.fromObject({
      name: 'rpcx 你好 ✓',
      data: Buffer.from([0, 1, 2, 0xfe, 0xff]),
      ok: true,
      ratio: 2.5,
      tags: ['a', 'b'],
      nested: { a: 10, b: -20 },
    }),
    Rich.create(),
  ],
});

describeCodecContract('protobuf (static class)', codec, {
  typeHint: StaticArithArgs,
  samples: [new StaticArithArgs({ a: 10, b: 20 }), new StaticArithArgs({ a: -1 })],
});

describe('protobuf codec', () => {
  it('is serialize type 2', () => {
    expect(codec.serializeType).toBe(SerializeType.ProtoBuffer);
    expect(codec.name).toBe('protobuf');
  });

  describe('reflected types', () => {
    it('writes ArithArgs{a:10,b:20} as Go does (vector request-protobuf)', () => {
      expect(toHex(codec.encode({ a: 10, b: 20 }, ArithArgs))).toBe('080a1014');
    });

    it('encodes a message instance with its own type, no hint needed', () => {
      expect(toHex(codec.encode(ArithArgs.create({ a: 10, b: 20 })))).toBe('080a1014');
      expect(toHex(codec.encode(ArithArgs.fromObject({ a: 10, b: 20 })))).toBe('080a1014');
    });

    it('decodes into a message instance whose fields read like an object', () => {
      const args = codec.decode(hex('080a1014'), ArithArgs);
      expect(args).toBeInstanceOf(ArithArgs.ctor);
      expect(args.a).toBe(10);
      expect(args.b).toBe(20);
      expect(ArithArgs.toObject(args)).toEqual({ a: 10, b: 20 });
    });

    it('works with types reflected from JSON', () => {
      expect(toHex(codec.encode({ c: 200 }, ArithReply))).toBe('08c801');
      expect(codec.decode(hex('08c801'), ArithReply)).toEqual(ArithReply.create({ c: 200 }));
    });
  });

  describe('static (generated) classes', () => {
    it('encodes an instance with its class, no hint needed', () => {
      expect(toHex(codec.encode(new StaticArithArgs({ a: 10, b: 20 })))).toBe('080a1014');
    });

    it('encodes a plain object with the class as hint, after verifying it', () => {
      expect(toHex(codec.encode({ a: 10, b: 20 }, StaticArithArgs))).toBe('080a1014');
      const error = codecErrorOf(() => codec.encode({ a: 'ten' }, StaticArithArgs));
      expect(error.message).toBe('protobuf: not a valid ArithArgs: a: integer expected');
    });

    it('decodes into an instance of the class', () => {
      const args = codec.decode(hex('080a1014'), StaticArithArgs);
      expect(args).toBeInstanceOf(StaticArithArgs);
      expect(args).toEqual(new StaticArithArgs({ a: 10, b: 20 }));
    });

    it('recognises static and reflected types alike', () => {
      expect(isMessageType(StaticArithArgs)).toBe(true);
      expect(isMessageType(ArithArgs)).toBe(true);
      expect(isMessageType({ a: 1 })).toBe(false);
      expect(isMessageType(null)).toBe(false);
    });
  });

  describe('64-bit fields', () => {
    // int64 id = 2^53 + 1 = 9007199254740993: tag 08, varint 81 80 80 80 80 80 80 10.
    const idBytes = hex('08 8180808080808010');

    it('decodes an int64 beyond 2^53 exactly, as a Long', () => {
      const ids = codec.decode(idBytes, Ids);
      expect(ids.id).toBeInstanceOf(protobuf.util.Long);
      expect(ids.id.toString()).toBe('9007199254740993');
      expect(BigInt(ids.id.toString())).toBe(9007199254740993n);
    });

    it('encodes bigint, Long and a string-made Long to the same bytes', () => {
      expect(toHex(codec.encode({ id: 9007199254740993n }, Ids))).toBe(toHex(idBytes));
      const message = Ids.fromObject({ id: '9007199254740993' });
      expect(message.id).toBeInstanceOf(protobuf.util.Long);
      expect(toHex(codec.encode(message))).toBe(toHex(idBytes));
      expect(toHex(codec.encode({ id: message.id }, Ids))).toBe(toHex(idBytes));
    });

    it('encodes bigint into every 64-bit field type exactly', () => {
      const bytes = codec.encode(
        {
          id: -1n,
          u: 2n ** 64n - 1n,
          s: -1n,
          f: 2n ** 63n,
          many: [1n, -(2n ** 63n)],
          named: { big: 2n ** 60n },
        },
        Ids,
      );
      const decoded = Ids.toObject(codec.decode(bytes, Ids), {
        longs: String,
      });
      expect(decoded).toEqual({
        id: '-1',
        u: '18446744073709551615',
        s: '-1',
        f: '9223372036854775808',
        many: ['1', '-9223372036854775808'],
        named: { big: '1152921504606846976' },
      });
      // int64 -1 is ten varint bytes, sint64 -1 is zigzag 1, as Go writes them.
      expect(toHex(codec.encode({ id: -1n }, Ids))).toBe('08ffffffffffffffffff01');
      expect(toHex(codec.encode({ s: -1n }, Ids))).toBe('1801');
    });

    it('converts bigints inside a message instance without changing the instance', () => {
      const ids = Ids.create({ id: 5 });
      (ids as unknown as { many: unknown[] }).many.push(7n);
      expect(toHex(codec.encode(ids))).toBe('0805 2a0107'.replace(' ', ''));
      expect((ids as unknown as { many: unknown[] }).many).toEqual([7n]);
    });

    it('finds bigints among narrow fields and in nested messages, plain or instance', () => {
      const fields = { name: 'n', big: 2n ** 62n, inner: { id: -2n, many: [3n] }, small: 7 };
      const expected = {
        name: 'n',
        big: '4611686018427387904',
        inner: { id: '-2', many: ['3'] },
        small: 7,
      };
      const viaPlain = codec.encode(fields, Mixed);
      const instance = Mixed.create({ ...fields, inner: Ids.create(fields.inner) });
      const viaInstance = codec.encode(instance);
      expect(toHex(viaInstance)).toBe(toHex(viaPlain));
      expect(Mixed.toObject(codec.decode(viaPlain, Mixed), { longs: String })).toEqual(expected);
      // A bigint where only a 32-bit value fits is refused, not written as something else.
      expect(codecErrorOf(() => codec.encode({ small: 1n }, Mixed)).message).toContain('small');
    });

    it('finds bigints in recursive, repeated and map message fields, any depth', () => {
      const fields = {
        id: 1n,
        left: { id: 2n, left: { id: -(2n ** 63n), many: [1, -1n] } },
        kids: [{ id: 3n }, { kids: [{ id: 4n, args: { a: 1 } }] }],
        named: { x: { id: 5n, named: { y: { id: 2n ** 63n - 1n } } } },
      };
      const expected = {
        id: '1',
        left: { id: '2', left: { id: '-9223372036854775808', many: ['1', '-1'] } },
        kids: [{ id: '3' }, { kids: [{ id: '4', args: { a: 1 } }] }],
        named: { x: { id: '5', named: { y: { id: '9223372036854775807' } } } },
      };
      const viaPlain = codec.encode(fields, Tree);
      expect(Tree.toObject(codec.decode(viaPlain, Tree), { longs: String })).toEqual(expected);
      expect(toHex(codec.encode(Tree.create(fields)))).toBe(toHex(viaPlain));
      // The caller's objects are left as they were.
      expect(fields.kids[1]!.kids![0]!.id).toBe(4n);
    });

    it('finds them in a type used for the first time, its field types not yet resolved', () => {
      const fresh = protobuf
        .parse('syntax = "proto3"; message A { B b = 1; } message B { fixed64 f = 1; }')
        .root.lookupType('A');
      const bytes = codec.encode({ b: { f: 2n ** 64n - 1n } }, fresh);
      expect(fresh.toObject(codec.decode(bytes, fresh), { longs: String })).toEqual({
        b: { f: '18446744073709551615' },
      });
    });

    it('looks only at the 64-bit fields and the messages that hold some', () => {
      const reads: string[] = [];
      const watched = <T extends object>(target: T): T =>
        new Proxy(target, {
          get(object, key, receiver) {
            if (typeof key === 'string') reads.push(key);
            return Reflect.get(object, key, receiver);
          },
        });
      const rich = watched({ name: 'n', ok: true, tags: ['a'], nested: { a: 1 } });
      expect(replaceBigInts(rich, Rich)).toBe(rich);
      expect(reads).toEqual([]);
      const tree = watched({ id: 7, kind: 1, args: { a: 1 }, kids: [], left: { id: 1 } });
      expect(replaceBigInts(tree, Tree)).toBe(tree);
      expect(reads.sort()).toEqual(['id', 'kids', 'left', 'many', 'named']);
    });

    it('leaves decoded messages (Longs) as they are, without a copy', () => {
      const decoded = codec.decode(codec.encode({ id: 5n, left: { id: 2n ** 60n } }, Tree), Tree);
      expect(decoded.left.id).toBeInstanceOf(protobuf.util.Long);
      expect(replaceBigInts(decoded)).toBe(decoded);
    });

    it('refuses a bigint in a field that is not 64-bit, at any depth', () => {
      expect(codecErrorOf(() => codec.encode({ kind: 1n }, Tree)).message).toContain(
        'kind: enum value expected',
      );
      expect(
        codecErrorOf(() => codec.encode({ left: { args: { a: 1n } } }, Tree)).message,
      ).toContain('a: integer expected');
      // A message instance is not verified: protobufjs itself refuses to mix a bigint in.
      expect(codecErrorOf(() => codec.encode(Tree.create({ left: { kind: 1n } }))).message).toMatch(
        /BigInt/,
      );
    });

    it('refuses a bigint beyond 64 bits', () => {
      expect(codecErrorOf(() => codec.encode({ id: 2n ** 64n }, Ids)).message).toContain(
        'does not fit a 64-bit field',
      );
    });

    it('refuses to start when protobufjs has no Long, unless told to accept rounding', () => {
      const util = protobuf.util as { Long: unknown };
      const saved = util.Long;
      util.Long = null;
      try {
        let error: unknown;
        try {
          createProtobufCodec();
        } catch (e) {
          error = e;
        }
        expect(isRpcxError(error, ErrorCode.InvalidArgument)).toBe(true);
        expect((error as Error).message).toContain('allowInexactInt64');
        expect(createProtobufCodec({ allowInexactInt64: true }).name).toBe('protobuf');
      } finally {
        util.Long = saved;
      }
    });

    it('property: int64/uint64 values round-trip exactly', () => {
      const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
      const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
      fc.assert(
        fc.property(int64, uint64, int64, (id, u, s) => {
          const decoded = codec.decode(codec.encode({ id, u, s }, Ids), Ids);
          expect([decoded.id, decoded.u, decoded.s].map(String)).toEqual([id, u, s].map(String));
        }),
      );
    });
  });

  describe('nil and empty', () => {
    it('encodes undefined and null as the empty message, as Go marshals a nil pointer', () => {
      expect(codec.encode(undefined, ArithReply)).toEqual(new Uint8Array(0));
      expect(codec.encode(null)).toEqual(new Uint8Array(0));
    });

    it('decodes zero bytes as the default message', () => {
      const reply = codec.decode(new Uint8Array(0), ArithReply);
      expect(reply.c).toBe(0);
    });
  });

  describe('errors', () => {
    it('explains what to pass when a plain object comes without a type', () => {
      const error = codecErrorOf(() => codec.encode({ a: 10, b: 20 }));
      expect(error.message).toContain('pass a generated message class or a protobuf.Type');
      expect(error.message).toContain('codec.encode({ a: 10, b: 20 }, ArithArgs)');
    });

    it('explains what to pass when decoding without a type, or with something else', () => {
      expect(codecErrorOf(() => codec.decode(hex('080a'))).message).toContain(
        'codec.decode(bytes, ArithReply)',
      );
      expect(
        codecErrorOf(() => codec.decode(hex('080a'), 'arith.ArithReply' as never)).message,
      ).toContain('got string');
    });

    it('reports invalid plain objects with the verifier message', () => {
      const error = codecErrorOf(() => codec.encode({ a: 'ten' }, ArithArgs));
      expect(error.message).toBe('protobuf: not a valid arith.ArithArgs: a: integer expected');
    });

    it.each([
      ['a truncated varint', '08 80'],
      ['a field longer than the buffer', '32 05 0102'],
      ['an invalid wire type', '0f'],
    ])('fails on %s with RpcxError(codec)', (_label, dump) => {
      const error = codecErrorOf(() => codec.decode(hex(dump), Rich));
      expect(error.message).toMatch(/^protobuf: /);
      expect(error.cause).toBeInstanceOf(Error);
    });
  });

  it('property: ArithArgs round-trips from plain objects', () => {
    const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    fc.assert(
      fc.property(int32, int32, (a, b) => {
        const plain = codec.decode(codec.encode({ a, b }, ArithArgs), ArithArgs);
        expect(ArithArgs.toObject(plain, { defaults: true })).toEqual({ a, b });
        expect(codec.decode(codec.encode({ a, b }, StaticArithArgs), StaticArithArgs)).toEqual(
          codec.decode(codec.encode(new StaticArithArgs({ a, b })), StaticArithArgs),
        );
      }),
    );
  });
});
