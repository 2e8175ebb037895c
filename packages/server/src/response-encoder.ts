/**
 * Internal: the response frame written without a Message (no write-response plugins): header and
 * path bytes copied from the request frame — so paths are echoed byte for byte, as Go does —
 * then metadata and payload, straight into the connection's write batch.
 */
import { ErrorCode, type Metadata, RpcxError } from '@rpcx/core';
import {
  type CompressorRegistry,
  FRAME_PREFIX_LENGTH,
  HEADER_LENGTH,
  MAX_UINT32,
  metadataByteLength,
  readUint32,
  writeMetadata,
  writeUint32,
} from '@rpcx/protocol';
import type { FrameSource } from '@rpcx/transport';

const COMPRESS_MASK = 0x1c;
const EMPTY = new Uint8Array(0);
const NO_FRAME = Buffer.alloc(0);

/** `prepare` measures a response, `writeFrame` writes it; nothing else comes between the two. */
export class ResponseEncoder implements FrameSource {
  /** Length of the prepared frame. */
  frameLength = 0;
  private request: Buffer = NO_FRAME;
  private flags = 0;
  private metadata: Metadata | undefined = undefined;
  private body: Uint8Array = EMPTY;
  private pathsEnd = 0;
  private metaLength = 0;

  /**
   * Measures the response to the request `frame` (already checked by decodeMessage) with header
   * byte 2 `flags`; compresses `payload` as the flags say. Throws for metadata that cannot be
   * encoded and for a frame over the protocol's limit.
   */
  prepare(
    compressors: CompressorRegistry,
    frame: Buffer,
    flags: number,
    metadata: Metadata | undefined,
    payload: Uint8Array,
  ): void {
    const pathLength = readUint32(frame, FRAME_PREFIX_LENGTH);
    const pathsEnd =
      FRAME_PREFIX_LENGTH +
      8 +
      pathLength +
      readUint32(frame, FRAME_PREFIX_LENGTH + 4 + pathLength);
    const compressType = (flags & COMPRESS_MASK) >> 2;
    const body = compressType === 0 ? payload : compressors.require(compressType).compress(payload);
    const metaLength = metadata === undefined ? 0 : metadataByteLength(metadata);
    const totalLength = pathsEnd - FRAME_PREFIX_LENGTH + 8 + metaLength + body.length;
    if (totalLength > MAX_UINT32) {
      throw new RpcxError(
        ErrorCode.MessageTooLarge,
        `message is too long: ${totalLength} bytes exceed the limit of ${MAX_UINT32}`,
      );
    }
    this.request = frame;
    this.flags = flags;
    this.metadata = metaLength > 0 ? metadata : undefined;
    this.body = body;
    this.pathsEnd = pathsEnd;
    this.metaLength = metaLength;
    this.frameLength = FRAME_PREFIX_LENGTH + totalLength;
  }

  /** Writes the prepared frame to `out[start, start + frameLength)`, then forgets it. */
  writeFrame(out: Buffer, start: number): void {
    const { request, pathsEnd, metaLength, body } = this;
    // Short copies: a loop beats Buffer#copy's overhead.
    for (let i = 0; i < HEADER_LENGTH; i++) out[start + i] = request[i]!;
    out[start + 2] = this.flags;
    writeUint32(out, start + HEADER_LENGTH, this.frameLength - FRAME_PREFIX_LENGTH);
    if (pathsEnd - FRAME_PREFIX_LENGTH <= 64) {
      for (let i = FRAME_PREFIX_LENGTH; i < pathsEnd; i++) out[start + i] = request[i]!;
    } else {
      request.copy(out, start + FRAME_PREFIX_LENGTH, FRAME_PREFIX_LENGTH, pathsEnd);
    }
    let at = writeUint32(out, start + pathsEnd, metaLength);
    if (this.metadata !== undefined) at = writeMetadata(out, at, this.metadata);
    at = writeUint32(out, at, body.length);
    out.set(body, at);
    this.request = NO_FRAME;
    this.metadata = undefined;
    this.body = EMPTY;
  }
}
