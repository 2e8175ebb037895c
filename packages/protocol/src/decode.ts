/** One complete frame → Message (spec §1.1): the frame reader over a frame of its own. */
import { type CompressorRegistry, defaultCompressors } from './compressor-registry.js';
import { readMessage } from './frame-reader.js';
import { type FrameLimits, resolveLimits } from './limits.js';
import type { Message } from './message.js';

export interface DecodeOptions {
  compressors?: CompressorRegistry;
  limits?: Partial<FrameLimits>;
}

/**
 * The message in `frame`: header, paths, metadata and the plain payload (inflated if it came
 * compressed). The payload of an uncompressed frame is a view of it: copy the frame first if its
 * memory will be reused. Rejects with `RpcxError` for a malformed frame or one past the limits.
 */
export async function decodeMessage(
  frame: Uint8Array,
  options: DecodeOptions = {},
): Promise<Message> {
  const bytes = Buffer.isBuffer(frame)
    ? frame
    : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  return readMessage(bytes, 0, bytes.length, {
    compressors: options.compressors ?? defaultCompressors,
    limits: resolveLimits(options.limits),
  });
}
