/**
 * Compress type 1 (spec §1.7). Any valid gzip stream is accepted, multi-member included.
 * Inflation runs on libuv's thread pool and hands its output back in 64 KiB pieces, so a large
 * payload never holds the event loop for more than one piece; the output is counted as it comes
 * and inflation stops as soon as it passes the cap (the gzip-bomb guard Go added in 2026), the
 * pieces so far left to the garbage collector.
 */
import { constants as bufferConstants } from 'node:buffer';
import { gunzip, gzipSync } from 'node:zlib';
import { type Compressor, CompressType, isRpcxError, type RpcxError } from '@rpcx/core';
import { payloadTooLarge, protocolError } from './wire-errors.js';

const OUTPUT_PIECE = 64 * 1024;

export const gzipCompressor: Compressor = {
  compressType: CompressType.Gzip,
  name: 'gzip',

  compress(bytes: Uint8Array): Uint8Array {
    return gzipSync(bytes);
  },

  decompress(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
    // zlib takes a cap of 1 byte up to the largest Buffer; "no limit" (Infinity) is the latter.
    const cap = Math.max(1, Math.min(maxBytes, bufferConstants.MAX_LENGTH));
    return new Promise((resolve, reject) => {
      gunzip(bytes, { maxOutputLength: cap, chunkSize: OUTPUT_PIECE }, (error, plain) => {
        if (error !== null) reject(gunzipError(error, maxBytes));
        else if (plain.length > maxBytes) reject(payloadTooLarge(maxBytes));
        else resolve(plain);
      });
    });
  },
};

/**
 * zlib's error, reworded. Not kept as `cause`: until its stack is read, Node's error holds the
 * inflater and every piece inflated so far — up to the cap — for as long as anyone keeps ours.
 */
function gunzipError(error: NodeJS.ErrnoException, maxBytes: number): RpcxError {
  if (isRpcxError(error)) return error;
  if (error.code === 'ERR_BUFFER_TOO_LARGE') return payloadTooLarge(maxBytes);
  return protocolError(`gzip: ${error.message}`);
}
