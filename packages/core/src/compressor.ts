/** Compress types as numbered in the rpcx header (3 bits, 0..7). */
export const CompressType = {
  None: 0,
  Gzip: 1,
} as const;

export type CompressType = number;

/** Compresses payloads for one compress type. Only the payload is ever compressed. */
export interface Compressor {
  readonly compressType: CompressType;
  readonly name: string;
  compress(bytes: Uint8Array): Uint8Array;
  /**
   * Decompresses off the event loop (a peer chooses what we inflate: a few KiB can claim
   * gigabytes), failing with `RpcxError(MessageTooLarge)` as soon as the output would pass
   * `maxBytes` — before that much memory is held.
   */
  decompress(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}
