/**
 * FrameWriter: `prepare` measures a frame and refuses what cannot be written; `writeFrame` writes
 * it at any offset of a buffer, exactly the bytes `encodeMessage` gives and nothing around them.
 */
import { ErrorCode } from '@rpcx/core';
import { rpcxErrorOf } from '@rpcx/testing';
import fc from 'fast-check';
import { CompressorRegistry } from './compressor-registry.js';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { FrameDecoder } from './frame-decoder.js';
import type { FrameFields } from './frame-fields.js';
import { encodeFrame, FrameWriter } from './frame-writer.js';
import { Message } from './message.js';
import { messageArbitrary, surroundingBytesArbitrary } from './test-support/arbitraries.js';
import { messageOf } from './test-support/messages.js';

/** The prepared frame of `writer`, written between `before` and `after` in one buffer. */
function writeBetween(writer: FrameWriter, before: Buffer, after: Buffer): Buffer {
  const target = Buffer.concat([before, Buffer.alloc(writer.frameLength), after]);
  writer.writeFrame(target, before.length);
  return target;
}

describe('FrameWriter.writeFrame', () => {
  it('writes the bytes of encodeMessage at any offset and touches nothing around them (property)', () => {
    fc.assert(
      fc.property(
        messageArbitrary,
        surroundingBytesArbitrary,
        surroundingBytesArbitrary,
        (message, before, after) => {
          const expected = encodeMessage(message);
          const writer = new FrameWriter().prepare(message);
          expect(writer.frameLength).toBe(expected.length);
          expect(writeBetween(writer, before, after)).toEqual(
            Buffer.concat([before, expected, after]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('writes frame after frame into one buffer, a stream the FrameDecoder splits back', () => {
    const messages = ['A', 'Bee', ''].map(
      (servicePath, i) => new Message({ servicePath, payload: Buffer.alloc(i * 100, i) }),
    );
    const writer = new FrameWriter();
    const lengths = messages.map((message) => writer.prepare(message).frameLength);
    const stream = Buffer.alloc(lengths.reduce((sum, length) => sum + length, 0));
    let at = 0;
    for (const message of messages) {
      const { frameLength } = writer.prepare(message);
      writer.writeFrame(stream, at);
      at += frameLength;
    }
    expect(new FrameDecoder().pushAll(stream)).toEqual(messages.map((m) => encodeMessage(m)));
  });

  it('frames any FrameFields, not only a Message; undefined metadata is metaLen 0', () => {
    const message = messageOf({
      serializeType: 1,
      seq: 2n ** 40n + 3n,
      servicePath: 'S',
      serviceMethod: 'M',
    });
    message.payload = Buffer.from('{}');
    const fields: FrameFields = {
      version: 0,
      flags: 0,
      serializeType: 1,
      reserved: 0,
      seqHigh: 2 ** 8,
      seqLow: 3,
      servicePath: 'S',
      serviceMethod: 'M',
      metadata: undefined,
      payload: Buffer.from('{}'),
    };
    expect(encodeFrame(fields)).toEqual(encodeMessage(message));
  });

  it('writes serverTimeout as the __ServerTimeout pair, replacing one in the metadata', async () => {
    const base = { version: 0, flags: 0, serializeType: 1, reserved: 0, seqHigh: 0, seqLow: 7 };
    const paths = { servicePath: 'S', serviceMethod: 'M', payload: Buffer.from('{}') };
    const metadata = { a: '1', __ServerTimeout: '999' };
    const frame = encodeFrame({ ...base, ...paths, metadata, serverTimeout: '42' });
    // The same bytes as the metadata written out with the value replaced.
    const expected = messageOf({ serializeType: 1, seq: 7n, servicePath: 'S', serviceMethod: 'M' });
    expected.payload = paths.payload;
    expected.metadata = { a: '1', __ServerTimeout: '42' };
    expect(frame).toEqual(encodeMessage(expected));
    // The caller's map is left as it was; without metadata the pair is the whole block.
    expect(metadata.__ServerTimeout).toBe('999');
    const alone = await decodeMessage(
      encodeFrame({ ...base, ...paths, metadata: undefined, serverTimeout: '5000' }),
    );
    expect({ ...alone.metadata }).toEqual({ __ServerTimeout: '5000' });
  });
});

describe('FrameWriter.prepare refuses, before anything is written', () => {
  const held = new Message({ servicePath: 'Held', payload: Buffer.from('still here') });

  it.each<[string, unknown]>([
    ['a number', 5],
    ['undefined', undefined],
    ['an object', { nested: 'x' }],
  ])(
    'a metadata value that is %s, with invalid_argument, keeping the frame it held',
    (_kind, value) => {
      const bad = new Message({ metadata: { ok: 'x', bad: value as string } });
      const writer = new FrameWriter().prepare(held);
      const error = rpcxErrorOf(() => writer.prepare(bad), ErrorCode.InvalidArgument);
      expect(error.message).toBe(`metadata value of "bad" must be a string, got ${typeof value}`);
      // Nothing of the refused frame was kept: the writer still writes the frame it held.
      const target = writeBetween(writer, Buffer.from('<'), Buffer.from('>'));
      expect(target).toEqual(
        Buffer.concat([Buffer.from('<'), encodeMessage(held), Buffer.from('>')]),
      );
      expect(() => encodeMessage(bad)).toThrow(error.message);
    },
  );

  it('a frame body over maxFrameLength, with message_too_large; one at the limit passes', () => {
    const message = new Message({ payload: Buffer.alloc(100) }); // body: 4 + 4 + 4 + 4 + 100
    const writer = new FrameWriter({ maxFrameLength: 115 });
    const error = rpcxErrorOf(() => writer.prepare(message), ErrorCode.MessageTooLarge);
    expect(error.message).toBe(
      'message is too long: 116 bytes exceed the limit of 115 (maxFrameLength)',
    );
    expect(() => encodeMessage(message, { maxFrameLength: 115 })).toThrow(error.message);
    expect(new FrameWriter({ maxFrameLength: 116 }).prepare(message).frameLength).toBe(132);
  });

  it('measures maxFrameLength on the wire, after compression', () => {
    const message = messageOf({ compressType: 1, payload: Buffer.alloc(100_000) });
    const frame = encodeMessage(message, { maxFrameLength: 1000 });
    expect(frame.length).toBeLessThan(1000);
  });

  it('a compress type with no compressor, with codec', () => {
    const withoutGzip = new CompressorRegistry([]);
    const gzip = messageOf({ compressType: 1, payload: Buffer.from('x') });
    const error = rpcxErrorOf(
      () => new FrameWriter({ compressors: withoutGzip }).prepare(gzip),
      ErrorCode.Codec,
    );
    expect(error.message).toBe('unsupported compressor: compress type 1');
    const five = messageOf({ compressType: 5, payload: Buffer.from('x') });
    expect(rpcxErrorOf(() => encodeMessage(five), ErrorCode.Codec).message).toBe(
      'unsupported compressor: compress type 5',
    );
  });
});

describe('FrameWriter compression', () => {
  it('puts the output of the compress type’s compressor on the wire, its length as payloadLen', () => {
    const reverse = {
      compressType: 5,
      name: 'reverse',
      compress: (bytes: Uint8Array) => Buffer.from(bytes).reverse(),
      decompress: async (bytes: Uint8Array) => Buffer.from(bytes).reverse(),
    };
    const message = messageOf({ compressType: 5, payload: Buffer.from('abc') });
    const frame = encodeMessage(message, { compressors: new CompressorRegistry([reverse]) });
    expect(frame.readUInt32BE(frame.length - 7)).toBe(3);
    expect(frame.subarray(frame.length - 3).toString()).toBe('cba');
    expect(frame[2]).toBe(5 << 2); // the header keeps the compress type
    expect(Buffer.from(message.payload).toString()).toBe('abc');
  });
});
