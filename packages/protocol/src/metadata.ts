/**
 * The metadata block (spec §1.5): pairs of `uint32 keyLen, key, uint32 valueLen, value`, no
 * count, order not significant. Decoded maps inherit no keys, and a `__proto__` key is just a key (`newMetadata`).
 */
import { ErrorCode, type Metadata, newMetadata, RpcxError } from '@rpcx/core';
import { readText } from './text.js';
import { readUint32, writeUint32 } from './uint32.js';

const MISSING = 'wrong metadata lines. some keys or values are missing';

/** Byte length of the encoded block, for sizing the frame before writing. */
export function metadataByteLength(metadata: Metadata): number {
  let length = 0;
  for (const key in metadata) {
    length += 8 + Buffer.byteLength(key) + Buffer.byteLength(metadata[key]!);
  }
  return length;
}

/** Writes the block at `offset`; returns the offset after it. */
export function writeMetadata(target: Buffer, offset: number, metadata: Metadata): number {
  let at = offset;
  for (const key in metadata) {
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

/** Reads a block of `length` bytes at `offset`. */
export function readMetadata(source: Buffer, offset: number, length: number): Metadata {
  const metadata = newMetadata();
  const end = offset + length;
  let at = offset;
  while (at < end) {
    if (end - at < 4) throw new RpcxError(ErrorCode.Protocol, MISSING);
    const keyLength = readUint32(source, at);
    at += 4;
    // Go's check: after the key there must still be room for the value's length.
    if (keyLength > end - at - 4) throw new RpcxError(ErrorCode.Protocol, MISSING);
    const key = readText(source, at, at + keyLength);
    at += keyLength;
    const valueLength = readUint32(source, at);
    at += 4;
    if (valueLength > end - at) throw new RpcxError(ErrorCode.Protocol, MISSING);
    metadata[key] = readText(source, at, at + valueLength);
    at += valueLength;
  }
  return metadata;
}
