/**
 * The one frame reader (spec §1.1): one complete frame, read in place where it lies — in a
 * received chunk, at `[start, end)` — into a `Message`. Every length is checked against the bytes
 * that are really there, and against the limits before anything is built for it; a frame that
 * lies gets `RpcxError(Protocol)` instead of Go's recovered panic. The payload of an uncompressed
 * frame is a view of the frame; a compressed one is inflated off the event loop, with the cap
 * applied as it streams, so that frame's message comes as a promise — the frame's bytes must
 * stay as they are until it settles (connections hand out received chunks, never reused).
 */
import { type CompressorRegistry, defaultCompressors } from './compressor-registry.js';
import { compressTypeOf, FRAME_PREFIX_LENGTH, HEADER_LENGTH, MAGIC_NUMBER } from './header.js';
import { DEFAULT_LIMITS, type FrameLimits } from './limits.js';
import { Message } from './message.js';
import { readMetadata } from './metadata.js';
import { readText } from './text.js';
import { readUint32 } from './uint32.js';
import {
  frameTooLong,
  payloadTooLarge,
  protocolError,
  unsupportedCompressor,
} from './wire-errors.js';

export interface ReadOptions {
  readonly compressors: CompressorRegistry;
  readonly limits: FrameLimits;
}

const DEFAULT_READ_OPTIONS: ReadOptions = Object.freeze({
  compressors: defaultCompressors,
  limits: DEFAULT_LIMITS,
});

/**
 * Reads the frame `bytes[start, end)`. Returns the message, or a promise of it when its payload
 * must be inflated; throws (or rejects) with `RpcxError`: `protocol` for a malformed frame,
 * `message_too_large` past a limit, `codec` for an unknown compress type.
 */
export function readMessage(
  bytes: Buffer,
  start: number,
  end: number,
  options: ReadOptions = DEFAULT_READ_OPTIONS,
): Message | Promise<Message> {
  const limits = options.limits;
  if (end - start < FRAME_PREFIX_LENGTH) {
    throw protocolError(`frame of ${end - start} bytes is shorter than the 16-byte prefix`);
  }
  if (bytes[start] !== MAGIC_NUMBER) throw protocolError(`wrong magic number: ${bytes[start]}`);
  const totalLength = readUint32(bytes, start + HEADER_LENGTH);
  if (totalLength > limits.maxFrameLength) throw frameTooLong(totalLength, limits.maxFrameLength);
  if (end - start !== FRAME_PREFIX_LENGTH + totalLength) {
    throw protocolError(
      `frame declares ${totalLength} body bytes but carries ${end - start - FRAME_PREFIX_LENGTH}`,
    );
  }

  let at = start + FRAME_PREFIX_LENGTH;
  const pathLength = sectionLength(bytes, at, end, 'servicePath');
  at += 4;
  const servicePath = readText(bytes, at, at + pathLength);
  at += pathLength;
  const methodLength = sectionLength(bytes, at, end, 'serviceMethod');
  at += 4;
  const serviceMethod = readText(bytes, at, at + methodLength);
  at += methodLength;
  const metaLength = sectionLength(bytes, at, end, 'metadata');
  at += 4;
  const metadata = readMetadata(bytes, at, metaLength, limits);
  at += metaLength;
  const payloadLength = sectionLength(bytes, at, end, 'payload');
  at += 4;
  // Go ignores payloadLen and takes the rest; we insist the two agree.
  if (payloadLength !== end - at) {
    throw protocolError(
      `payload length ${payloadLength} does not match the ${end - at} bytes left in the frame`,
    );
  }

  const message = new Message({ servicePath, serviceMethod, metadata });
  message.readHeader(bytes, start);
  const payload = bytes.subarray(at, end);
  const compressType = compressTypeOf(message.flags);
  if (compressType !== 0 && payloadLength > 0) {
    const compressor = options.compressors.get(compressType);
    if (compressor === undefined) throw unsupportedCompressor(compressType);
    return compressor.decompress(payload, limits.maxDecompressedLength).then((plain) => {
      message.payload = plain;
      return message;
    });
  }
  if (payloadLength > limits.maxDecompressedLength) {
    throw payloadTooLarge(limits.maxDecompressedLength, payloadLength);
  }
  message.payload = payload;
  return message;
}

/** The uint32 length at `at`, checked against the bytes that follow it. */
function sectionLength(bytes: Buffer, at: number, end: number, section: string): number {
  if (end - at < 4) throw protocolError(`frame ends before the ${section} length`);
  const length = readUint32(bytes, at);
  if (length > end - at - 4) {
    throw protocolError(`${section} length ${length} points past the end of the frame`);
  }
  return length;
}
