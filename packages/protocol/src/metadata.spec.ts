/**
 * The metadata block (spec §1.5) and its limits: `maxMetadataBytes` is checked on the block's
 * length before a byte of it is parsed, `maxMetadataEntries` as pairs are counted.
 */
import { ErrorCode } from '@rpcx/core';
import { rpcxErrorOf } from '@rpcx/testing';
import { decodeMessage } from './decode.js';
import { DEFAULT_LIMITS, type FrameLimits } from './limits.js';
import { metadataByteLength, readMetadata, writeMetadata } from './metadata.js';
import { rejectionOf } from './test-support/errors.js';
import { emptyPairs, frameWith, pair } from './test-support/frames.js';

/** Reads `block` lying at offset 3 of a larger buffer. */
function read(block: Buffer, limits: Partial<FrameLimits> = {}) {
  const source = Buffer.concat([Buffer.from('xyz'), block, Buffer.from('after')]);
  return readMetadata(source, 3, block.length, { ...DEFAULT_LIMITS, ...limits });
}

describe('metadata block', () => {
  it('writes what metadataByteLength measured, and reads it back', () => {
    const metadata = { a: '1', '': '', ключ: 'значение ✓' };
    const length = metadataByteLength(metadata);
    const target = Buffer.alloc(length + 2);
    expect(writeMetadata(target, 1, metadata)).toBe(1 + length);
    const block = target.subarray(1, 1 + length);
    expect(block.subarray(0, 10)).toEqual(pair('a', '1'));
    expect({ ...read(block) }).toEqual(metadata);
  });

  it('measures no metadata as 0 bytes', () => {
    expect(metadataByteLength(undefined)).toBe(0);
    expect(metadataByteLength({})).toBe(0);
  });
});

describe('maxMetadataEntries', () => {
  it('refuses one pair more than the limit, naming the option', () => {
    const error = rpcxErrorOf(
      () => read(emptyPairs(4), { maxMetadataEntries: 3 }),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toBe(
      'metadata of 4 entries or more exceeds the limit of 3 (maxMetadataEntries)',
    );
  });

  it('accepts exactly the limit', () => {
    const block = Buffer.concat([pair('a', '1'), pair('b', '2'), pair('c', '3')]);
    expect({ ...read(block, { maxMetadataEntries: 3 }) }).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('stops counting at the limit, before parsing the pairs after it', () => {
    // Two good pairs, then bytes that are not a pair: refused for the count, not as malformed.
    const block = Buffer.concat([pair('a', '1'), pair('b', '2'), Buffer.from([0xff, 0xff])]);
    const error = rpcxErrorOf(
      () => read(block, { maxMetadataEntries: 2 }),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toMatch(/\(maxMetadataEntries\)$/);
    expect(rpcxErrorOf(() => read(block), ErrorCode.Protocol).message).toBe(
      'wrong metadata lines. some keys or values are missing',
    );
  });

  it('defaults to 1024 pairs', () => {
    expect(DEFAULT_LIMITS.maxMetadataEntries).toBe(1024);
    expect(Object.keys(read(emptyPairs(1024)))).toEqual(['']);
    const error = rpcxErrorOf(() => read(emptyPairs(1025)), ErrorCode.MessageTooLarge);
    expect(error.message).toBe(
      'metadata of 1025 entries or more exceeds the limit of 1024 (maxMetadataEntries)',
    );
  });

  it('is applied by decodeMessage through its limits option', async () => {
    const frame = frameWith({ metadata: emptyPairs(2) });
    const error = await rejectionOf(
      decodeMessage(frame, { limits: { maxMetadataEntries: 1 } }),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toMatch(/\(maxMetadataEntries\)$/);
  });
});

describe('maxMetadataBytes', () => {
  it('refuses a block one byte over the limit, naming the option; accepts one at the limit', () => {
    const block = pair('key', 'x'.repeat(89)); // 4 + 3 + 4 + 89 = 100 bytes
    expect(block.length).toBe(100);
    expect({ ...read(block, { maxMetadataBytes: 100 }) }).toEqual({ key: 'x'.repeat(89) });
    const error = rpcxErrorOf(
      () => read(block, { maxMetadataBytes: 99 }),
      ErrorCode.MessageTooLarge,
    );
    expect(error.message).toBe('metadata of 100 bytes exceeds the limit of 99 (maxMetadataBytes)');
  });

  it('is checked before parsing: 2 MiB of garbage gets the bytes error, not a protocol error', () => {
    const garbage = Buffer.alloc(2 * 1024 * 1024, 0xff);
    const error = rpcxErrorOf(() => read(garbage), ErrorCode.MessageTooLarge);
    expect(error.message).toBe(
      'metadata of 2097152 bytes exceeds the limit of 1048576 (maxMetadataBytes)',
    );
    // The same garbage within the limit is parsed, and is malformed.
    expect(
      rpcxErrorOf(() => read(garbage.subarray(0, 1024 * 1024)), ErrorCode.Protocol).message,
    ).toBe('wrong metadata lines. some keys or values are missing');
  });

  it('defaults to 1 MiB and is applied by decodeMessage', async () => {
    expect(DEFAULT_LIMITS.maxMetadataBytes).toBe(1024 * 1024);
    const frame = frameWith({ metadata: Buffer.alloc(2 * 1024 * 1024, 0xff) });
    const error = await rejectionOf(decodeMessage(frame), ErrorCode.MessageTooLarge);
    expect(error.message).toBe(
      'metadata of 2097152 bytes exceeds the limit of 1048576 (maxMetadataBytes)',
    );
  });
});
