/**
 * One complete frame → Message (spec §1.1). Every length is checked against the bytes that are
 * really there; a frame that lies gets `RpcxError(Protocol)` instead of Go's recovered panic.
 */
import { ErrorCode, RpcxError } from '@rpcx/core';
import { type CompressorRegistry, defaultCompressors } from './compressor-registry.js';
import { FRAME_PREFIX_LENGTH } from './encode.js';
import { frameTooLong, protocolError } from './frame-errors.js';
import { HEADER_LENGTH, Header, MAGIC_NUMBER } from './header.js';
import { DEFAULT_LIMITS, type FrameLimits } from './limits.js';
import { Message } from './message.js';
import { readMetadata } from './metadata.js';

export interface DecodeOptions {
  compressors?: CompressorRegistry;
  limits?: Partial<FrameLimits>;
}

export function decodeMessage(frame: Uint8Array, options: DecodeOptions = {}): Message {
  const maxFrameLength = options.limits?.maxFrameLength ?? DEFAULT_LIMITS.maxFrameLength;
  const maxDecompressedLength =
    options.limits?.maxDecompressedLength ?? DEFAULT_LIMITS.maxDecompressedLength;
  const bytes = asBuffer(frame);
  if (bytes.length < FRAME_PREFIX_LENGTH) {
    throw protocolError(`frame of ${bytes.length} bytes is shorter than the 16-byte prefix`);
  }
  if (bytes[0] !== MAGIC_NUMBER) throw protocolError(`wrong magic number: ${bytes[0]}`);
  const totalLength = bytes.readUInt32BE(HEADER_LENGTH);
  if (totalLength > maxFrameLength) throw frameTooLong(totalLength, maxFrameLength);
  if (bytes.length !== FRAME_PREFIX_LENGTH + totalLength) {
    throw protocolError(
      `frame declares ${totalLength} body bytes but carries ${bytes.length - FRAME_PREFIX_LENGTH}`,
    );
  }

  const reader = new SectionReader(bytes, FRAME_PREFIX_LENGTH);
  const servicePath = reader.string('servicePath');
  const serviceMethod = reader.string('serviceMethod');
  const metaLength = reader.length('metadata');
  const metadata = readMetadata(bytes, reader.offset, metaLength);
  reader.skip(metaLength);
  const payloadLength = reader.length('payload');
  // Go ignores payloadLen and takes the rest; we insist the two agree.
  if (payloadLength !== reader.remaining) {
    throw protocolError(
      `payload length ${payloadLength} does not match the ${reader.remaining} bytes left in the frame`,
    );
  }

  const header = new Header(Buffer.from(bytes.subarray(0, HEADER_LENGTH)));
  let payload: Uint8Array = bytes.subarray(reader.offset);
  if (header.compressType !== 0 && payload.length > 0) {
    const compressor = (options.compressors ?? defaultCompressors).require(header.compressType);
    payload = compressor.decompress(payload, maxDecompressedLength);
  } else if (payload.length > maxDecompressedLength) {
    throw new RpcxError(
      ErrorCode.MessageTooLarge,
      `payload of ${payload.length} bytes exceeds the maximum allowed size of ${maxDecompressedLength}`,
    );
  }
  return new Message({ header, servicePath, serviceMethod, metadata, payload });
}

/** Reads the length-prefixed sections of a frame body, never past its end. */
class SectionReader {
  constructor(
    private readonly bytes: Buffer,
    public offset: number,
  ) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  length(section: string): number {
    if (this.remaining < 4) throw protocolError(`frame ends before the ${section} length`);
    const length = this.bytes.readUInt32BE(this.offset);
    this.offset += 4;
    if (length > this.remaining) {
      throw protocolError(`${section} length ${length} points past the end of the frame`);
    }
    return length;
  }

  string(section: string): string {
    const length = this.length(section);
    const value = this.bytes.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  skip(length: number): void {
    this.offset += length;
  }
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
