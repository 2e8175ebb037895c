import { gzipSync } from 'node:zlib';
import { ErrorCode, MessageType, RpcxError } from '@rpcx/core';
import { hex } from '@rpcx/testing';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { Header } from './header.js';
import { Message } from './message.js';

function request(fields: Partial<Message> & { seq?: bigint }): Message {
  const message = new Message();
  Object.assign(message, fields);
  return message;
}

const text = (s: string) => Buffer.from(s, 'utf8');

// The worked examples of rpcx-spec.md §1.16, byte for byte.
describe('spec worked examples', () => {
  it('example 1: JSON call Arith.Mul and its response', () => {
    const call = request({
      serializeType: 1,
      seq: 1n,
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      payload: text('{"A":10,"B":20}'),
    });
    const callBytes = hex(`
      08 00 00 10 00 00 00 00 00 00 00 01 00 00 00 27
      00 00 00 05 41 72 69 74 68 00 00 00 03 4d 75 6c
      00 00 00 00 00 00 00 0f 7b 22 41 22 3a 31 30 2c
      22 42 22 3a 32 30 7d`);
    expect(encodeMessage(call)).toEqual(callBytes);

    const reply = decodeMessage(
      hex(`
      08 00 80 10 00 00 00 00 00 00 00 01 00 00 00 21
      00 00 00 05 41 72 69 74 68 00 00 00 03 4d 75 6c
      00 00 00 00 00 00 00 09 7b 22 43 22 3a 32 30 30
      7d`),
    );
    expect(reply.messageType).toBe(MessageType.Response);
    expect(reply.seq).toBe(1n);
    expect(reply.servicePath).toBe('Arith');
    expect(reply.serviceMethod).toBe('Mul');
    expect(Buffer.from(reply.payload).toString()).toBe('{"C":200}');
  });

  it('example 2: MsgPack call with __AUTH metadata, and the error response', () => {
    const call = request({
      serializeType: 3,
      seq: 5n,
      servicePath: 'Arith',
      serviceMethod: 'Div',
      metadata: { __AUTH: 'abc' },
      payload: hex('82 a1 41 0a a1 42 14'),
    });
    expect(encodeMessage(call)).toEqual(
      hex(`
      08 00 00 30 00 00 00 00 00 00 00 05 00 00 00 30
      00 00 00 05 41 72 69 74 68 00 00 00 03 44 69 76
      00 00 00 11 00 00 00 06 5f 5f 41 55 54 48 00 00
      00 03 61 62 63 00 00 00 07 82 a1 41 0a a1 42 14`),
    );

    const error = decodeMessage(
      hex(`
      08 00 81 30 00 00 00 00 00 00 00 05 00 00 00 49
      00 00 00 05 41 72 69 74 68 00 00 00 03 44 69 76
      00 00 00 31 00 00 00 0e 5f 5f 72 70 63 78 5f 65
      72 72 6f 72 5f 5f 00 00 00 1b 72 70 63 78 3a 20
      63 61 6e 27 74 20 66 69 6e 64 20 6d 65 74 68 6f
      64 20 44 69 76 00 00 00 00`),
    );
    expect(error.statusType).toBe(1);
    expect({ ...error.metadata }).toEqual({ __rpcx_error__: "rpcx: can't find method Div" });
    expect(error.payload.length).toBe(0);
  });

  it('example 3: heartbeat request and its echo', () => {
    const ping = hex(`
      08 00 40 30 00 00 00 00 00 00 00 07 00 00 00 19
      00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 09
      d3 17 97 9c fe 36 2a 00 00`);
    const decoded = decodeMessage(ping);
    expect(decoded.heartbeat).toBe(true);
    expect(decoded.seq).toBe(7n);
    decoded.messageType = MessageType.Response;
    const pong = encodeMessage(decoded);
    expect(pong[2]).toBe(0xc0);
    expect(pong.subarray(3)).toEqual(ping.subarray(3));
  });

  it('example 4: server push', () => {
    const push = request({
      oneway: true,
      seq: 1n,
      servicePath: 'Notify',
      serviceMethod: 'Event',
      payload: text('hello'),
    });
    expect(encodeMessage(push)).toEqual(
      hex(`
      08 00 20 00 00 00 00 00 00 00 00 01 00 00 00 20
      00 00 00 06 4e 6f 74 69 66 79 00 00 00 05 45 76
      65 6e 74 00 00 00 00 00 00 00 05 68 65 6c 6c 6f`),
    );
  });

  it('the Go test-suite reference vector: 114 bytes, seq 1234567890', () => {
    const message = request({
      serializeType: 1,
      seq: 1234567890n,
      servicePath: 'Arith',
      serviceMethod: 'Add',
      metadata: { __ID: '6ba7b810-9dad-11d1-80b4-00c04fd430c9' },
      payload: text('{"A":1,"B":2}'.padEnd(26, ' ')),
    });
    const frame = encodeMessage(message);
    expect(frame.length).toBe(114);
    expect(frame.subarray(0, 16)).toEqual(hex('08 00 00 10 00 00 00 00 49 96 02 d2 00 00 00 62'));
    expect(frame.readUInt32BE(16 + 9 + 7)).toBe(48);
  });
});

describe('encodeMessage / decodeMessage', () => {
  it('round-trips every field, metadata compared as a map', () => {
    const message = request({
      version: 0,
      messageType: MessageType.Response,
      statusType: 1,
      serializeType: 3,
      seq: 2n ** 64n - 1n,
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      metadata: { b: '2', a: '1', '': '', 'ключ 🔑': 'значение ✓' },
      payload: text('payload'),
    });
    message.header.reserved = 5;
    const decoded = decodeMessage(encodeMessage(message));
    expect(decoded.header.bytes).toEqual(message.header.bytes);
    expect(decoded.servicePath).toBe('Arith');
    expect(decoded.serviceMethod).toBe('Mul');
    expect({ ...decoded.metadata }).toEqual({ ...message.metadata });
    expect(Buffer.from(decoded.payload)).toEqual(text('payload'));
  });

  it('writes empty metadata as metaLen 0 and decodes it to an empty map', () => {
    const frame = encodeMessage(new Message());
    expect(frame).toEqual(
      hex(`08 00 00 00 00 00 00 00 00 00 00 00 00 00 00 10${' 00'.repeat(16)}`),
    );
    const decoded = decodeMessage(frame);
    expect(Object.keys(decoded.metadata)).toEqual([]);
    expect(decoded.servicePath).toBe('');
    expect(decoded.payload.length).toBe(0);
  });

  it('keeps a __proto__ metadata key as data', () => {
    const frame = encodeMessage(request({ metadata: JSON.parse('{"__proto__":"x","k":"v"}') }));
    const decoded = decodeMessage(frame);
    expect('toString' in decoded.metadata).toBe(false); // no inherited keys
    expect(Object.getOwnPropertyDescriptor(decoded.metadata, '__proto__')?.value).toBe('x');
    expect(decoded.metadata.k).toBe('v');
  });

  it('lets a later duplicate metadata key win, as Go does', () => {
    const block = Buffer.concat([pair('k', 'first'), pair('k', 'second')]);
    const decoded = decodeMessage(frameWith({ metadata: block }));
    expect({ ...decoded.metadata }).toEqual({ k: 'second' });
  });

  it('gzips the payload when the header asks and inflates it on decode', () => {
    const payload = Buffer.alloc(4096, 'rpcx ');
    const message = request({ compressType: 1, payload });
    const frame = encodeMessage(message);
    expect(frame.length).toBeLessThan(payload.length);
    // payloadLen on the wire is the compressed size, and the bytes are a gzip stream.
    const wireLength = frame.length - 32;
    expect(frame.readUInt32BE(28)).toBe(wireLength);
    expect([...frame.subarray(32, 34)]).toEqual([0x1f, 0x8b]);
    const decoded = decodeMessage(frame);
    expect(decoded.compressType).toBe(1);
    expect(Buffer.from(decoded.payload)).toEqual(payload);
    expect(message.payload).toBe(payload); // the message itself is untouched
  });

  it('accepts a multi-member gzip stream', () => {
    const payload = Buffer.concat([gzipSync(text('hello ')), gzipSync(text('world'))]);
    const decoded = decodeMessage(frameWith({ byte2: 0x04, payload }));
    expect(Buffer.from(decoded.payload).toString()).toBe('hello world');
  });

  it('refuses to encode with an unregistered compressor', () => {
    expect(() => encodeMessage(request({ compressType: 5, payload: text('x') }))).toThrow(
      'unsupported compressor: compress type 5',
    );
  });

  it('refuses to encode past the peer limit', () => {
    const message = request({ payload: Buffer.alloc(100) });
    expectRpcxError(
      () => encodeMessage(message, { maxFrameLength: 50 }),
      ErrorCode.MessageTooLarge,
      /message is too long: 116 bytes/,
    );
  });
});

describe('decodeMessage refuses bad frames with RpcxError', () => {
  it('wrong magic number', () => {
    const frame = encodeMessage(new Message());
    frame[0] = 0x09;
    expectRpcxError(() => decodeMessage(frame), ErrorCode.Protocol, 'wrong magic number: 9');
  });

  it('a frame shorter than its prefix, or with a body length that lies', () => {
    expectRpcxError(
      () => decodeMessage(hex('08 00 00')),
      ErrorCode.Protocol,
      /shorter than the 16-byte prefix/,
    );
    const frame = encodeMessage(request({ servicePath: 'Arith' }));
    expectRpcxError(
      () => decodeMessage(frame.subarray(0, frame.length - 1)),
      ErrorCode.Protocol,
      'frame declares 21 body bytes but carries 20',
    );
  });

  it('section lengths pointing past the end', () => {
    expectRpcxError(
      () => decodeMessage(frameWith({ pathLength: 1000 })),
      ErrorCode.Protocol,
      'servicePath length 1000 points past the end of the frame',
    );
    expectRpcxError(
      () => decodeMessage(frameWith({ metaLength: 0xffffffff })),
      ErrorCode.Protocol,
      /metadata length 4294967295/,
    );
  });

  it('a payload length that disagrees with the bytes left', () => {
    expectRpcxError(
      () => decodeMessage(frameWith({ payload: text('abc'), payloadLength: 2 })),
      ErrorCode.Protocol,
      'payload length 2 does not match the 3 bytes left in the frame',
    );
  });

  it('metadata with missing keys or values, with Go’s wording', () => {
    const truncatedValue = Buffer.concat([pair('key', 'value').subarray(0, 12)]);
    expectRpcxError(
      () => decodeMessage(frameWith({ metadata: truncatedValue })),
      ErrorCode.Protocol,
      'wrong metadata lines. some keys or values are missing',
    );
    const hugeKey = hex('ff ff ff ff 00 00 00 00');
    expectRpcxError(
      () => decodeMessage(frameWith({ metadata: hugeKey })),
      ErrorCode.Protocol,
      /wrong metadata lines/,
    );
  });

  it('a frame over the length limit', () => {
    const frame = encodeMessage(request({ payload: Buffer.alloc(1000) }));
    expectRpcxError(
      () => decodeMessage(frame, { limits: { maxFrameLength: 999 } }),
      ErrorCode.MessageTooLarge,
      'message is too long: 1016 bytes exceed the limit of 999',
    );
  });

  it('a gzip bomb: inflation stops at the decompressed limit', () => {
    const bomb = gzipSync(Buffer.alloc(50 * 1024 * 1024)); // 50 MiB of zeros in ~50 KiB
    expect(bomb.length).toBeLessThan(100 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    expectRpcxError(
      () =>
        decodeMessage(frameWith({ byte2: 0x04, payload: bomb }), {
          limits: { maxDecompressedLength: 1024 * 1024 },
        }),
      ErrorCode.MessageTooLarge,
      'decompressed size exceeds the maximum allowed size of 1048576 bytes',
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(20 * 1024 * 1024);
  });

  it('an uncompressed payload over the decompressed limit', () => {
    expectRpcxError(
      () =>
        decodeMessage(frameWith({ payload: Buffer.alloc(10) }), {
          limits: { maxDecompressedLength: 9 },
        }),
      ErrorCode.MessageTooLarge,
      /payload of 10 bytes/,
    );
  });

  it('corrupt gzip and unknown compressors', () => {
    expectRpcxError(
      () => decodeMessage(frameWith({ byte2: 0x04, payload: text('not gzip') })),
      ErrorCode.Protocol,
      /^gzip: /,
    );
    expectRpcxError(
      () => decodeMessage(frameWith({ byte2: 0x0c, payload: text('x') })),
      ErrorCode.Protocol,
      'unsupported compressor: compress type 3',
    );
  });
});

function expectRpcxError(fn: () => unknown, code: string, message: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(RpcxError);
  expect((thrown as RpcxError).code).toBe(code);
  if (typeof message === 'string') expect((thrown as RpcxError).message).toBe(message);
  else expect((thrown as RpcxError).message).toMatch(message);
}

function pair(key: string, value: string): Buffer {
  const k = text(key);
  const v = text(value);
  const out = Buffer.alloc(8 + k.length + v.length);
  out.writeUInt32BE(k.length, 0);
  k.copy(out, 4);
  out.writeUInt32BE(v.length, 4 + k.length);
  v.copy(out, 8 + k.length);
  return out;
}

/** A frame assembled by hand, so that its lengths can lie. */
function frameWith(parts: {
  byte2?: number;
  metadata?: Buffer;
  payload?: Buffer;
  pathLength?: number;
  metaLength?: number;
  payloadLength?: number;
}): Buffer {
  const metadata = parts.metadata ?? Buffer.alloc(0);
  const payload = parts.payload ?? Buffer.alloc(0);
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const body = Buffer.concat([
    u32(parts.pathLength ?? 0),
    u32(0),
    u32(parts.metaLength ?? metadata.length),
    metadata,
    u32(parts.payloadLength ?? payload.length),
    payload,
  ]);
  const header = new Header();
  header.bytes[2] = parts.byte2 ?? 0;
  return Buffer.concat([header.bytes, u32(body.length), body]);
}
