/**
 * gzipCompressor (compress type 1, spec §1.7): any gzip stream inflates, off the event loop, and
 * inflation stops at the cap as the output arrives — a gzip bomb is refused, not held.
 */
import { gzipSync } from 'node:zlib';
import { ErrorCode } from '@rpcx/core';
import { decodeMessage } from './decode.js';
import { gzipCompressor } from './gzip.js';
import { DEFAULT_LIMITS } from './limits.js';
import { rejectionOf } from './test-support/errors.js';
import { frameWith } from './test-support/frames.js';

const MiB = 1024 * 1024;

describe('gzipCompressor', () => {
  it('round-trips payloads of any size, compressing to a standard gzip stream', async () => {
    for (const size of [0, 1, 1000, 64 * 1024 + 1, 3 * MiB]) {
      const plain = Buffer.alloc(size);
      for (let i = 0; i < size; i++) plain[i] = (i * 7919) % 251;
      const packed = gzipCompressor.compress(plain);
      expect([...packed.subarray(0, 3)]).toEqual([0x1f, 0x8b, 0x08]);
      const inflated = Buffer.from(await gzipCompressor.decompress(packed, size));
      // Buffer#equals: jest's toEqual walks a 3 MiB buffer element by element for seconds.
      expect(inflated.length).toBe(size);
      expect(inflated.equals(plain)).toBe(true);
    }
  });

  it('accepts a multi-member stream', async () => {
    const packed = Buffer.concat([gzipSync('hello '), gzipSync('wide '), gzipSync('world')]);
    expect(Buffer.from(await gzipCompressor.decompress(packed, 100)).toString()).toBe(
      'hello wide world',
    );
  });

  it('inflates exactly the cap, and refuses one byte more with message_too_large', async () => {
    const packed = gzipSync(Buffer.alloc(1000, 'a'));
    expect((await gzipCompressor.decompress(packed, 1000)).length).toBe(1000);
    const error = await rejectionOf(
      gzipCompressor.decompress(packed, 999),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toBe(
      'decompressed size exceeds the maximum allowed size of 999 bytes (maxDecompressedLength)',
    );
  });

  it('refuses corrupt or truncated gzip with protocol', async () => {
    const packed = gzipSync(Buffer.from('some payload'));
    for (const bad of [Buffer.from('not gzip'), packed.subarray(0, packed.length - 6)]) {
      const error = await rejectionOf(gzipCompressor.decompress(bad, MiB), ErrorCode.Protocol);
      expect(error.message).toMatch(/^gzip: /);
    }
  });

  it('lets the event loop turn while a 32 MiB payload inflates', async () => {
    const packed = gzipSync(Buffer.alloc(32 * MiB, 'rpcx'));
    let ticks = 0;
    let inflating = true;
    const tick = () => {
      if (!inflating) return;
      ticks++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const plain = await gzipCompressor.decompress(packed, 64 * MiB);
    inflating = false;
    expect(plain.length).toBe(32 * MiB);
    // Inflated on the event loop (gunzipSync), the loop would not turn at all before the end.
    expect(ticks).toBeGreaterThan(100);
  });
});

describe('a gzip bomb: 200 MiB of zeros in about 200 KiB', () => {
  let bomb: Buffer;
  beforeAll(() => {
    bomb = gzipSync(Buffer.alloc(200 * MiB));
    expect(bomb.length).toBeLessThan(MiB);
  });

  it('is refused at the default 64 MiB cap when a frame carries it', async () => {
    expect(DEFAULT_LIMITS.maxDecompressedLength).toBe(64 * MiB);
    const frame = frameWith({ byte2: 0x04, payload: bomb });
    const error = await rejectionOf(decodeMessage(frame), ErrorCode.MessageTooLarge);
    expect(error.message).toBe(
      'decompressed size exceeds the maximum allowed size of 67108864 bytes (maxDecompressedLength)',
    );
  });

  it('is stopped as it inflates: under a 1 MiB cap, memory grows by little more than the cap', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const error = await rejectionOf(
      gzipCompressor.decompress(bomb, MiB),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toBe(
      'decompressed size exceeds the maximum allowed size of 1048576 bytes (maxDecompressedLength)',
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * MiB);
  });
});
