import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { ErrorCode, isRpcxError, SerializeType } from '@rpcx/core';
import protobuf from 'protobufjs';
import { Server } from './server.js';
import { cleanup, connect, startServer } from './test-support/harness.js';
import { jsonRequest, request } from './test-support/raw-client.js';
import type { CallContext } from './types.js';

afterEach(cleanup);

class Base {
  async Add(args: { A: number; B: number }) {
    return { C: args.A + args.B };
  }
  async Hidden() {
    return 'base';
  }
}

class Arith extends Base {
  factor = 1;
  async Mul(args: { A: number; B: number }) {
    return { C: args.A * args.B * this.factor };
  }
  override async Hidden() {
    return 'override';
  }
  _private() {
    return 'no';
  }
  get Getter() {
    throw new Error('getters must never run');
  }
}

function text(payload: Uint8Array): string {
  return Buffer.from(payload).toString();
}

function registrationFailure(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(isRpcxError(error, ErrorCode.InvalidArgument)).toBe(true);
    return (error as Error).message;
  }
  throw new Error('registration did not fail');
}

describe('register (class instance)', () => {
  test('exposes the methods of the prototype chain under the class name, bound to the instance', async () => {
    const arith = new Arith();
    arith.factor = 2;
    const { address, server } = await startServer({}, (s) => s.register(arith));
    expect(server.listServices()).toEqual(['Arith']);
    const client = await connect(address);
    const mul = await client.call(jsonRequest('Arith', 'Mul', { A: 3, B: 4 }, { seq: 1 }));
    expect(text(mul.payload)).toBe('{"C":24}');
    const add = await client.call(jsonRequest('Arith', 'Add', { A: 3, B: 4 }, { seq: 2 }));
    expect(text(add.payload)).toBe('{"C":7}');
    const hidden = await client.call(jsonRequest('Arith', 'Hidden', null, { seq: 3 }));
    expect(text(hidden.payload)).toBe('"override"');
  });

  test('skips constructor, names starting with _, getters and Object.prototype', async () => {
    const { address } = await startServer({}, (s) => s.register(new Arith()));
    const client = await connect(address);
    for (const [seq, method] of [
      'constructor',
      '_private',
      'Getter',
      'toString',
      'factor',
    ].entries()) {
      const res = await client.call(jsonRequest('Arith', method, null, { seq: seq + 1 }));
      expect(res.metadata.__rpcx_error__).toBe(`rpcx: can't find method ${method}`);
    }
  });

  test('name option and a plain object with registerName', async () => {
    const { address, server } = await startServer({}, (s) => {
      s.register(new Arith(), { name: 'Calc' });
      s.registerName('Echo', {
        Say(args: string) {
          return args;
        },
        Arrow: (args: number) => args + 1,
      });
    });
    expect(server.listServices().sort()).toEqual(['Calc', 'Echo']);
    const client = await connect(address);
    expect(
      text((await client.call(jsonRequest('Calc', 'Mul', { A: 2, B: 5 }, { seq: 1 }))).payload),
    ).toBe('{"C":10}');
    expect(text((await client.call(jsonRequest('Echo', 'Say', 'hi', { seq: 2 }))).payload)).toBe(
      '"hi"',
    );
    expect(text((await client.call(jsonRequest('Echo', 'Arrow', 41, { seq: 3 }))).payload)).toBe(
      '42',
    );
  });

  test('registering a path again replaces the service', async () => {
    const { address } = await startServer({}, (s) => {
      s.registerName('S', { A: () => 'a' });
      s.registerName('S', { B: () => 'b' });
    });
    const client = await connect(address);
    expect(
      (await client.call(jsonRequest('S', 'A', null, { seq: 1 }))).metadata.__rpcx_error__,
    ).toBe("rpcx: can't find method A");
    expect(text((await client.call(jsonRequest('S', 'B', null, { seq: 2 }))).payload)).toBe('"b"');
  });
});

describe('method whitelist (RegisterWithMethods)', () => {
  test('only the listed methods are exposed', async () => {
    const { address } = await startServer({}, (s) => s.register(new Arith(), { methods: ['Mul'] }));
    const client = await connect(address);
    expect(
      text((await client.call(jsonRequest('Arith', 'Mul', { A: 2, B: 3 }, { seq: 1 }))).payload),
    ).toBe('{"C":6}');
    expect(
      (await client.call(jsonRequest('Arith', 'Add', { A: 2, B: 3 }, { seq: 2 }))).metadata
        .__rpcx_error__,
    ).toBe("rpcx: can't find method Add");
  });

  test("Go's errors, and nothing registered on failure", () => {
    const server = new Server();
    expect(registrationFailure(() => server.register(new Arith(), { methods: [] }))).toBe(
      'rpcx.Register: empty methods whitelist; use Register to register all methods',
    );
    expect(registrationFailure(() => server.registerName('A', new Arith(), { methods: [] }))).toBe(
      'rpcx.Register: empty methods whitelist; use RegisterName to register all methods',
    );
    expect(
      registrationFailure(() => server.register(new Arith(), { methods: ['Mul', 'Div' as 'Mul'] })),
    ).toBe('rpcx.Register: method "Div" not found on Arith');
    expect(registrationFailure(() => server.register(new Arith(), { methods: ['_private'] }))).toBe(
      'rpcx.Register: method "_private" of Arith is not a suitable RPC method',
    );
    expect(
      registrationFailure(() => server.register(new Arith(), { methods: ['factor' as 'Mul'] })),
    ).toBe('rpcx.Register: method "factor" of Arith is not a suitable RPC method');
    expect(server.listServices()).toEqual([]);
  });

  test('other registration errors', () => {
    const server = new Server();
    expect(registrationFailure(() => server.register({ A: () => 1 }))).toBe(
      'rpcx.Register: no service name for type Object; give one with registerName or the name option',
    );
    expect(registrationFailure(() => server.registerName('Empty', {}))).toBe(
      'rpcx.Register: type Empty has no exported methods of suitable type',
    );
    expect(registrationFailure(() => server.registerName('', new Arith()))).toMatch(
      /no service name/,
    );
    expect(registrationFailure(() => server.registerFunction('F', 'x', 42 as never))).toMatch(
      /function must be a function, got number/,
    );
    expect(registrationFailure(() => server.registerFunction('F', (() => 1) as never))).toMatch(
      /rpcx.registerFunction: no func name/,
    );
  });
});

describe('registerFunction', () => {
  test('named and by function name; functions share a path', async () => {
    async function Double(n: number) {
      return n * 2;
    }
    const { address, server } = await startServer({}, (s) => {
      s.registerFunction('Fn', Double);
      s.registerFunction('Fn', 'Square', (n: number) => n * n);
      s.registerFunction(
        'Fn',
        'Ctx',
        (_: unknown, ctx: CallContext) => `${ctx.servicePath}.${ctx.serviceMethod}`,
      );
    });
    expect(server.listServices()).toEqual(['Fn']);
    const client = await connect(address);
    expect(text((await client.call(jsonRequest('Fn', 'Double', 21, { seq: 1 }))).payload)).toBe(
      '42',
    );
    expect(text((await client.call(jsonRequest('Fn', 'Square', 9, { seq: 2 }))).payload)).toBe(
      '81',
    );
    expect(text((await client.call(jsonRequest('Fn', 'Ctx', null, { seq: 3 }))).payload)).toBe(
      '"Fn.Ctx"',
    );
    expect(
      (await client.call(jsonRequest('Fn', 'Nope', 1, { seq: 4 }))).metadata.__rpcx_error__,
    ).toBe("rpcx: can't find method Nope");
  });
});

describe('codecs', () => {
  const root = protobuf.parse(`
    syntax = "proto3";
    package arith;
    message ArithArgs { int32 a = 1; int32 b = 2; }
    message ArithReply { int32 c = 1; }
  `).root;
  const ArithArgs = root.lookupType('arith.ArithArgs');
  const ArithReply = root.lookupType('arith.ArithReply');

  class PbArith {
    async Mul(args: { a: number; b: number }) {
      return { c: args.a * args.b };
    }
  }

  test('protobuf with per-method type hints', async () => {
    const { address } = await startServer({ codecs: [createProtobufCodec()] }, (s) =>
      s.register(new PbArith(), { types: { Mul: { args: ArithArgs, reply: ArithReply } } }),
    );
    const client = await connect(address);
    const payload = ArithArgs.encode({ a: 6, b: 7 }).finish();
    const res = await client.call(
      request({
        servicePath: 'PbArith',
        serviceMethod: 'Mul',
        serializeType: SerializeType.ProtoBuffer,
        payload,
        seq: 5,
      }),
    );
    expect(res.serializeType).toBe(SerializeType.ProtoBuffer);
    expect(res.statusType).toBe(0);
    expect((ArithReply.decode(res.payload) as unknown as { c: number }).c).toBe(42);
  });

  test('protobuf function with types', async () => {
    const { address } = await startServer({ codecs: [createProtobufCodec()] }, (s) =>
      s.registerFunction(
        'Pb',
        'Mul',
        (args: { a: number; b: number }) => ({ c: args.a * args.b }),
        {
          types: { args: ArithArgs, reply: ArithReply },
          metadata: 'weight=1',
        },
      ),
    );
    const client = await connect(address);
    const res = await client.call(
      request({
        servicePath: 'Pb',
        serviceMethod: 'Mul',
        serializeType: SerializeType.ProtoBuffer,
        payload: ArithArgs.encode({ a: 3, b: 3 }).finish(),
        seq: 1,
      }),
    );
    expect((ArithReply.decode(res.payload) as unknown as { c: number }).c).toBe(9);
  });

  test('protobuf is not there unless passed: can not find codec for 2', async () => {
    const { address } = await startServer({}, (s) => s.register(new PbArith()));
    const client = await connect(address);
    const res = await client.call(
      request({
        servicePath: 'PbArith',
        serviceMethod: 'Mul',
        serializeType: 2,
        payload: new Uint8Array([8, 1]),
        seq: 1,
      }),
    );
    expect(res.metadata.__rpcx_error__).toBe('can not find codec for 2');
  });

  test('MsgPack is built in (Go clients default to it)', async () => {
    const { address } = await startServer({}, (s) => s.register(new Arith()));
    const client = await connect(address);
    // {"A":10,"B":20} as Go's msgpack writes it.
    const payload = Buffer.from('82a1410aa14214', 'hex');
    const res = await client.call(
      request({
        servicePath: 'Arith',
        serviceMethod: 'Mul',
        serializeType: SerializeType.MsgPack,
        payload,
        seq: 9,
      }),
    );
    expect(res.serializeType).toBe(SerializeType.MsgPack);
    expect(Buffer.from(res.payload).toString('hex')).toBe('81a143ccc8'); // {"C":200}
  });

  test('raw: args arrive as bytes, a Uint8Array reply goes out as is, nothing → empty', async () => {
    let received: unknown;
    const { address } = await startServer({}, (s) =>
      s.registerName('Raw', {
        Reverse(args: Uint8Array) {
          received = args;
          return Uint8Array.from(args).reverse();
        },
        Nothing() {},
        Bad() {
          return { not: 'bytes' };
        },
      }),
    );
    const client = await connect(address);
    const res = await client.call(
      request({
        servicePath: 'Raw',
        serviceMethod: 'Reverse',
        serializeType: 0,
        payload: Buffer.from([1, 2, 3]),
        seq: 1,
      }),
    );
    expect(received).toBeInstanceOf(Uint8Array);
    expect([...res.payload]).toEqual([3, 2, 1]);
    const nothing = await client.call(
      request({ servicePath: 'Raw', serviceMethod: 'Nothing', serializeType: 0, seq: 2 }),
    );
    expect(nothing.statusType).toBe(0);
    expect(nothing.payload.length).toBe(0);
    const bad = await client.call(
      request({ servicePath: 'Raw', serviceMethod: 'Bad', serializeType: 0, seq: 3 }),
    );
    expect(bad.statusType).toBe(1);
    expect(bad.metadata.__rpcx_error__).toMatch(/^raw: /);
  });

  test('an unknown serialize type: can not find codec for <n>', async () => {
    const { address } = await startServer({}, (s) => s.register(new Arith()));
    const client = await connect(address);
    const res = await client.call(
      jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { serializeType: 9, seq: 1 }),
    );
    expect(res.metadata.__rpcx_error__).toBe('can not find codec for 9');
    expect(res.serializeType).toBe(9);
  });
});
