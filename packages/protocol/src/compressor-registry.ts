/** Compressors by compress type (3 bits, 0..7). Type 0 means "none" and needs no entry. */
import type { Compressor } from '@rpcx/core';
import { gzipCompressor } from './gzip.js';
import { fieldOutOfRange, unsupportedCompressor } from './wire-errors.js';

export class CompressorRegistry {
  private readonly byType: (Compressor | undefined)[] = new Array(8).fill(undefined);

  constructor(compressors: Iterable<Compressor> = [gzipCompressor]) {
    for (const compressor of compressors) this.register(compressor);
  }

  /** Adds or replaces the compressor for its type (1..7). */
  register(compressor: Compressor): this {
    const type = compressor.compressType;
    if (!Number.isInteger(type) || type < 1 || type > 7) {
      throw fieldOutOfRange('compress type', type, 'an integer in 1..7');
    }
    this.byType[type] = compressor;
    return this;
  }

  get(type: number): Compressor | undefined {
    return this.byType[type];
  }

  /**
   * Checks a compress type a caller asked for: 0, or one with a compressor. Done whatever the
   * payload's size, so a bad type fails every call alike, not only those large enough to be
   * compressed.
   */
  check(type: number): number {
    if (!Number.isInteger(type) || type < 0 || type > 7) {
      throw fieldOutOfRange('compressType', type, 'an integer in 0..7');
    }
    if (type !== 0 && this.byType[type] === undefined) throw unsupportedCompressor(type);
    return type;
  }
}

/** gzip only, as Go registers by default. */
export const defaultCompressors = new CompressorRegistry();
