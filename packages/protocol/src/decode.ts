/**
 * One complete frame → Message (spec §1.1). Every length is checked against the bytes that are
 * really there; a frame that lies gets `RpcxError(Protocol)` instead of Go's recovered panic.
 * The message's header and (uncompressed) payload are views of the frame, not copies: copy the
 * frame first if its memory will be reused.
 */
import { ErrorCode, RpcxError } from '@rpcx/core';
import { type CompressorRegistry, defaultCompressors } from './compressor-registry.js';
import { FRAME_PREFIX_LENGTH } from './encode.js';
import { frameTooLong, protocolError } from './frame-errors.js';
import { HEADER_LENGTH, Header, MAGIC_NUMBER } from './header.js';
import { DEFAULT_LIMITS, type FrameLimits } from './limits.js';
import { Message } from './message.js';
import { readMetadata } from './metadata.js';
import { readText } from './text.js';
import { readUint32 } from './uint32.js';

export interface DecodeOptions {
  compressors?: CompressorRegistry;
  limits?: Partial<FrameLimits>;
}

export function decodeMessage(frame: Uint8Array, options: DecodeOptions = {}): Message {
  const limits = options.limits;
  const maxFrameLength = limits?.maxFrameLength ?? DEFAULT_LIMITS.maxFrameLength;
  const maxDecompressedLength =
    limits?.maxDecompressedLength ?? DEFAULT_LIMITS.maxDecompressedLength;
  const bytes = asBuffer(frame);
  const end = bytes.length;
  if (end < FRAME_PREFIX_LENGTH) {
    throw protocolError(`frame of ${end} bytes is shorter than the 16-byte prefix`);
  }
  if (bytes[0] !== MAGIC_NUMBER) throw protocolError(`wrong magic number: ${bytes[0]}`);
  const totalLength = readUint32(bytes, HEADER_LENGTH);
  if (totalLength > maxFrameLength) throw frameTooLong(totalLength, maxFrameLength);
  if (end !== FRAME_PREFIX_LENGTH + totalLength) {
    throw protocolError(
      `frame declares ${totalLength} body bytes but carries ${end - FRAME_PREFIX_LENGTH}`,
    );
  }

  let at = FRAME_PREFIX_LENGTH;
  const pathLength = sectionLength(bytes, at, 'servicePath');
  at += 4;
  const servicePath = readText(bytes, at, at + pathLength);
  at += pathLength;
  const methodLength = sectionLength(bytes, at, 'serviceMethod');
  at += 4;
  const serviceMethod = readText(bytes, at, at + methodLength);
  at += methodLength;
  const metaLength = sectionLength(bytes, at, 'metadata');
  at += 4;
  const metadata = readMetadata(bytes, at, metaLength);
  at += metaLength;
  const payloadLength = sectionLength(bytes, at, 'payload');
  at += 4;
  // Go ignores payloadLen and takes the rest; we insist the two agree.
  if (payloadLength !== end - at) {
    throw protocolError(
      `payload length ${payloadLength} does not match the ${end - at} bytes left in the frame`,
    );
  }

  // The header reads the frame in place: the message owns its frame from here on.
  const header = new Header(bytes);
  let payload: Uint8Array = bytes.subarray(at);
  const compressType = header.compressType;
  if (compressType !== 0 && payloadLength > 0) {
    const compressor = (options.compressors ?? defaultCompressors).require(compressType);
    payload = compressor.decompress(payload, maxDecompressedLength);
  } else if (payloadLength > maxDecompressedLength) {
    throw new RpcxError(
      ErrorCode.MessageTooLarge,
      `payload of ${payloadLength} bytes exceeds the maximum allowed size of ${maxDecompressedLength}`,
    );
  }
  return new Message({ header, servicePath, serviceMethod, metadata, payload });
}

/** The uint32 length at `at`, checked against the bytes that follow it. */
function sectionLength(bytes: Buffer, at: number, section: string): number {
  if (bytes.length - at < 4) throw protocolError(`frame ends before the ${section} length`);
  const length = readUint32(bytes, at);
  if (length > bytes.length - at - 4) {
    throw protocolError(`${section} length ${length} points past the end of the frame`);
  }
  return length;
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
