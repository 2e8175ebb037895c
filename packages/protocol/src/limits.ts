/**
 * Size limits, checked before memory is committed (spec §1.8): a frame's declared length as soon
 * as its 16-byte prefix arrives, the metadata block's length before it is parsed and its entries
 * while they are, and a compressed payload while it inflates.
 */
export interface FrameLimits {
  /** Largest accepted frame body (`totalLen`, the wire size after the 16-byte prefix). */
  maxFrameLength: number;
  /**
   * Largest payload accepted after decompression (and largest uncompressed payload). Inflation
   * stops as soon as the output would pass it.
   */
  maxDecompressedLength: number;
  /** Most metadata pairs in one frame. */
  maxMetadataEntries: number;
  /** Largest metadata block (bytes) in one frame. */
  maxMetadataBytes: number;
}

/**
 * The defaults. Go rpcx has none (0 = unlimited); these refuse only what no real call sends:
 * - 64 MiB per frame;
 * - 64 MiB per payload once inflated: a compressed payload may grow to what the frame limit lets
 *   an uncompressed one be, no further (a 64 KiB gzip bomb can claim gigabytes);
 * - 1024 metadata pairs and 1 MiB of metadata: Go's clients send a handful of short pairs (auth
 *   token, `__ServerTimeout`, trace context), while a 64 MiB block of empty pairs is eight million
 *   entries that would hold the event loop for seconds.
 */
export const DEFAULT_LIMITS: Readonly<FrameLimits> = Object.freeze({
  maxFrameLength: 64 * 1024 * 1024,
  maxDecompressedLength: 64 * 1024 * 1024,
  maxMetadataEntries: 1024,
  maxMetadataBytes: 1024 * 1024,
});

/** `limits` over the defaults; a limit given as `undefined` keeps its default. */
export function resolveLimits(limits: Partial<FrameLimits> | undefined): FrameLimits {
  return {
    maxFrameLength: limits?.maxFrameLength ?? DEFAULT_LIMITS.maxFrameLength,
    maxDecompressedLength: limits?.maxDecompressedLength ?? DEFAULT_LIMITS.maxDecompressedLength,
    maxMetadataEntries: limits?.maxMetadataEntries ?? DEFAULT_LIMITS.maxMetadataEntries,
    maxMetadataBytes: limits?.maxMetadataBytes ?? DEFAULT_LIMITS.maxMetadataBytes,
  };
}

/** Largest value a uint32 length field can carry. */
export const MAX_UINT32 = 0xffff_ffff;
