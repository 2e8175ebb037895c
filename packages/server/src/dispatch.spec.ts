import { gunzipSync } from 'node:zlib';
import { ErrorCode, isRpcxError, MetadataKey, RpcxError } from '@rpcx/core';
import { decodeMessage, encodeMessage } from '@rpcx/protocol';
import { resolved, settle, useFakeClock } from '@rpcx/testing';
import fc from 'fast-check';
import { cleanup, connect, eventually, startServer } from './test-support/harness.js';
import { jsonRequest, request } from './test-support/raw-client.js';
import type { CallContext } from './types.js';

afterEach(async () => {
  jest.useRealTimers();
  await cleanup();
});

const text = (payload: Uint8Array) => Buffer.from(payload).toString();

class Arith {
  async Mul(args: { A: number; B: number }) {
    return { C: args.A * args.B };
  }
  Sync(args: { A: number }) {
    return { C: args.A };
  }
  ThrowSync() {
    throw new Error('sync failure');
  }
  async Reject() {
    throw new Error('async failure');
  }
  ThrowString() {
    throw 'a string';
  }
  async ThrowRpcx() {
    throw new RpcxError(ErrorCode.InvalidArgument, 'bad args');
  }
  Big(args: { size: number }) {
    return 'x'.repeat(args.size - 2); // JSON string: size bytes with the quotes
  }
  Meta(_: unknown, ctx: CallContext) {
    ctx.responseMetadata.answer = '42';
    ctx.responseMetadata.echo = ctx.metadata.q ?? '';
    return 'ok';
  }
  FailWithMeta(_: unknown, ctx: CallContext) {
    ctx.responseMetadata.extra = 'kept';
    ctx.responseMetadata[MetadataKey.Error] = 'must not win';
    throw new Error('real error');
  }
}

async function arithServer(options = {}) {
  const started = await startServer(options, (s) => s.register(new Arith()));
  return { ...started, client: await connect(started.address) };
}

describe("dispatch errors, with Go's exact strings", () => {
  test('unknown service and unknown method: status Error, empty payload, header echoed', async () => {
    const { client } = await arithServer();
    const noService = await client.call(jsonRequest('Nope', 'Mul', { A: 1, B: 2 }, { seq: 11 }));
    expect(noService.flags).toBe(0x81);
    expect(noService.seq).toBe(11n);
    expect(noService.servicePath).toBe('Nope');
    expect(noService.serviceMethod).toBe('Mul');
    expect(noService.payload.length).toBe(0);
    expect({ ...noService.metadata }).toEqual({ __rpcx_error__: "rpcx: can't find service Nope" });

    const noMethod = await client.call(jsonRequest('Arith', 'Div', { A: 1, B: 2 }, { seq: 12 }));
    expect({ ...noMethod.metadata }).toEqual({ __rpcx_error__: "rpcx: can't find method Div" });
    expect(noMethod.serializeType).toBe(1);
  });

  test('the frame of spec §1.16 example 2 gets the error response of the example', async () => {
    const { client } = await arithServer();
    // MsgPack Arith.Div, seq 5, __AUTH=abc.
    client.write(
      Buffer.from(
        '080000300000000000000005000000300000000541726974680000000344697600000011000000065f5f415554480000000361626300000007' +
          '82a1410aa14214',
        'hex',
      ),
    );
    const frame = await client.nextFrame();
    expect(frame.length).toBe(89);
    expect(frame.subarray(0, 16).toString('hex')).toBe('08008130000000000000000500000049');
    expect(frame.subarray(16).toString('latin1')).toContain("rpcx: can't find method Div");
  });

  test('argument decode failure: the codec message; the connection stays up', async () => {
    const { client } = await arithServer();
    const res = await client.call(
      request({ servicePath: 'Arith', serviceMethod: 'Mul', payload: '{bad', seq: 1 }),
    );
    expect(res.statusType).toBe(1);
    expect(res.metadata.__rpcx_error__).toMatch(/^json: /);
    const ok = await client.call(jsonRequest('Arith', 'Mul', { A: 2, B: 2 }, { seq: 2 }));
    expect(text(ok.payload)).toBe('{"C":4}');
  });

  test('thrown errors become __rpcx_error__ with an empty payload; the connection stays up', async () => {
    const reported: string[] = [];
    const { client } = await arithServer({
      onServiceError: (e: Error) => reported.push(e.message),
    });
    const cases: Array<[string, string]> = [
      ['ThrowSync', 'sync failure'],
      ['Reject', 'async failure'],
      ['ThrowString', 'a string'],
      ['ThrowRpcx', 'bad args'],
    ];
    let seq = 1;
    for (const [method, message] of cases) {
      const res = await client.call(jsonRequest('Arith', method, null, { seq: seq++ }));
      expect(res.flags).toBe(0x81);
      expect(res.payload.length).toBe(0);
      expect({ ...res.metadata }).toEqual({ __rpcx_error__: message });
    }
    expect(reported).toEqual(cases.map(([, message]) => message));
    expect(
      text((await client.call(jsonRequest('Arith', 'Sync', { A: 5 }, { seq: 99 }))).payload),
    ).toBe('{"C":5}');
  });

  test('errorText replaces the error text (Go ServerErrorFunc)', async () => {
    const { client } = await arithServer({
      errorText: (error: unknown, req: { serviceMethod: string }) =>
        JSON.stringify({
          code: isRpcxError(error) ? error.code : 500,
          err: (error as Error).message,
          m: req.serviceMethod,
        }),
    });
    const res = await client.call(jsonRequest('Arith', 'Reject', null, { seq: 1 }));
    expect(JSON.parse(res.metadata.__rpcx_error__!)).toEqual({
      code: 500,
      err: 'async failure',
      m: 'Reject',
    });
    const missing = await client.call(jsonRequest('Arith', 'Nope', null, { seq: 2 }));
    expect(JSON.parse(missing.metadata.__rpcx_error__!).code).toBe('service_error');
  });
});

describe('response derivation (spec §1.11)', () => {
  test('seq 2^64-1 is echoed exactly', async () => {
    const { client } = await arithServer();
    const seq = 0xffff_ffff_ffff_ffffn;
    const res = await client.call(jsonRequest('Arith', 'Mul', { A: 1, B: 1 }, { seq }));
    expect(res.seq).toBe(seq);
    expect(encodeMessage(res).subarray(4, 12).toString('hex')).toBe('ffffffffffffffff');
  });

  test('header cloned: version, reserved bits, serialize type, seq; paths echoed (property)', async () => {
    const { client } = await arithServer();
    await fc.assert(
      fc.asyncProperty(
        fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 15 }),
        fc.boolean(),
        async (seq, version, reserved, known) => {
          const req = jsonRequest(
            known ? 'Arith' : 'Ärith✓',
            'Sync',
            { A: 1 },
            { seq, version, reserved },
          );
          const sent = client.send(req);
          const frame = await client.nextFrame();
          const expected = encodeMessage(sent).subarray(0, 12);
          expected[2] = known ? 0x80 : 0x81;
          expect(frame.subarray(0, 12).toString('hex')).toBe(expected.toString('hex'));
          const res = await decodeMessage(frame);
          expect(res.servicePath).toBe(req.servicePath);
          expect(res.serviceMethod).toBe('Sync');
        },
      ),
      { numRuns: 40 },
    );
  });

  test('response metadata: only the handler’s, never the request’s', async () => {
    const { client } = await arithServer();
    const res = await client.call(
      jsonRequest('Arith', 'Meta', null, {
        seq: 1,
        metadata: { q: 'hello', __AUTH: 'secret', other: 'x' },
      }),
    );
    expect({ ...res.metadata }).toEqual({ answer: '42', echo: 'hello' });
    const plain = await client.call(
      jsonRequest('Arith', 'Sync', { A: 1 }, { seq: 2, metadata: { q: 'x' } }),
    );
    expect({ ...plain.metadata }).toEqual({});
  });

  test('an error keeps __rpcx_error__ and merges the handler’s metadata', async () => {
    const { client } = await arithServer();
    const res = await client.call(jsonRequest('Arith', 'FailWithMeta', null, { seq: 1 }));
    expect({ ...res.metadata }).toEqual({ __rpcx_error__: 'real error', extra: 'kept' });
  });

  // A number fails while the frame is measured, bytes only while it is written.
  test.each([
    ['a number', 5],
    ['bytes', Buffer.from('x')],
  ])('a response metadata value that is %s becomes an error response', async (_, value) => {
    const { address } = await startServer({}, (s) =>
      s.registerFunction('M', 'Bad', (_: unknown, ctx: CallContext) => {
        (ctx.responseMetadata as Record<string, unknown>).n = value;
        return 'ok';
      }),
    );
    const client = await connect(address);
    const res = await client.call(jsonRequest('M', 'Bad', null, { seq: 1 }));
    expect(res.statusType).toBe(1);
    expect(res.seq).toBe(1n);
    expect(res.metadata.__rpcx_error__).toBeTruthy();
    // Nothing of the failed frame went out: the next response on the connection reads whole.
    const next = await client.call(jsonRequest('M', 'Nope', null, { seq: 2 }));
    expect(next.seq).toBe(2n);
    expect(next.metadata.__rpcx_error__).toBe("rpcx: can't find method Nope");
  });
});

describe('compression mirrors the request (spec §1.7)', () => {
  test('big reply to a gzip request is gzipped with the request type', async () => {
    const { client } = await arithServer();
    // encodeMessage gzips the payload because the header says so.
    const args = Buffer.from(JSON.stringify({ size: 5000 }));
    const res = await client.call(
      request({
        servicePath: 'Arith',
        serviceMethod: 'Big',
        compressType: 1,
        payload: args,
        seq: 1,
      }),
      5000,
    );
    // decodeMessage decompresses; check the wire flag and the plain payload.
    expect(res.flags).toBe(0x84);
    expect(res.payload.length).toBe(5000);
  });

  test('the wire bytes are a gzip stream', async () => {
    const { client } = await arithServer();
    const req = request({
      servicePath: 'Arith',
      serviceMethod: 'Big',
      compressType: 1,
      payload: '{"size":2000}',
      seq: 2,
    });
    client.send(req);
    const frame = await client.nextFrame();
    expect((await decodeMessage(frame)).payload.length).toBe(2000);
    const wire = frame.subarray(frame.length - findPayloadLength(frame));
    expect(wire.subarray(0, 2).toString('hex')).toBe('1f8b');
    expect(wire.length).toBeLessThan(2000);
    expect(gunzipSync(wire).toString()).toBe(`"${'x'.repeat(1998)}"`);
  });

  test('exactly 1024 bytes is not compressed, 1025 is', async () => {
    const { client } = await arithServer();
    const at = async (size: number, seq: number) =>
      (
        await client.call(
          request({
            servicePath: 'Arith',
            serviceMethod: 'Big',
            compressType: 1,
            payload: JSON.stringify({ size }),
            seq,
          }),
        )
      ).compressType;
    expect(await at(1024, 1)).toBe(0);
    expect(await at(1025, 2)).toBe(1);
  });

  test('big reply to a plain request is not compressed', async () => {
    const { client } = await arithServer();
    const res = await client.call(jsonRequest('Arith', 'Big', { size: 100_000 }, { seq: 3 }));
    expect(res.flags).toBe(0x80);
    expect(res.payload.length).toBe(100_000);
  });

  test('a small reply to a gzip request is not compressed', async () => {
    const { client } = await arithServer();
    const res = await client.call(
      request({
        servicePath: 'Arith',
        serviceMethod: 'Mul',
        compressType: 1,
        payload: '{"A":2,"B":3}',
        seq: 4,
      }),
    );
    expect(res.flags).toBe(0x80);
    expect(text(res.payload)).toBe('{"C":6}');
  });
});

function findPayloadLength(frame: Buffer): number {
  // Walk the sections: 16-byte prefix, then four length-prefixed sections.
  let at = 16;
  for (let i = 0; i < 3; i++) at += 4 + frame.readUInt32BE(at);
  return frame.readUInt32BE(at);
}

describe('heartbeat (spec §1.13)', () => {
  test('echoed byte-exact with the Response bit set (spec example 3)', async () => {
    const { client } = await arithServer();
    const ping = Buffer.from(
      '08004030000000000000000700000019000000000000000000000000000000' + '09d317979cfe362a0000',
      'hex',
    );
    client.write(ping);
    const pong = await client.nextFrame();
    const expected = Buffer.from(ping);
    expected[2] = 0xc0;
    expect(pong.toString('hex')).toBe(expected.toString('hex'));
  });

  test('metadata, gzip payload, odd paths and a oneway heartbeat are echoed verbatim', async () => {
    const { client } = await arithServer();
    const req = request({
      heartbeat: true,
      oneway: true,
      compressType: 1,
      serializeType: 3,
      servicePath: 'x',
      metadata: { a: '1', b: '2' },
      payload: Buffer.alloc(3000, 7),
      seq: 0xdead_beef_cafe_f00dn,
      reserved: 5,
    });
    const { encodeMessage } = await import('@rpcx/protocol');
    const bytes = encodeMessage(req);
    client.write(bytes);
    const pong = await client.nextFrame();
    const expected = Buffer.from(bytes);
    expected[2] = expected[2]! | 0x80;
    expect(pong.equals(expected)).toBe(true);
  });
});

describe('oneway (spec §1.14)', () => {
  test('the handler runs, nothing is written back, errors only reported', async () => {
    const calls: unknown[] = [];
    const reported: string[] = [];
    const { address } = await startServer(
      { onServiceError: (e: Error) => reported.push(e.message) },
      (s) => {
        s.registerFunction('One', 'Note', (args: unknown) => {
          calls.push(args);
          return 'ignored';
        });
        s.registerFunction('One', 'Fail', () => {
          throw new Error('oneway failure');
        });
        s.registerFunction('One', 'Later', () => 'later');
      },
    );
    const client = await connect(address);
    client.send(jsonRequest('One', 'Note', { n: 1 }, { oneway: true, seq: 1 }));
    client.send(jsonRequest('One', 'Fail', null, { oneway: true, seq: 2 }));
    client.send(jsonRequest('One', 'Missing', null, { oneway: true, seq: 3 }));
    await eventually(() => calls.length === 1 && reported.length === 2);
    // Requests are answered in order: the first frame back is the answer to a later request.
    const later = await client.call(jsonRequest('One', 'Later', null, { seq: 4 }));
    expect(later.seq).toBe(4n);
    expect(client.queued).toBe(0);
    expect(calls).toEqual([{ n: 1 }]);
    expect(reported).toEqual(['oneway failure', "rpcx: can't find method Missing"]);
  });
});

describe('handler context', () => {
  test('__ServerTimeout sets deadline and aborts the signal with context deadline exceeded', async () => {
    useFakeClock(); // the deadline runs on the fake clock: it moves only when the test says so
    let seen: { deadline?: number; aborted?: boolean } | undefined;
    let signal: AbortSignal | undefined;
    const { address } = await startServer({}, (s) =>
      s.registerFunction('T', 'Wait', async (_: unknown, ctx: CallContext) => {
        seen = { deadline: ctx.deadline, aborted: ctx.signal.aborted };
        signal = ctx.signal;
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        throw ctx.signal.reason;
      }),
    );
    const client = await connect(address);
    const sentAt = Date.now();
    client.send(jsonRequest('T', 'Wait', null, { seq: 1, metadata: { __ServerTimeout: '40' } }));
    await settle(() => seen !== undefined, 'the handler to start');
    expect(seen).toEqual({ deadline: sentAt + 40, aborted: false });
    jest.advanceTimersByTime(39);
    expect(signal!.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(signal!.aborted).toBe(true);
    const res = await resolved(client.next(), 'the response');
    expect(res.seq).toBe(1n);
    expect(res.metadata.__rpcx_error__).toBe('context deadline exceeded');
  });

  test('no __ServerTimeout: no deadline; unparsable: ignored; zero or negative: already aborted', async () => {
    const seen: Array<{ deadline: number | undefined; aborted: boolean; reason?: unknown }> = [];
    const { address } = await startServer({}, (s) =>
      s.registerFunction('T', 'Look', (_: unknown, ctx: CallContext) => {
        seen.push({
          deadline: ctx.deadline,
          aborted: ctx.signal.aborted,
          reason: ctx.signal.reason,
        });
        return null;
      }),
    );
    const client = await connect(address);
    await client.call(jsonRequest('T', 'Look', null, { seq: 1 }));
    await client.call(
      jsonRequest('T', 'Look', null, { seq: 2, metadata: { __ServerTimeout: 'soon' } }),
    );
    await client.call(
      jsonRequest('T', 'Look', null, { seq: 3, metadata: { __ServerTimeout: '0' } }),
    );
    await client.call(
      jsonRequest('T', 'Look', null, { seq: 4, metadata: { __ServerTimeout: '-5' } }),
    );
    expect(seen[0]).toEqual({ deadline: undefined, aborted: false, reason: undefined });
    expect(seen[1]).toEqual({ deadline: undefined, aborted: false, reason: undefined });
    expect(seen[2]!.aborted).toBe(true);
    expect(isRpcxError(seen[2]!.reason, ErrorCode.Timeout)).toBe(true);
    expect(seen[3]!.aborted).toBe(true);
  });

  test('the signal aborts with context canceled when the connection closes', async () => {
    let reason: unknown;
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { address } = await startServer({}, (s) =>
      s.registerFunction('T', 'Hang', async (_: unknown, ctx: CallContext) => {
        const signal = ctx.signal;
        started();
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        reason = signal.reason;
      }),
    );
    const client = await connect(address);
    client.send(jsonRequest('T', 'Hang', null, { seq: 1 }));
    await running;
    client.destroy();
    await eventually(() => reason !== undefined);
    expect(isRpcxError(reason, ErrorCode.Canceled)).toBe(true);
    expect((reason as Error).message).toBe('context canceled');
  });

  test('ctx exposes connection, request, server and metadata', async () => {
    let ctxSeen: CallContext | undefined;
    const { address, server } = await startServer({}, (s) =>
      s.registerFunction('T', 'Ctx', (_: unknown, ctx: CallContext) => {
        ctxSeen = ctx;
        return null;
      }),
    );
    const client = await connect(address);
    await client.call(jsonRequest('T', 'Ctx', null, { seq: 77, metadata: { k: 'v' } }));
    expect(ctxSeen!.server).toBe(server);
    expect(ctxSeen!.connection.remoteAddress).toBe(client.framed.localAddress);
    expect(server.connections()).toContain(ctxSeen!.connection);
    expect(ctxSeen!.request.seq).toBe(77n);
    expect(ctxSeen!.metadata.k).toBe('v');
    expect(ctxSeen!.servicePath).toBe('T');
  });

  test('requests on one connection run concurrently; responses come as they finish', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { address } = await startServer({}, (s) => {
      s.registerFunction('C', 'Slow', async () => {
        await gate;
        return 'slow';
      });
      s.registerFunction('C', 'Fast', () => 'fast');
    });
    const client = await connect(address);
    client.send(jsonRequest('C', 'Slow', null, { seq: 1 }));
    client.send(jsonRequest('C', 'Fast', null, { seq: 2 }));
    expect((await client.next()).seq).toBe(2n);
    release();
    expect((await client.next()).seq).toBe(1n);
  });
});
