/**
 * Compress type 1 (spec §1.7). Any valid gzip stream is accepted, multi-member included; output
 * past the cap stops inflation with `MessageTooLarge` (the gzip-bomb guard Go added in 2026).
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { type Compressor, CompressType, ErrorCode, RpcxError } from '@rpcx/core';

export const gzipCompressor: Compressor = {
  compressType: CompressType.Gzip,
  name: 'gzip',

  compress(bytes: Uint8Array): Uint8Array {
    return gzipSync(bytes);
  },

  decompress(bytes: Uint8Array, maxBytes: number): Uint8Array {
    try {
      return gunzipSync(bytes, { maxOutputLength: Math.max(1, maxBytes) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new RpcxError(
          ErrorCode.MessageTooLarge,
          `decompressed size exceeds the maximum allowed size of ${maxBytes} bytes`,
          { cause: error },
        );
      }
      throw new RpcxError(ErrorCode.Protocol, `gzip: ${(error as Error).message}`, {
        cause: error,
      });
    }
  },
};
