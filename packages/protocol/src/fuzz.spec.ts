/**
 * Bad input, generated: whatever bytes arrive, the FrameDecoder and the frame reader either
 * produce frames and messages or fail with an RpcxError — never another exception, never a
 * hang, never more memory than the limits allow.
 */
import { RpcxError } from '@rpcx/core';
import fc from 'fast-check';
import { defaultCompressors } from './compressor-registry.js';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { FrameDecoder } from './frame-decoder.js';
import { readMessage } from './frame-reader.js';
import { resolveLimits } from './limits.js';
import { chunkingArbitrary, cut, messageArbitrary } from './test-support/arbitraries.js';

const limits = resolveLimits({ maxFrameLength: 64 * 1024, maxDecompressedLength: 64 * 1024 });

/** `run`'s RpcxError, or undefined if it succeeded; any other exception fails the test. */
async function rpcxFailureOf(run: () => unknown): Promise<RpcxError | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    if (!(error instanceof RpcxError)) throw error;
    return error;
  }
}

/** Splits chunks into frames, then decodes them; how many decoded before the first RpcxError. */
async function feed(chunks: Buffer[]): Promise<{ messages: number; error?: RpcxError }> {
  const decoder = new FrameDecoder(limits);
  const frames: Buffer[] = [];
  const splitError = await rpcxFailureOf(() => {
    for (const chunk of chunks) {
      decoder.push(chunk, (frame) => frames.push(frame));
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(16 + limits.maxFrameLength + chunk.length);
    }
  });
  let messages = 0;
  for (const frame of frames) {
    const error = await rpcxFailureOf(() => decodeMessage(frame, { limits }));
    if (error !== undefined) return { messages, error };
    messages++;
  }
  return { messages, error: splitError };
}

describe('property: bad input yields frames or an RpcxError', () => {
  it('random bytes, randomly chunked', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2048 }),
        fc.boolean(),
        async (bytes, withMagic) => {
          const input = Buffer.from(bytes);
          if (withMagic && input.length > 0) input[0] = 0x08;
          await feed(cut(input, [1, 7, 16, 17, 100]));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random bytes read in place as a frame at any range of a buffer', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 16, maxLength: 512 }),
        fc.nat(),
        fc.nat(),
        async (bytes, a, b) => {
          const buffer = Buffer.from(bytes);
          buffer[a % buffer.length] = 0x08;
          const start = a % buffer.length;
          const end = start + (b % (buffer.length - start + 1));
          const options = { compressors: defaultCompressors, limits };
          const error = await rpcxFailureOf(() => readMessage(buffer, start, end, options));
          // Accepted only if the range is exactly the frame its prefix declares.
          if (error === undefined) expect(end - start).toBe(16 + buffer.readUInt32BE(start + 12));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('valid frames truncated, mutated or with bytes inserted', async () => {
    const mutation = fc.record({
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      kind: fc.constantFrom('flip', 'truncate', 'insert', 'length-field'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArbitrary, { minLength: 1, maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        async (messages, mutations) => {
          let bytes = Buffer.concat(messages.map((m) => encodeMessage(m)));
          for (const { at, byte, kind } of mutations) {
            const i = at % bytes.length;
            if (kind === 'flip') bytes[i] = byte;
            else if (kind === 'truncate') bytes = bytes.subarray(0, i);
            else if (kind === 'insert')
              bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
            else {
              // Overwrite totalLen or spLen with a large or random length.
              const field = i % 2 === 0 ? 12 : 16;
              if (bytes.length >= field + 4) bytes.writeUInt32BE(((byte << 24) | at) >>> 0, field);
            }
            if (bytes.length === 0) return;
          }
          const result = await feed([bytes]);
          expect(result.messages).toBeLessThanOrEqual(messages.length + 1);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('the same frames arrive whole whatever the chunking, even with garbage after them', async () => {
    await fc.assert(
      fc.asyncProperty(
        messageArbitrary,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        async (message, garbage) => {
          const frame = encodeMessage(message);
          if (frame.length - 16 > limits.maxFrameLength) return;
          const input = Buffer.concat([frame, garbage]);
          await fc.assert(
            fc.asyncProperty(chunkingArbitrary(input.length), async (cuts) => {
              const result = await feed(cut(input, cuts));
              expect(result.messages).toBeGreaterThanOrEqual(1);
            }),
            { numRuns: 3 },
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
