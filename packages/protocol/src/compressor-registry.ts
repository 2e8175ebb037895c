/** Compressors by compress type (3 bits, 0..7). Type 0 means "none" and needs no entry. */
import { type Compressor, ErrorCode, RpcxError } from '@rpcx/core';
import { gzipCompressor } from './gzip.js';

export class CompressorRegistry {
  private readonly byType = new Map<number, Compressor>();

  constructor(compressors: Iterable<Compressor> = [gzipCompressor]) {
    for (const compressor of compressors) this.register(compressor);
  }

  /** Adds or replaces the compressor for its type (1..7). */
  register(compressor: Compressor): this {
    const type = compressor.compressType;
    if (!Number.isInteger(type) || type < 1 || type > 7) {
      throw new RpcxError(ErrorCode.InvalidArgument, `compress type must be in 1..7, got ${type}`);
    }
    this.byType.set(type, compressor);
    return this;
  }

  get(type: number): Compressor | undefined {
    return this.byType.get(type);
  }

  /** The compressor for `type`, or Go's `unsupported compressor` error. */
  require(type: number): Compressor {
    const compressor = this.byType.get(type);
    if (compressor === undefined) {
      throw new RpcxError(ErrorCode.Protocol, `unsupported compressor: compress type ${type}`);
    }
    return compressor;
  }
}

/** gzip only, as Go registers by default. */
export const defaultCompressors = new CompressorRegistry();
