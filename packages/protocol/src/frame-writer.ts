/**
 * The one frame writer (spec §1.1). `prepare` measures a frame — compressing the payload if the
 * flags ask for it, checking the size limit — and `writeFrame` then writes it at an offset of any
 * buffer: straight into a connection's write batch, or into a buffer of its own (`encodeFrame`).
 * A writer holds one prepared frame at a time, between `prepare` and the `writeFrame` that
 * follows it synchronously; each connection has its own.
 */
import { MetadataKey } from '@rpcx/core';
import { type CompressorRegistry, defaultCompressors } from './compressor-registry.js';
import type { FrameFields } from './frame-fields.js';
import type { FrameSource } from './frame-source.js';
import { compressTypeOf, FRAME_PREFIX_LENGTH, MAGIC_NUMBER, SERIALIZE_SHIFT } from './header.js';
import { MAX_UINT32 } from './limits.js';
import { metadataByteLength, writeMetadata } from './metadata.js';
import { pathSection } from './path-sections.js';
import { writeUint32 } from './uint32.js';
import { frameTooLong, unsupportedCompressor } from './wire-errors.js';

export interface WriterOptions {
  compressors?: CompressorRegistry;
  /** Refuse to produce a frame body longer than this (the peer's limit). */
  maxFrameLength?: number;
}

const EMPTY = new Uint8Array(0);
/** `keyLen, "__ServerTimeout"`, encoded once. */
const SERVER_TIMEOUT_KEY = (() => {
  const key = Buffer.from(MetadataKey.ServerTimeout);
  const block = Buffer.alloc(4 + key.length);
  writeUint32(block, 0, key.length);
  key.copy(block, 4);
  return block;
})();
const NO_PATHS = Buffer.alloc(0);

export class FrameWriter implements FrameSource {
  /** Length of the prepared frame. */
  frameLength = 0;
  private readonly compressors: CompressorRegistry;
  private readonly maxFrameLength: number;
  private fields: FrameFields | undefined = undefined;
  /** The payload as it goes on the wire. */
  private body: Uint8Array = EMPTY;
  private paths: Buffer = NO_PATHS;
  private metaLength = 0;

  constructor(options: WriterOptions = {}) {
    this.compressors = options.compressors ?? defaultCompressors;
    this.maxFrameLength = Math.min(options.maxFrameLength ?? MAX_UINT32, MAX_UINT32);
  }

  /**
   * Measures the frame of `fields`. Throws `RpcxError`: `codec` for a compress type without a
   * compressor, `invalid_argument` for a metadata value that is not a string,
   * `message_too_large` past the limit. Nothing is kept when it throws.
   */
  prepare(fields: FrameFields): this {
    const compressType = compressTypeOf(fields.flags);
    let body = fields.payload;
    if (compressType !== 0) {
      const compressor = this.compressors.get(compressType);
      if (compressor === undefined) throw unsupportedCompressor(compressType);
      body = compressor.compress(body);
    }
    const paths = pathSection(fields.servicePath, fields.serviceMethod);
    const serverTimeout = fields.serverTimeout;
    let metaLength: number;
    if (serverTimeout === undefined) {
      metaLength = metadataByteLength(fields.metadata);
    } else {
      // Digits only: one byte each.
      metaLength =
        metadataByteLength(fields.metadata, MetadataKey.ServerTimeout) +
        SERVER_TIMEOUT_KEY.length +
        4 +
        serverTimeout.length;
    }
    const totalLength = paths.length + 8 + metaLength + body.length;
    if (totalLength > this.maxFrameLength) throw frameTooLong(totalLength, this.maxFrameLength);
    this.fields = fields;
    this.body = body;
    this.paths = paths;
    this.metaLength = metaLength;
    this.frameLength = FRAME_PREFIX_LENGTH + totalLength;
    return this;
  }

  /** Writes the prepared frame to `target[start, start + frameLength)`, then forgets it. */
  writeFrame(target: Buffer, start: number): void {
    const fields = this.fields!;
    const { paths, body, metaLength } = this;
    target[start] = MAGIC_NUMBER;
    target[start + 1] = fields.version;
    target[start + 2] = fields.flags;
    target[start + 3] = (fields.serializeType << SERIALIZE_SHIFT) | fields.reserved;
    writeUint32(target, start + 4, fields.seqHigh);
    writeUint32(target, start + 8, fields.seqLow);
    writeUint32(target, start + 12, this.frameLength - FRAME_PREFIX_LENGTH);
    let at = start + FRAME_PREFIX_LENGTH;
    // Path sections are short: a loop beats `set`'s call overhead.
    for (let i = 0; i < paths.length; i++) target[at++] = paths[i]!;
    at = writeUint32(target, at, metaLength);
    const serverTimeout = fields.serverTimeout;
    if (serverTimeout === undefined) {
      if (metaLength > 0) at = writeMetadata(target, at, fields.metadata);
    } else {
      at = writeMetadata(target, at, fields.metadata, MetadataKey.ServerTimeout);
      target.set(SERVER_TIMEOUT_KEY, at);
      at = writeUint32(target, at + SERVER_TIMEOUT_KEY.length, serverTimeout.length);
      at += target.write(serverTimeout, at, 'latin1');
    }
    at = writeUint32(target, at, body.length);
    target.set(body, at);
    this.fields = undefined;
    this.body = EMPTY;
  }
}

/** The frame of `fields` in a buffer of its own. */
export function encodeFrame(fields: FrameFields, options?: WriterOptions): Buffer {
  const writer = new FrameWriter(options).prepare(fields);
  const frame = Buffer.allocUnsafe(writer.frameLength);
  writer.writeFrame(frame, 0);
  return frame;
}
