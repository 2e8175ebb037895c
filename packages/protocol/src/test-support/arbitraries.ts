/** fast-check generators for messages and frames. */
import fc from 'fast-check';
import type { Message } from '../message.js';
import { messageOf } from './messages.js';

const metadataArbitrary = fc
  .array(
    fc.tuple(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
    ),
    { maxLength: 6 },
  )
  .map((pairs) => {
    const metadata: Record<string, string> = Object.create(null);
    for (const [key, value] of pairs) metadata[key] = value;
    return metadata;
  });

/** Any message: every header field over its whole range; gzip (type 1) for about a third. */
export const messageArbitrary: fc.Arbitrary<Message> = fc
  .record({
    version: fc.integer({ min: 0, max: 255 }),
    messageType: fc.constantFrom(0 as const, 1 as const),
    heartbeat: fc.boolean(),
    oneway: fc.boolean(),
    compressType: fc.constantFrom(0, 0, 1),
    statusType: fc.integer({ min: 0, max: 3 }),
    serializeType: fc.integer({ min: 0, max: 15 }),
    reserved: fc.integer({ min: 0, max: 15 }),
    seq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    servicePath: fc.string({ unit: 'grapheme', maxLength: 30 }),
    serviceMethod: fc.string({ unit: 'grapheme', maxLength: 30 }),
    metadata: metadataArbitrary,
    payload: fc.uint8Array({ maxLength: 3000 }),
  })
  .map(messageOf);

/** Random bytes to put before or after a frame inside a larger buffer. */
export const surroundingBytesArbitrary = fc
  .uint8Array({ maxLength: 64 })
  .map((bytes) => Buffer.from(bytes));

/** Cuts `bytes` at random points. */
export function chunkingArbitrary(length: number): fc.Arbitrary<number[]> {
  return fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) }), {
      maxLength: Math.min(40, length),
    })
    .map((cuts) => cuts.filter((cut) => cut < length).sort((a, b) => a - b));
}

export function cut(bytes: Buffer, cuts: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    if (at > from) chunks.push(bytes.subarray(from, at));
    from = at;
  }
  return chunks;
}
