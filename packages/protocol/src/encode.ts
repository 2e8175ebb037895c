/** Message → one contiguous frame buffer (spec §1.1): the frame writer into a buffer of its own. */
import { encodeFrame, type WriterOptions } from './frame-writer.js';
import type { Message } from './message.js';

export type EncodeOptions = WriterOptions;

/**
 * The frame of `message`. Its payload is compressed when the compress type asks for it; whether
 * to ask (the > 1024-byte rule) is the caller's policy.
 */
export function encodeMessage(message: Message, options?: EncodeOptions): Buffer {
  return encodeFrame(message, options);
}
