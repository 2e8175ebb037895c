/**
 * Message → one contiguous frame buffer (spec §1.1). The payload is compressed here when the
 * header asks for it; whether to ask (the > 1024-byte rule) is the caller's policy.
 */
import { ErrorCode, RpcxError } from '@rpcx/core';
import { type CompressorRegistry, defaultCompressors } from './compressor-registry.js';
import { frameTooLong } from './frame-errors.js';
import { HEADER_LENGTH } from './header.js';
import { MAX_UINT32 } from './limits.js';
import type { Message } from './message.js';
import { metadataByteLength, writeMetadata } from './metadata.js';
import { writeUint32 } from './uint32.js';

export interface EncodeOptions {
  compressors?: CompressorRegistry;
  /** Refuse to produce a frame body longer than this (the peer's limit). */
  maxFrameLength?: number;
}

/** Header, totalLen, then four length-prefixed sections. */
export const FRAME_PREFIX_LENGTH = HEADER_LENGTH + 4;

export function encodeMessage(message: Message, options: EncodeOptions = {}): Buffer {
  const payload = wirePayload(message, options.compressors ?? defaultCompressors);
  const pathLength = Buffer.byteLength(message.servicePath);
  const methodLength = Buffer.byteLength(message.serviceMethod);
  const metaLength = metadataByteLength(message.metadata);
  const totalLength = 16 + pathLength + methodLength + metaLength + payload.length;

  const limit = Math.min(options.maxFrameLength ?? MAX_UINT32, MAX_UINT32);
  if (totalLength > limit) {
    throw frameTooLong(totalLength, limit);
  }

  const frame = Buffer.allocUnsafe(FRAME_PREFIX_LENGTH + totalLength);
  message.header.copyTo(frame, 0);
  let at = HEADER_LENGTH;
  at = writeUint32(frame, at, totalLength);
  at = writeUint32(frame, at, pathLength);
  at += frame.write(message.servicePath, at, 'utf8');
  at = writeUint32(frame, at, methodLength);
  at += frame.write(message.serviceMethod, at, 'utf8');
  at = writeUint32(frame, at, metaLength);
  at = writeMetadata(frame, at, message.metadata);
  at = writeUint32(frame, at, payload.length);
  frame.set(payload, at);
  return frame;
}

function wirePayload(message: Message, compressors: CompressorRegistry): Uint8Array {
  const type = message.header.compressType;
  if (type === 0) return message.payload;
  const compressor = compressors.get(type);
  if (compressor === undefined) {
    throw new RpcxError(ErrorCode.InvalidArgument, `unsupported compressor: compress type ${type}`);
  }
  return compressor.compress(message.payload);
}
