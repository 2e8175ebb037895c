/**
 * The metadata block (spec §1.5): pairs of `uint32 keyLen, key, uint32 valueLen, value`, no
 * count, order not significant. Decoded maps inherit no keys, and a `__proto__` key is just a key
 * (`newMetadata`).
 */
import { ErrorCode, type Metadata, newMetadata, RpcxError } from '@rpcx/core';
import type { FrameLimits } from './limits.js';
import { readText } from './text.js';
import { readUint32, writeUint32 } from './uint32.js';
import { metadataMissing, metadataTooLarge } from './wire-errors.js';

/**
 * Byte length of the encoded block (without the pair `skipKey`, if given), for sizing the frame
 * before writing. Every value must be a string: checked here, so that writing never fails
 * halfway through a frame.
 */
export function metadataByteLength(
  metadata: Readonly<Metadata> | undefined,
  skipKey?: string,
): number {
  let length = 0;
  for (const key in metadata) {
    if (key === skipKey) continue;
    const value = metadata[key];
    if (typeof value !== 'string') {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `metadata value of "${key}" must be a string, got ${typeof value}`,
      );
    }
    length += 8 + Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  return length;
}

/** Writes the block at `offset` (without the pair `skipKey`); returns the offset after it. */
export function writeMetadata(
  target: Buffer,
  offset: number,
  metadata: Readonly<Metadata> | undefined,
  skipKey?: string,
): number {
  let at = offset;
  for (const key in metadata) {
    if (key === skipKey) continue;
    at = writeString(target, at, key);
    at = writeString(target, at, metadata[key]!);
  }
  return at;
}

function writeString(target: Buffer, offset: number, value: string): number {
  const length = target.write(value, offset + 4, 'utf8');
  writeUint32(target, offset, length);
  return offset + 4 + length;
}

/**
 * Reads a block of `length` bytes at `offset`, refusing a block over `maxMetadataBytes` before
 * reading it and one with more than `maxMetadataEntries` pairs as soon as it has that many.
 */
export function readMetadata(
  source: Buffer,
  offset: number,
  length: number,
  limits: Pick<FrameLimits, 'maxMetadataEntries' | 'maxMetadataBytes'>,
): Metadata {
  if (length > limits.maxMetadataBytes) {
    throw metadataTooLarge('bytes', length, limits.maxMetadataBytes, 'maxMetadataBytes');
  }
  const metadata = newMetadata();
  const end = offset + length;
  const maxEntries = limits.maxMetadataEntries;
  let entries = 0;
  let at = offset;
  while (at < end) {
    if (++entries > maxEntries) {
      throw metadataTooLarge('entries or more', entries, maxEntries, 'maxMetadataEntries');
    }
    if (end - at < 4) throw metadataMissing();
    const keyLength = readUint32(source, at);
    at += 4;
    // Go's check: after the key there must still be room for the value's length.
    if (keyLength > end - at - 4) throw metadataMissing();
    const key = readText(source, at, at + keyLength);
    at += keyLength;
    const valueLength = readUint32(source, at);
    at += 4;
    if (valueLength > end - at) throw metadataMissing();
    metadata[key] = readText(source, at, at + valueLength);
    at += valueLength;
  }
  return metadata;
}
