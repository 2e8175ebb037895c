/**
 * decodeMessage refuses a bad frame with an RpcxError — as a rejection, never a synchronous throw
 * — where Go would recover a slice panic and return a half-filled message (spec §1.1).
 */
import { gzipSync } from 'node:zlib';
import { ErrorCode } from '@rpcx/core';
import { hex } from '@rpcx/testing';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { Message } from './message.js';
import { rejectionOf } from './test-support/errors.js';
import { frameWith, pair } from './test-support/frames.js';

const text = (s: string) => Buffer.from(s, 'utf8');

describe('decodeMessage refuses bad frames', () => {
  it('as a rejected promise, not a synchronous throw', async () => {
    let pending: Promise<Message> | undefined;
    expect(() => {
      pending = decodeMessage(hex('47 45 54'));
    }).not.toThrow();
    const error = await rejectionOf(pending!, ErrorCode.Protocol);
    expect(error.message).toBe('frame of 3 bytes is shorter than the 16-byte prefix');
  });

  it('a wrong magic number', async () => {
    const frame = encodeMessage(new Message());
    frame[0] = 0x09;
    const error = await rejectionOf(decodeMessage(frame), ErrorCode.Protocol);
    expect(error.message).toBe('wrong magic number: 9');
  });

  it('a frame that carries fewer bytes than its body length says', async () => {
    const frame = encodeMessage(new Message({ servicePath: 'Arith' }));
    const error = await rejectionOf(
      decodeMessage(frame.subarray(0, frame.length - 1)),
      ErrorCode.Protocol,
    );
    expect(error.message).toBe('frame declares 21 body bytes but carries 20');
  });

  it('section lengths pointing past the end of the frame', async () => {
    const path = await rejectionOf(
      decodeMessage(frameWith({ pathLength: 1000 })),
      ErrorCode.Protocol,
    );
    expect(path.message).toBe('servicePath length 1000 points past the end of the frame');
    const meta = await rejectionOf(
      decodeMessage(frameWith({ metaLength: 0xffffffff })),
      ErrorCode.Protocol,
    );
    expect(meta.message).toBe('metadata length 4294967295 points past the end of the frame');
  });

  it('a payload length that disagrees with the bytes left', async () => {
    const error = await rejectionOf(
      decodeMessage(frameWith({ payload: text('abc'), payloadLength: 2 })),
      ErrorCode.Protocol,
    );
    expect(error.message).toBe('payload length 2 does not match the 3 bytes left in the frame');
  });

  it('metadata with missing keys or values, in Go’s words', async () => {
    const missing = 'wrong metadata lines. some keys or values are missing';
    const truncatedValue = pair('key', 'value').subarray(0, 12);
    const hugeKey = hex('ff ff ff ff 00 00 00 00');
    for (const metadata of [truncatedValue, hugeKey]) {
      const error = await rejectionOf(decodeMessage(frameWith({ metadata })), ErrorCode.Protocol);
      expect(error.message).toBe(missing);
    }
  });

  it('a frame over maxFrameLength', async () => {
    const frame = encodeMessage(new Message({ payload: Buffer.alloc(1000) }));
    const error = await rejectionOf(
      decodeMessage(frame, { limits: { maxFrameLength: 999 } }),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toBe(
      'message is too long: 1016 bytes exceed the limit of 999 (maxFrameLength)',
    );
  });

  it('an uncompressed payload over maxDecompressedLength', async () => {
    const frame = frameWith({ payload: Buffer.alloc(10) });
    const error = await rejectionOf(
      decodeMessage(frame, { limits: { maxDecompressedLength: 9 } }),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toBe(
      'payload of 10 bytes exceeds the maximum allowed size of 9 bytes (maxDecompressedLength)',
    );
    await expect(
      decodeMessage(frame, { limits: { maxDecompressedLength: 10 } }),
    ).resolves.toBeInstanceOf(Message);
  });

  it('a gzip payload that inflates past maxDecompressedLength', async () => {
    const frame = frameWith({ byte2: 0x04, payload: gzipSync(Buffer.alloc(2 * 1024 * 1024)) });
    const error = await rejectionOf(
      decodeMessage(frame, { limits: { maxDecompressedLength: 1024 * 1024 } }),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toBe(
      'decompressed size exceeds the maximum allowed size of 1048576 bytes (maxDecompressedLength)',
    );
  });

  it('a gzip payload that is not gzip', async () => {
    const frame = frameWith({ byte2: 0x04, payload: text('not gzip') });
    const error = await rejectionOf(decodeMessage(frame), ErrorCode.Protocol);
    expect(error.message).toMatch(/^gzip: /);
  });

  it('a compress type with no compressor registered', async () => {
    const frame = frameWith({ byte2: 0x0c, payload: text('x') });
    const error = await rejectionOf(decodeMessage(frame), ErrorCode.Codec);
    expect(error.message).toBe('unsupported compressor: compress type 3');
  });
});
