import { getEventListeners } from 'node:events';
import { jsonCodec } from '@rpcx/codecs';
import { msgpackCodec } from '@rpcx/codecs/msgpack';
import { createProtobufCodec } from '@rpcx/codecs/protobuf';
import { CompressType, ErrorCode, MetadataKey, type RpcxError, SerializeType } from '@rpcx/core';
import { nextTurn, resolved, rpcxRejectionOf, settle, useFakeClock } from '@rpcx/testing';
import protobuf from 'protobufjs';
import { Client } from './client.js';
import { withServerAndClient } from './test-support/server-and-client.js';
import { TestServer, until } from './test-support/test-server.js';

const { root } = protobuf.parse(`
  syntax = "proto3";
  package arith;
  message ArithArgs { int32 a = 1; int32 b = 2; }
  message ArithReply { int32 c = 1; }
`);
const ArithArgs = root.lookupType('arith.ArithArgs');
const ArithReply = root.lookupType('arith.ArithReply');

describe('Client calls', () => {
  let server: TestServer;
  let client: Client;

  withServerAndClient((s, c) => {
    server = s;
    client = c;
  });
  afterEach(() => jest.useRealTimers());

  it('calls with MsgPack by default, as Go does', async () => {
    await expect(client.call('Arith', 'Mul', { A: 6, B: 7 })).resolves.toEqual({ C: 42 });
    const [request] = server.calls;
    expect(request!.serializeType).toBe(SerializeType.MsgPack);
    expect(request!.servicePath).toBe('Arith');
    expect(request!.serviceMethod).toBe('Mul');
    expect(request!.oneway).toBe(false);
    // Byte 2 = 0x00 (normal request), byte 3 = 0x30 (MsgPack).
    expect(server.frames[0]!.subarray(0, 4)).toEqual(Buffer.from([0x08, 0x00, 0x00, 0x30]));
  });

  it('calls with JSON, chosen per client', async () => {
    const json = new Client({ address: server.address, serializeType: SerializeType.JSON });
    try {
      await expect(json.call('Arith', 'Mul', { A: 10, B: 20 })).resolves.toEqual({ C: 200 });
      expect(server.calls[0]!.serializeType).toBe(SerializeType.JSON);
      expect(Buffer.from(server.calls[0]!.payload).toString()).toBe('{"A":10,"B":20}');
    } finally {
      await json.close();
    }
  });

  it('overrides the codec per call, and decodes with the codec the response names', async () => {
    await expect(
      client.call('Arith', 'Mul', { A: 2, B: 3 }, { serializeType: SerializeType.JSON }),
    ).resolves.toEqual({ C: 6 });
    await expect(client.call('Arith', 'Mul', { A: 2, B: 4 })).resolves.toEqual({ C: 8 });
    expect(server.calls.map((request) => request.serializeType)).toEqual([
      SerializeType.JSON,
      SerializeType.MsgPack,
    ]);

    // A response in another codec than the request's is decoded with the response's codec.
    server.handler = () => ({
      payload: jsonCodec.encode({ C: 1 }),
      serializeType: SerializeType.JSON,
    });
    await expect(client.call('Arith', 'Mul', { A: 1, B: 1 })).resolves.toEqual({ C: 1 });
  });

  it('sends and receives raw bytes with serialize type None', async () => {
    const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff]);
    const reply = await client.call<Uint8Array>('Echo', 'Echo', bytes, {
      serializeType: SerializeType.None,
    });
    expect(Buffer.from(reply)).toEqual(bytes);
    expect(server.calls[0]!.serializeType).toBe(SerializeType.None);
  });

  it('calls with Protobuf: message instances, plain objects with argsType, replyType', async () => {
    const proto = new Client({
      address: server.address,
      serializeType: SerializeType.ProtoBuffer,
      codecs: [createProtobufCodec()],
    });
    server.handler = (request) => {
      const args = ArithArgs.decode(request.payload) as unknown as { a: number; b: number };
      return { payload: ArithReply.encode({ c: args.a * args.b }).finish() };
    };
    try {
      const fromInstance = await proto.call<{ c: number }>(
        'Arith',
        'Mul',
        ArithArgs.create({ a: 10, b: 20 }),
        { replyType: ArithReply },
      );
      expect(fromInstance.c).toBe(200);
      expect(fromInstance).toBeInstanceOf(ArithReply.ctor);
      const fromObject = await proto.call<{ c: number }>(
        'Arith',
        'Mul',
        { a: 3, b: 4 },
        { argsType: ArithArgs, replyType: ArithReply },
      );
      expect(fromObject.c).toBe(12);
      // Exactly the bytes Go writes for ArithArgs{A:10,B:20}.
      expect(Buffer.from(server.calls[0]!.payload).toString('hex')).toBe('080a1014');
      expect(server.calls[0]!.serializeType).toBe(SerializeType.ProtoBuffer);
      // Without a reply type the codec cannot decode: a Codec error.
      const error = await rpcxRejectionOf(
        proto.call('Arith', 'Mul', { a: 1, b: 1 }, { argsType: ArithArgs }),
      );
      expect(error.code).toBe(ErrorCode.Codec);
    } finally {
      await proto.close();
    }
  });

  it('compresses only payloads over 1024 bytes, per client or per call', async () => {
    const gzip = new Client({ address: server.address, compressType: CompressType.Gzip });
    try {
      const exactly = Buffer.alloc(1024, 7);
      const over = Buffer.alloc(1025, 7);
      const raw = { serializeType: SerializeType.None };
      expect(Buffer.from(await gzip.call<Uint8Array>('Echo', 'Echo', exactly, raw))).toEqual(
        exactly,
      );
      expect(Buffer.from(await gzip.call<Uint8Array>('Echo', 'Echo', over, raw))).toEqual(over);
      // Per call: this client compresses nothing by default.
      await client.call('Echo', 'Echo', over, { ...raw, compressType: CompressType.Gzip });
      await client.call('Echo', 'Echo', over, raw);
      expect(server.calls.map((request) => request.compressType)).toEqual([0, 1, 1, 0]);
      // On the wire the compressed payload is a gzip stream, much smaller than 1025 bytes.
      const frame = server.frames[1]!;
      expect(frame.length).toBeLessThan(200);
      expect(frame[2]! & 0x1c).toBe(CompressType.Gzip << 2);
    } finally {
      await gzip.close();
    }
  });

  it('sends request metadata and returns response metadata from invoke', async () => {
    const metadata = { __AUTH: 'token', trace: 'abc', empty: '' };
    const { reply, metadata: responseMetadata } = await client.invoke<Uint8Array>(
      'Echo',
      'Echo',
      Buffer.from('hi'),
      { metadata, serializeType: SerializeType.None },
    );
    expect(Buffer.from(reply).toString()).toBe('hi');
    expect({ ...responseMetadata }).toEqual(metadata);
    expect({ ...server.calls[0]!.metadata }).toEqual(metadata);
    // The caller's object is left alone.
    expect(metadata).toEqual({ __AUTH: 'token', trace: 'abc', empty: '' });
  });

  it('sends the time left as __ServerTimeout, and it decreases', async () => {
    useFakeClock(); // no time passes unless the test moves the clock
    await client.connect();
    const raw = { serializeType: SerializeType.None };
    await client.call('Echo', 'Echo', Buffer.alloc(0), { ...raw, timeoutMs: 5_000 });
    expect(server.calls[0]!.metadata[MetadataKey.ServerTimeout]).toBe('5000');

    // Time spent before sending (here: 120 ms in a slow preCall plugin) is deducted.
    let inPreCall!: () => void;
    const preCallStarted = new Promise<void>((resolve) => {
      inPreCall = resolve;
    });
    const fresh = new Client({
      address: server.address,
      plugins: [
        {
          preCall: () => {
            inPreCall();
            return new Promise((resolve) => setTimeout(resolve, 120));
          },
        },
      ],
    });
    try {
      const call = fresh.call('Echo', 'Echo', Buffer.alloc(0), { ...raw, timeoutMs: 1_000 });
      await preCallStarted;
      jest.advanceTimersByTime(120);
      await resolved(call, 'the call');
      expect(server.calls[1]!.metadata[MetadataKey.ServerTimeout]).toBe('880');
    } finally {
      await fresh.close();
    }
    // No deadline, no key.
    await client.call('Echo', 'Echo', Buffer.alloc(0), raw);
    expect(server.calls[2]!.metadata[MetadataKey.ServerTimeout]).toBeUndefined();
    expect(Object.keys(server.calls[2]!.metadata)).toEqual([]);
  });

  it('times out with RpcxError(Timeout), drops the late response, and goes on', async () => {
    useFakeClock(); // the deadline and the server's 150 ms delay both run on the fake clock
    let error: RpcxError | undefined;
    const call = rpcxRejectionOf(
      client.call('Echo', 'Delay', Buffer.from('late'), {
        serializeType: SerializeType.None,
        metadata: { delay: '150' },
        timeoutMs: 40,
      }),
    ).then((e) => {
      error = e;
    });
    await settle(() => server.calls.length === 1, 'the call to reach the server');
    jest.advanceTimersByTime(39);
    await nextTurn();
    expect(error).toBeUndefined();
    expect(client.pendingCalls).toBe(1);
    jest.advanceTimersByTime(1); // 40 ms: the deadline
    await resolved(call, 'the call to time out');
    expect(error!.code).toBe(ErrorCode.Timeout);
    expect(error!.message).toBe('Echo.Delay: deadline exceeded');
    expect(client.pendingCalls).toBe(0);
    // At 150 ms the late response is sent; it reaches the client before the reply to the next
    // call (same socket, written first) and is dropped; the connection keeps working.
    jest.advanceTimersByTime(110);
    await expect(client.call('Arith', 'Mul', { A: 3, B: 3 })).resolves.toEqual({ C: 9 });
    expect(client.connected).toBe(true);
    // A timeout of 0 has expired before anything is sent.
    const before = server.requests.length;
    expect((await rpcxRejectionOf(client.call('Arith', 'Mul', {}, { timeoutMs: 0 }))).code).toBe(
      ErrorCode.Timeout,
    );
    expect(server.requests.length).toBe(before);
    expect(
      (await rpcxRejectionOf(client.call('Arith', 'Mul', {}, { timeoutMs: Number.NaN }))).code,
    ).toBe(ErrorCode.InvalidArgument);
  });

  it('is canceled by an AbortSignal, before or during the call', async () => {
    const controller = new AbortController();
    const call = client.call('Echo', 'Silent', {}, { signal: controller.signal });
    await until(() => server.calls.length === 1);
    controller.abort();
    const error = await rpcxRejectionOf(call);
    expect(error.code).toBe(ErrorCode.Canceled);
    expect(error.message).toBe('Echo.Silent: canceled');
    expect(client.pendingCalls).toBe(0);

    const aborted = AbortSignal.abort();
    expect((await rpcxRejectionOf(client.call('Arith', 'Mul', {}, { signal: aborted }))).code).toBe(
      ErrorCode.Canceled,
    );
    expect(server.calls.length).toBe(1);
  });

  it('shares one abort listener among all the calls of a signal', async () => {
    const controller = new AbortController();
    const calls = Array.from({ length: 50 }, () =>
      rpcxRejectionOf(client.call('Echo', 'Silent', {}, { signal: controller.signal })),
    );
    await until(() => server.calls.length === 50);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('user gave up'));
    const errors = await Promise.all(calls);
    expect(errors.every((error) => error.code === ErrorCode.Canceled)).toBe(true);
    expect((errors[0]!.cause as Error).message).toBe('user gave up');
    expect(client.pendingCalls).toBe(0);
  });

  it('numbers requests from 0 per connection', async () => {
    await client.call('Arith', 'Mul', { A: 1, B: 1 });
    await Promise.all([
      client.call('Arith', 'Mul', { A: 1, B: 2 }),
      client.send('Echo', 'Echo', {}),
      client.call('Arith', 'Mul', { A: 1, B: 3 }),
    ]);
    await until(() => server.calls.length === 4);
    expect(server.calls.map((request) => request.seq)).toEqual([0n, 1n, 2n, 3n]);
  });

  it('sends oneway requests that resolve once written', async () => {
    await expect(client.send('Echo', 'Echo', { hello: 'world' })).resolves.toBeUndefined();
    await until(() => server.calls.length === 1);
    const [request] = server.calls;
    expect(request!.oneway).toBe(true);
    expect(server.frames[0]![2]).toBe(0x20);
    expect(msgpackCodec.decode(request!.payload)).toEqual({ hello: 'world' });
    expect(client.pendingCalls).toBe(0);
  });

  it('fails with the exact text of a service error, and its metadata', async () => {
    const error = await rpcxRejectionOf(client.call('Nope', 'Mul', {}));
    expect(error.code).toBe(ErrorCode.ServiceError);
    expect(error.message).toBe("rpcx: can't find service Nope");
    expect(error.metadata?.[MetadataKey.Error]).toBe("rpcx: can't find service Nope");
    expect(error.retryable).toBe(false);

    server.handler = () => ({ error: 'boom: 你好', metadata: { code: '500' } });
    const withMetadata = await rpcxRejectionOf(client.call('Any', 'Thing', {}));
    expect(withMetadata.message).toBe('boom: 你好');
    expect({ ...withMetadata.metadata }).toEqual({ code: '500', __rpcx_error__: 'boom: 你好' });
  });

  it('reports an error response without metadata as an error (unlike Go)', async () => {
    server.handler = () => ({ bareErrorStatus: true });
    const error = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
    expect(error.code).toBe(ErrorCode.ServiceError);
    expect(error.message).toBe(
      'Arith.Mul: the server answered with an error status but no error text',
    );
  });

  it('resolves an empty payload to undefined', async () => {
    server.handler = () => ({});
    await expect(client.call('Arith', 'Mul', { A: 1, B: 1 })).resolves.toBeUndefined();
    await expect(client.invoke('Arith', 'Mul', { A: 1, B: 1 })).resolves.toEqual({
      reply: undefined,
      metadata: {},
    });
  });

  it('fails with RpcxError(Codec) for an unknown or undecodable response codec', async () => {
    server.handler = () => ({ payload: Buffer.from([1]), serializeType: 9 });
    const unknown = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
    expect(unknown.code).toBe(ErrorCode.Codec);
    expect(unknown.message).toContain('unsupported codec');

    server.handler = () => ({ payload: Buffer.from('{not json'), serializeType: 1 });
    const broken = await rpcxRejectionOf(client.call('Arith', 'Mul', { A: 1, B: 1 }));
    expect(broken.code).toBe(ErrorCode.Codec);
    expect(client.connected).toBe(true);
  });

  it('refuses what it cannot encode, sending nothing', async () => {
    const raw = await rpcxRejectionOf(
      client.call('Echo', 'Echo', 'not bytes', { serializeType: SerializeType.None }),
    );
    expect(raw.code).toBe(ErrorCode.Codec);
    const noCodec = await rpcxRejectionOf(client.call('Echo', 'Echo', {}, { serializeType: 7 }));
    expect(noCodec.code).toBe(ErrorCode.Codec);
    expect(noCodec.message).toContain('unsupported codec');
    const noCompressor = await rpcxRejectionOf(
      client.call('Echo', 'Echo', Buffer.alloc(2000), {
        serializeType: SerializeType.None,
        compressType: 5,
      }),
    );
    expect(noCompressor.message).toContain('unsupported compressor');
    expect(server.calls).toHaveLength(0);
  });

  it('refuses requests over the frame limit with MessageTooLarge', async () => {
    const small = new Client({ address: server.address, limits: { maxFrameLength: 1000 } });
    try {
      const error = await rpcxRejectionOf(
        small.call('Echo', 'Echo', Buffer.alloc(2000), { serializeType: SerializeType.None }),
      );
      expect(error.code).toBe(ErrorCode.MessageTooLarge);
    } finally {
      await small.close();
    }
  });

  it('closes the connection on a response over the limits, failing that call with why', async () => {
    const small = new Client({
      address: server.address,
      limits: { maxFrameLength: 4096, maxDecompressedLength: 2048 },
    });
    const raw = { serializeType: SerializeType.None };
    try {
      // Decompressed past maxDecompressedLength: that call fails with the reason itself.
      const gzipped = await rpcxRejectionOf(
        small.call('Echo', 'Echo', Buffer.alloc(3000), { ...raw, compressType: CompressType.Gzip }),
      );
      expect(gzipped.code).toBe(ErrorCode.MessageTooLarge);
      expect(gzipped.message).toMatch(/decompressed size exceeds/);
      expect(small.connected).toBe(false);

      // A frame past maxFrameLength breaks the stream: the connection closes, calls fail.
      server.handler = () => ({ payload: Buffer.alloc(5000) });
      const tooLong = await rpcxRejectionOf(small.call('Echo', 'Echo', Buffer.alloc(1), raw));
      expect(tooLong.code).toBe(ErrorCode.Unavailable);
      expect(tooLong.message).toMatch(
        /^connection to tcp@127\.0\.0\.1:\d+ closed: message is too long/,
      );
    } finally {
      await small.close();
    }
  });

  it('serves many concurrent calls over one connection', async () => {
    const replies = await Promise.all(
      Array.from({ length: 500 }, (_, i) => client.call('Arith', 'Mul', { A: i, B: 2 })),
    );
    expect(replies).toEqual(Array.from({ length: 500 }, (_, i) => ({ C: i * 2 })));
    expect(server.connections).toHaveLength(1);
  });
});

describe('Client over a unix socket', () => {
  it('calls', async () => {
    const server = await TestServer.start({ address: TestServer.unixAddress() });
    const client = new Client({ address: server.address });
    try {
      await expect(client.call('Arith', 'Mul', { A: 4, B: 5 })).resolves.toEqual({ C: 20 });
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('Client options', () => {
  it('refuses a bad address or bad types at construction', () => {
    expect(() => new Client({ address: 'udp@1.2.3.4:5' })).toThrow(/unsupported network/);
    expect(() => new Client({ address: 'tcp@127.0.0.1:1', serializeType: 16 })).toThrow(
      /serializeType/,
    );
    expect(() => new Client({ address: 'tcp@127.0.0.1:1', heartbeat: { intervalMs: 0 } })).toThrow(
      /intervalMs/,
    );
  });
});
