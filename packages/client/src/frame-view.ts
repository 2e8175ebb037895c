/**
 * Internal: the client's reading of an incoming frame. Only what the client acts on is parsed,
 * in place, without materialising the echoed paths; it accepts exactly what `decodeMessage` of
 * @rpcx/protocol accepts (the property test in wire.spec.ts holds it to that).
 */
import { ErrorCode, type Metadata, RpcxError } from '@rpcx/core';
import {
  type CompressorRegistry,
  FRAME_PREFIX_LENGTH,
  type FrameLimits,
  readMetadata,
  readUint32,
} from '@rpcx/protocol';

const EMPTY = new Uint8Array(0);

/**
 * The parts of an incoming frame the client acts on. One instance per connection is reused for
 * every frame (frames are handled one at a time, synchronously).
 */
export class FrameView {
  /** Header byte 2: type, heartbeat, oneway, compress, status. */
  flags = 0;
  serializeType = 0;
  /** The seq as a number (exact below 2^53; larger ones match no call anyway). */
  seq = 0;
  /** Undefined when the frame has none. */
  metadata: Metadata | undefined = undefined;
  /** Plain payload: a view into the frame unless it was decompressed. */
  payload: Uint8Array = EMPTY;

  /**
   * Parses the whole frame `bytes[start, end)` (magic and declared length already checked by
   * the frame decoder); throws `RpcxError(Protocol)` for a malformed body and `MessageTooLarge`
   * past the limits.
   */
  read(
    bytes: Buffer,
    start: number,
    end: number,
    compressors: CompressorRegistry,
    limits: FrameLimits,
  ): void {
    this.flags = bytes[start + 2]!;
    this.serializeType = bytes[start + 3]! >> 4;
    this.seq = readUint32(bytes, start + 4) * 0x1_0000_0000 + readUint32(bytes, start + 8);
    let at = start + FRAME_PREFIX_LENGTH;
    at = skipSection(bytes, at, end, 'servicePath');
    at = skipSection(bytes, at, end, 'serviceMethod');
    const metaAt = at + 4;
    at = skipSection(bytes, at, end, 'metadata');
    const metaLength = at - metaAt;
    if (end - at < 4) throw malformed('frame ends before the payload length');
    const payloadLength = readUint32(bytes, at);
    at += 4;
    if (payloadLength !== end - at) {
      throw malformed(
        `payload length ${payloadLength} does not match the ${end - at} bytes left in the frame`,
      );
    }
    this.metadata = metaLength > 0 ? readMetadata(bytes, metaAt, metaLength) : undefined;
    let payload: Uint8Array = bytes.subarray(at, end);
    const compressType = (this.flags & 0x1c) >> 2;
    if (compressType !== 0 && payload.length > 0) {
      payload = compressors.require(compressType).decompress(payload, limits.maxDecompressedLength);
    } else if (payload.length > limits.maxDecompressedLength) {
      throw new RpcxError(
        ErrorCode.MessageTooLarge,
        `payload of ${payload.length} bytes exceeds the maximum allowed size of ${limits.maxDecompressedLength}`,
      );
    }
    this.payload = payload;
  }

  /** Drops references into the last frame. */
  clear(): void {
    this.metadata = undefined;
    this.payload = EMPTY;
  }
}

function skipSection(bytes: Buffer, at: number, end: number, section: string): number {
  if (end - at < 4) throw malformed(`frame ends before the ${section} length`);
  const length = readUint32(bytes, at);
  if (length > end - at - 4) {
    throw malformed(`${section} length ${length} points past the end of the frame`);
  }
  return at + 4 + length;
}

function malformed(message: string): RpcxError {
  return new RpcxError(ErrorCode.Protocol, message);
}
