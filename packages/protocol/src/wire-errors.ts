/**
 * The errors the wire format raises, each worded and coded once. Texts Go puts on the wire or
 * logs are Go's (spec §1.5, §1.7, §1.8); the rest say what was wrong and which limit applies.
 */
import { ErrorCode, RpcxError } from '@rpcx/core';

/** Bytes that are not a valid rpcx frame: the connection must be closed. */
export function protocolError(message: string): RpcxError {
  return new RpcxError(ErrorCode.Protocol, message);
}

export function frameTooLong(length: number, limit: number): RpcxError {
  return new RpcxError(
    ErrorCode.MessageTooLarge,
    `message is too long: ${length} bytes exceed the limit of ${limit} (maxFrameLength)`,
  );
}

/** Go's `ErrMetaKVMissing`. */
export function metadataMissing(): RpcxError {
  return protocolError('wrong metadata lines. some keys or values are missing');
}

export function metadataTooLarge(
  what: string,
  value: number,
  limit: number,
  option: string,
): RpcxError {
  return new RpcxError(
    ErrorCode.MessageTooLarge,
    `metadata of ${value} ${what} exceeds the limit of ${limit} (${option})`,
  );
}

/** Go's `decompressed size exceeds the maximum allowed size`, with the numbers. */
export function payloadTooLarge(limit: number, length?: number): RpcxError {
  const size = length === undefined ? 'decompressed size' : `payload of ${length} bytes`;
  return new RpcxError(
    ErrorCode.MessageTooLarge,
    `${size} exceeds the maximum allowed size of ${limit} bytes (maxDecompressedLength)`,
  );
}

/**
 * Go's `unsupported compressor`: a frame (or a call) names a compress type no compressor is
 * registered for. `Codec`, like a missing codec: the payload cannot be turned into bytes or back.
 */
export function unsupportedCompressor(compressType: number): RpcxError {
  return new RpcxError(ErrorCode.Codec, `unsupported compressor: compress type ${compressType}`);
}

/** A header field set out of its range; `range` says what it must be ("an integer in 0..15"). */
export function fieldOutOfRange(field: string, value: unknown, range: string): RpcxError {
  return new RpcxError(
    ErrorCode.InvalidArgument,
    `${field} must be ${range}, got ${String(value)}`,
  );
}
