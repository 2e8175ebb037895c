/**
 * readMessage reads a frame in place, where it lies in a larger buffer: the same message as
 * decodeMessage of the frame alone, synchronously unless the payload must be inflated.
 */
import { ErrorCode } from '@rpcx/core';
import { rpcxErrorOf } from '@rpcx/testing';
import fc from 'fast-check';
import { defaultCompressors } from './compressor-registry.js';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { type ReadOptions, readMessage } from './frame-reader.js';
import { DEFAULT_LIMITS } from './limits.js';
import { Message } from './message.js';
import { messageArbitrary, surroundingBytesArbitrary } from './test-support/arbitraries.js';
import { rejectionOf } from './test-support/errors.js';
import { frameWith } from './test-support/frames.js';
import { fieldsOf, messageOf } from './test-support/messages.js';

const options: ReadOptions = { compressors: defaultCompressors, limits: DEFAULT_LIMITS };

/** `frame` with `before` and `after` around it in one buffer, and where the frame lies. */
function embed(frame: Buffer, before: Buffer, after: Buffer) {
  const bytes = Buffer.concat([before, frame, after]);
  return { bytes, start: before.length, end: before.length + frame.length };
}

describe('readMessage', () => {
  it('reads a frame inside a larger buffer as decodeMessage reads the frame alone (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        messageArbitrary,
        surroundingBytesArbitrary,
        surroundingBytesArbitrary,
        async (message, before, after) => {
          const frame = encodeMessage(message);
          const { bytes, start, end } = embed(frame, before, after);
          const inPlace = await readMessage(bytes, start, end, options);
          expect(fieldsOf(inPlace)).toEqual(fieldsOf(await decodeMessage(frame)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('returns a plain Message for an uncompressed frame, its payload a view of the bytes', () => {
    const frame = encodeMessage(new Message({ servicePath: 'S', payload: Buffer.from('plain') }));
    const { bytes, start, end } = embed(frame, Buffer.from('before'), Buffer.from('after'));
    const result = readMessage(bytes, start, end, options);
    expect(result).toBeInstanceOf(Message);
    const { payload } = result as Message;
    expect(Buffer.from(payload).toString()).toBe('plain');
    expect(payload.buffer).toBe(bytes.buffer);
    expect(payload.byteOffset).toBe(bytes.byteOffset + end - 5);
  });

  it('returns a promise for a compressed frame, resolving to the inflated message', async () => {
    const frame = encodeMessage(messageOf({ compressType: 1, payload: Buffer.from('squeezed') }));
    const { bytes, start, end } = embed(frame, Buffer.from('before'), Buffer.from('after'));
    const result = readMessage(bytes, start, end, options);
    expect(result).toBeInstanceOf(Promise);
    const message = await result;
    expect(message).toBeInstanceOf(Message);
    expect(message.compressType).toBe(1);
    expect(Buffer.from(message.payload).toString()).toBe('squeezed');
  });

  it('returns a plain Message for a compressed frame with an empty payload: nothing to inflate', () => {
    const result = readMessage(frameWith({ byte2: 0x04 }), 0, 32, options);
    expect(result).toBeInstanceOf(Message);
    expect((result as Message).payload.length).toBe(0);
  });

  it('throws synchronously for a bad frame: a range shorter than the frame says', () => {
    const frame = encodeMessage(new Message({ servicePath: 'Arith' }));
    const { bytes, start, end } = embed(frame, Buffer.from('before'), Buffer.from('after'));
    const error = rpcxErrorOf(
      () => readMessage(bytes, start, end - 1, options),
      ErrorCode.Protocol,
    );
    expect(error.message).toBe('frame declares 21 body bytes but carries 20');
  });

  it('checks lengths against the end of the frame, not of the buffer it lies in', () => {
    // metaLen says 8, the frame holds 4 bytes after it, the buffer 100 more.
    const frame = frameWith({ metaLength: 8 });
    const { bytes, start, end } = embed(frame, Buffer.alloc(0), Buffer.alloc(100));
    const error = rpcxErrorOf(() => readMessage(bytes, start, end, options), ErrorCode.Protocol);
    expect(error.message).toBe('metadata length 8 points past the end of the frame');
  });

  it('throws synchronously for an unknown compress type, rejects for a payload that is not gzip', async () => {
    const unknown = frameWith({ byte2: 0x0c, payload: Buffer.from('x') });
    const thrown = rpcxErrorOf(
      () => readMessage(unknown, 0, unknown.length, options),
      ErrorCode.Codec,
    );
    expect(thrown.message).toBe('unsupported compressor: compress type 3');
    const corrupt = frameWith({ byte2: 0x04, payload: Buffer.from('not gzip') });
    const result = readMessage(corrupt, 0, corrupt.length, options);
    expect(result).toBeInstanceOf(Promise);
    const rejected = await rejectionOf(result as Promise<Message>, ErrorCode.Protocol);
    expect(rejected.message).toMatch(/^gzip: /);
  });

  it('applies the limits it is given', () => {
    const frame = encodeMessage(new Message({ metadata: { a: '1', b: '2' } }));
    const limits = { ...DEFAULT_LIMITS, maxMetadataEntries: 1 };
    const error = rpcxErrorOf(
      () => readMessage(frame, 0, frame.length, { ...options, limits }),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toBe(
      'metadata of 2 entries or more exceeds the limit of 1 (maxMetadataEntries)',
    );
  });
});
