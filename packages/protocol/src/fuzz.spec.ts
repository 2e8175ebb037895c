/**
 * Bad input, generated: whatever bytes arrive, the decoders either produce frames and messages
 * or fail with an RpcxError — never another exception, never a hang, never more memory than the
 * limits allow.
 */
import { RpcxError } from '@rpcx/core';
import fc from 'fast-check';
import { decodeMessage } from './decode.js';
import { encodeMessage } from './encode.js';
import { FrameDecoder } from './frame-decoder.js';
import { chunkingArbitrary, cut, messageArbitrary } from './test-support/arbitraries.js';

const limits = { maxFrameLength: 64 * 1024, maxDecompressedLength: 64 * 1024 };

/** Runs bytes through the FrameDecoder and decodeMessage; returns what came out or the RpcxError. */
function feed(chunks: Buffer[]): { messages: number; error?: RpcxError } {
  const decoder = new FrameDecoder(limits);
  let messages = 0;
  try {
    for (const chunk of chunks) {
      decoder.push(chunk, (frame) => {
        decodeMessage(frame, { limits });
        messages++;
      });
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(16 + limits.maxFrameLength + chunk.length);
    }
    return { messages };
  } catch (error) {
    if (!(error instanceof RpcxError)) throw error;
    return { messages, error };
  }
}

describe('property: encode → decode', () => {
  it('round-trips random messages, metadata as a map and payload after gzip', () => {
    fc.assert(
      fc.property(messageArbitrary, (message) => {
        const decoded = decodeMessage(encodeMessage(message));
        expect(decoded.header.bytes).toEqual(message.header.bytes);
        expect(decoded.seq).toBe(message.seq);
        expect(decoded.servicePath).toBe(Buffer.from(message.servicePath).toString());
        expect(decoded.serviceMethod).toBe(Buffer.from(message.serviceMethod).toString());
        const expectedMetadata = Object.fromEntries(
          Object.entries(message.metadata).map(([k, v]) => [
            Buffer.from(k).toString(),
            Buffer.from(v).toString(),
          ]),
        );
        expect({ ...decoded.metadata }).toEqual(expectedMetadata);
        expect(Buffer.from(decoded.payload)).toEqual(Buffer.from(message.payload));
      }),
      { numRuns: 300 },
    );
  });
});

describe('property: bad input yields frames or an RpcxError', () => {
  it('random bytes, randomly chunked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), (bytes, withMagic) => {
        const input = Buffer.from(bytes);
        if (withMagic && input.length > 0) input[0] = 0x08;
        feed(cut(input, [1, 7, 16, 17, 100]));
      }),
      { numRuns: 2000 },
    );
  });

  it('valid frames truncated, mutated or with bytes inserted', () => {
    const mutation = fc.record({
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      kind: fc.constantFrom('flip', 'truncate', 'insert', 'length-field'),
    });
    fc.assert(
      fc.property(
        fc.array(messageArbitrary, { minLength: 1, maxLength: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (messages, mutations) => {
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
          const result = feed([bytes]);
          expect(result.messages).toBeLessThanOrEqual(messages.length + 1);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('the same frames arrive whole whatever the chunking, even with garbage after them', () => {
    fc.assert(
      fc.property(
        messageArbitrary,
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        (message, garbage) => {
          const frame = encodeMessage(message);
          if (frame.length - 16 > limits.maxFrameLength) return;
          const input = Buffer.concat([frame, garbage]);
          return fc.assert(
            fc.property(chunkingArbitrary(input.length), (cuts) => {
              const result = feed(cut(input, cuts));
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
