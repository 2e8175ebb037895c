/**
 * Size limits, checked before memory is committed: a frame's declared length is checked as soon
 * as its 16-byte prefix arrives, and decompression stops at the cap (spec §1.8).
 */
export interface FrameLimits {
  /** Largest accepted frame body (`totalLen`, the wire size after the 16-byte prefix). */
  maxFrameLength: number;
  /** Largest payload accepted after decompression. */
  maxDecompressedLength: number;
}

export const DEFAULT_LIMITS: Readonly<FrameLimits> = Object.freeze({
  maxFrameLength: 64 * 1024 * 1024,
  maxDecompressedLength: 256 * 1024 * 1024,
});

/** Largest value a uint32 length field can carry. */
export const MAX_UINT32 = 0xffff_ffff;
