import { ErrorCode, isRpcxError, type Metadata, MetadataKey, SerializeType } from '@rpcx/core';
import {
  CompressorRegistry,
  DEFAULT_LIMITS,
  decodeMessage,
  encodeMessage,
  Header,
  Message,
} from '@rpcx/protocol';
import fc from 'fast-check';
import { Client } from './client.js';
import { FrameView } from './frame-view.js';
import { RequestEncoder, type RequestFields } from './request-encoder.js';
import { TestServer } from './test-support/test-server.js';

const hex = (dump: string) => Buffer.from(dump.replace(/\s+/g, ''), 'hex');
const compressors = new CompressorRegistry();
const MAX = DEFAULT_LIMITS.maxFrameLength;
const encoder = new RequestEncoder(compressors, MAX);
const encodeRequest = (request: RequestFields, seq: number, serverTimeout?: string) =>
  encoder.encode(request, seq, serverTimeout);

/** `frame` inside a bigger chunk, between other bytes, as the frame decoder hands it out. */
function readAt(view: FrameView, frame: Buffer, limits = DEFAULT_LIMITS): void {
  const chunk = Buffer.concat([Buffer.alloc(7, 0xee), frame, Buffer.alloc(5, 0xee)]);
  view.read(chunk, 7, 7 + frame.length, compressors, limits);
}

/** The same request through @rpcx/protocol. */
function viaProtocol(request: RequestFields, seq: number, serverTimeout?: string): Buffer {
  const header = new Header();
  header.bytes[2] = request.flags;
  header.serializeType = request.serializeType;
  header.seqNumber = seq;
  const metadata: Metadata = Object.assign(Object.create(null), request.metadata);
  if (serverTimeout !== undefined) metadata[MetadataKey.ServerTimeout] = serverTimeout;
  return encodeMessage(
    new Message({
      header,
      servicePath: request.servicePath,
      serviceMethod: request.serviceMethod,
      metadata,
      payload: request.payload,
    }),
    { compressors },
  );
}

const text = fc.string({ unit: 'binary', maxLength: 12 });
const requestArbitrary = fc.record({
  flags: fc.constantFrom(0x00, 0x20, 0x40),
  serializeType: fc.integer({ min: 0, max: 15 }),
  servicePath: text,
  serviceMethod: text,
  metadata: fc.option(fc.dictionary(text, text, { maxKeys: 4 }), { nil: undefined }),
  payload: fc.uint8Array({ maxLength: 64 }),
});

describe('client framing', () => {
  it('writes requests byte for byte as encodeMessage does (property)', () => {
    fc.assert(
      fc.property(
        requestArbitrary,
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.option(fc.integer({ min: 1, max: 1_000_000 }).map(String), { nil: undefined }),
        (request, seq, serverTimeout) => {
          const ours = encodeRequest(request, seq, serverTimeout);
          // Metadata order is free on the wire: compare decoded messages and lengths.
          const theirs = viaProtocol(request, seq, serverTimeout);
          if (request.metadata === undefined || Object.keys(request.metadata).length < 2) {
            expect(ours).toEqual(theirs);
          }
          const a = decodeMessage(ours);
          const b = decodeMessage(theirs);
          expect(ours.length).toBe(theirs.length);
          expect(a.header.bytes).toEqual(b.header.bytes);
          expect([a.servicePath, a.serviceMethod]).toEqual([b.servicePath, b.serviceMethod]);
          expect({ ...a.metadata }).toEqual({ ...b.metadata });
          expect(a.payload).toEqual(b.payload);
        },
      ),
    );
  });

  it('writes a prepared request at an offset, touching no byte outside it', () => {
    const request = {
      flags: 0,
      serializeType: 1,
      servicePath: 'Arith',
      serviceMethod: 'Mul',
      metadata: { k: 'v' },
      payload: Buffer.from('{"A":1}'),
    };
    const alone = encodeRequest(request, 9, '100');
    const length = encoder.prepare(request, 9, '100');
    expect(length).toBe(alone.length);
    const target = Buffer.alloc(length + 20, 0xee);
    encoder.writeFrame(target, 11);
    expect(target.subarray(11, 11 + length)).toEqual(alone);
    expect(target.subarray(0, 11).every((byte) => byte === 0xee)).toBe(true);
    expect(target.subarray(11 + length).every((byte) => byte === 0xee)).toBe(true);
  });

  it('lets __ServerTimeout replace a value the caller put in the metadata', () => {
    const request = {
      flags: 0,
      serializeType: 1,
      servicePath: 'A',
      serviceMethod: 'B',
      metadata: { [MetadataKey.ServerTimeout]: '99999', k: 'v' },
      payload: new Uint8Array(0),
    };
    const message = decodeMessage(encodeRequest(request, 1, '250'));
    expect({ ...message.metadata }).toEqual({ [MetadataKey.ServerTimeout]: '250', k: 'v' });
  });

  it('compresses when the flags say so, and refuses unknown compressors and long frames', () => {
    const payload = Buffer.alloc(5000, 3);
    const request = {
      flags: 1 << 2,
      serializeType: 0,
      servicePath: 'S',
      serviceMethod: 'M',
      metadata: undefined,
      payload,
    };
    const frame = encodeRequest(request, 0);
    expect(frame.length).toBeLessThan(200);
    expect(Buffer.from(decodeMessage(frame).payload)).toEqual(payload);
    expect(() => encodeRequest({ ...request, flags: 5 << 2 }, 0)).toThrow(
      'unsupported compressor: compress type 5',
    );
    expect(() =>
      new RequestEncoder(compressors, 1000).encode({ ...request, flags: 0 }, 0, undefined),
    ).toThrow(/message is too long/);
  });

  it('reads any frame as decodeMessage does (property)', () => {
    const view = new FrameView();
    fc.assert(
      fc.property(
        requestArbitrary,
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: 3 }),
        (request, seq, status) => {
          const frame = viaProtocol({ ...request, flags: request.flags | 0x80 | status }, seq);
          const message = decodeMessage(frame);
          readAt(view, frame);
          expect(view.flags).toBe(frame[2]);
          expect(view.serializeType).toBe(message.serializeType);
          expect(view.seq).toBe(seq);
          expect({ ...view.metadata }).toEqual({ ...message.metadata });
          expect(view.payload).toEqual(message.payload);
        },
      ),
    );
  });

  it('refuses what decodeMessage refuses', () => {
    const view = new FrameView();
    const good = viaProtocol(
      {
        flags: 0x80,
        serializeType: 1,
        servicePath: 'Arith',
        serviceMethod: 'Mul',
        metadata: { k: 'v' },
        payload: Buffer.from('{}'),
      },
      1,
    );
    const refused = (frame: Buffer) => {
      let viewError: unknown;
      let protocolError: unknown;
      try {
        readAt(view, frame, { ...DEFAULT_LIMITS, maxDecompressedLength: 1 });
      } catch (error) {
        viewError = error;
      }
      try {
        decodeMessage(frame, { limits: { maxDecompressedLength: 1 } });
      } catch (error) {
        protocolError = error;
      }
      expect(isRpcxError(viewError)).toBe(true);
      expect(isRpcxError(protocolError)).toBe(true);
      return (viewError as { code: string }).code;
    };
    // Payload over maxDecompressedLength.
    expect(refused(good)).toBe(ErrorCode.MessageTooLarge);
    // Every truncation of a length field's target.
    const lying = Buffer.from(good);
    lying.writeUInt32BE(200, 16); // servicePath length past the end
    expect(refused(lying)).toBe(ErrorCode.Protocol);
    const badMeta = Buffer.from(good);
    badMeta.writeUInt32BE(3, 16 + 4 + 5 + 4 + 3 + 4); // key length leaves no room for the value
    expect(refused(badMeta)).toBe(ErrorCode.Protocol);
    const badPayload = Buffer.from(good);
    badPayload.writeUInt32BE(1, badPayload.length - 6); // payloadLen disagrees
    expect(refused(badPayload)).toBe(ErrorCode.Protocol);
  });

  it('produces the spec’s worked examples (§1.16)', async () => {
    // Example 2: MsgPack Arith.Div, seq 5, metadata {"__AUTH":"abc"}.
    expect(
      encodeRequest(
        {
          flags: 0,
          serializeType: SerializeType.MsgPack,
          servicePath: 'Arith',
          serviceMethod: 'Div',
          metadata: { __AUTH: 'abc' },
          payload: hex('82 a1 41 0a a1 42 14'),
        },
        5,
      ),
    ).toEqual(
      hex(`08 00 00 30 00 00 00 00 00 00 00 05 00 00 00 30
           00 00 00 05 41 72 69 74 68 00 00 00 03 44 69 76
           00 00 00 11 00 00 00 06 5f 5f 41 55 54 48 00 00
           00 03 61 62 63 00 00 00 07 82 a1 41 0a a1 42 14`),
    );

    // Example 1, through a client: JSON Arith.Mul({"A":10,"B":20}) as the second call (seq 1).
    const server = await TestServer.start();
    const client = new Client({ address: server.address, serializeType: SerializeType.JSON });
    try {
      await client.call('Arith', 'Mul', { A: 1, B: 1 });
      await expect(client.call('Arith', 'Mul', { A: 10, B: 20 })).resolves.toEqual({ C: 200 });
      expect(server.frames[1]).toEqual(
        hex(`08 00 00 10 00 00 00 00 00 00 00 01 00 00 00 27
             00 00 00 05 41 72 69 74 68 00 00 00 03 4d 75 6c
             00 00 00 00 00 00 00 0f 7b 22 41 22 3a 31 30 2c
             22 42 22 3a 32 30 7d`),
      );
    } finally {
      await client.close();
      await server.close();
    }
  });
});
