/**
 * Internal: the client's request framing. A request is written straight from the call's fields
 * (no Header, Message or metadata copy per call) into wherever the frame goes — the transport's
 * write batch at an offset, or a buffer of its own while the socket is backpressured. It writes
 * exactly what `encodeMessage` of @rpcx/protocol writes; the property test in wire.spec.ts holds
 * it to that. Plugins that need a `Message` get the protocol path instead.
 */
import { ErrorCode, type Metadata, MetadataKey, RpcxError } from '@rpcx/core';
import {
  type CompressorRegistry,
  FRAME_PREFIX_LENGTH,
  MAGIC_NUMBER,
  writeUint32,
} from '@rpcx/protocol';
import type { FrameSource } from '@rpcx/transport';

/** What a request frame is made of. */
export interface RequestFields {
  /** Header byte 2 without the type bit: heartbeat, oneway and compress bits. */
  flags: number;
  serializeType: number;
  servicePath: string;
  serviceMethod: string;
  /** Read, never modified. */
  metadata: Metadata | undefined;
  /** Plain (uncompressed) payload. */
  payload: Uint8Array;
}

/** `keyLen, "__ServerTimeout"`, written as one block. */
const SERVER_TIMEOUT_KEY = (() => {
  const key = Buffer.from(MetadataKey.ServerTimeout);
  const block = Buffer.alloc(4 + key.length);
  writeUint32(block, 0, key.length);
  key.copy(block, 4);
  return block;
})();

const EMPTY = new Uint8Array(0);
const EMPTY_SECTION = Buffer.alloc(0);

/**
 * One per connection, reused for every request: `prepare` measures a request, `writeFrame` then
 * writes it. Between the two nothing else may be prepared.
 */
export class RequestEncoder implements FrameSource {
  /** Length of the prepared frame. */
  frameLength = 0;
  private request: RequestFields | undefined = undefined;
  private seq = 0;
  private serverTimeout: string | undefined = undefined;
  /** The payload as it goes on the wire (compressed if asked). */
  private body: Uint8Array = EMPTY;
  private paths: Buffer = EMPTY_SECTION;
  private metaLength = 0;

  constructor(
    private readonly compressors: CompressorRegistry,
    private readonly maxFrameLength: number,
  ) {}

  /**
   * Measures the frame for `request` with `seq`, plus `__ServerTimeout: serverTimeout` when given
   * (it replaces a value the caller's metadata may hold). Throws `RpcxError` for an unknown
   * compressor or a frame over the limit.
   */
  prepare(request: RequestFields, seq: number, serverTimeout: string | undefined): number {
    let body = request.payload;
    const compressType = (request.flags & 0x1c) >> 2;
    if (compressType !== 0) {
      const compressor = this.compressors.get(compressType);
      if (compressor === undefined) {
        throw new RpcxError(
          ErrorCode.InvalidArgument,
          `unsupported compressor: compress type ${compressType}`,
        );
      }
      body = compressor.compress(body);
    }
    const paths = pathSection(request.servicePath, request.serviceMethod);
    const metadata = request.metadata;
    let metaLength = 0;
    if (metadata !== undefined) {
      for (const key in metadata) {
        if (serverTimeout !== undefined && key === MetadataKey.ServerTimeout) continue;
        metaLength += 8 + Buffer.byteLength(key) + Buffer.byteLength(metadata[key]!);
      }
    }
    if (serverTimeout !== undefined) {
      metaLength += SERVER_TIMEOUT_KEY.length + 4 + serverTimeout.length;
    }
    const totalLength = paths.length + 8 + metaLength + body.length;
    if (totalLength > this.maxFrameLength) {
      throw new RpcxError(
        ErrorCode.MessageTooLarge,
        `message is too long: ${totalLength} bytes exceed the limit of ${this.maxFrameLength}`,
      );
    }
    this.request = request;
    this.seq = seq;
    this.serverTimeout = serverTimeout;
    this.body = body;
    this.paths = paths;
    this.metaLength = metaLength;
    this.frameLength = FRAME_PREFIX_LENGTH + totalLength;
    return this.frameLength;
  }

  /** Writes the prepared frame to `frame[start, start + frameLength)`, then forgets it. */
  writeFrame(frame: Buffer, start: number): void {
    const request = this.request!;
    const { seq, serverTimeout, body, paths, metaLength } = this;
    frame[start] = MAGIC_NUMBER;
    frame[start + 1] = 0;
    frame[start + 2] = request.flags;
    frame[start + 3] = request.serializeType << 4;
    writeUint32(frame, start + 4, Math.floor(seq / 0x1_0000_0000));
    writeUint32(frame, start + 8, seq >>> 0);
    writeUint32(frame, start + 12, this.frameLength - FRAME_PREFIX_LENGTH);
    let at = start + FRAME_PREFIX_LENGTH;
    // Paths are short: a loop beats `set`'s call overhead.
    for (let i = 0; i < paths.length; i++) frame[at++] = paths[i]!;
    writeUint32(frame, at, metaLength);
    at += 4;
    const metadata = request.metadata;
    if (metadata !== undefined) {
      for (const key in metadata) {
        if (serverTimeout !== undefined && key === MetadataKey.ServerTimeout) continue;
        at = writeString(frame, at, key);
        at = writeString(frame, at, metadata[key]!);
      }
    }
    if (serverTimeout !== undefined) {
      frame.set(SERVER_TIMEOUT_KEY, at);
      at += SERVER_TIMEOUT_KEY.length;
      // Decimal digits: one byte each.
      writeUint32(frame, at, serverTimeout.length);
      at += 4 + frame.write(serverTimeout, at + 4, 'latin1');
    }
    writeUint32(frame, at, body.length);
    frame.set(body, at + 4);
    this.request = undefined;
    this.body = EMPTY;
  }

  /** The request in a frame of its own (for a queue, or a test). */
  encode(request: RequestFields, seq: number, serverTimeout: string | undefined): Buffer {
    const frame = Buffer.allocUnsafe(this.prepare(request, seq, serverTimeout));
    this.writeFrame(frame, 0);
    return frame;
  }
}

/** Encoded path sections (`spLen, sp, smLen, sm`) by service path, then method; bounded. */
const pathSections = new Map<string, Map<string, Buffer>>();
let cachedSections = 0;
const MAX_CACHED_SECTIONS = 4096;

function pathSection(servicePath: string, serviceMethod: string): Buffer {
  let methods = pathSections.get(servicePath);
  const cached = methods?.get(serviceMethod);
  if (cached !== undefined) return cached;
  const pathLength = Buffer.byteLength(servicePath);
  const methodLength = Buffer.byteLength(serviceMethod);
  const section = Buffer.alloc(8 + pathLength + methodLength);
  writeUint32(section, 0, pathLength);
  section.write(servicePath, 4);
  writeUint32(section, 4 + pathLength, methodLength);
  section.write(serviceMethod, 8 + pathLength);
  // Names are few in practice; a program inventing them per call is not cached past the bound.
  if (cachedSections < MAX_CACHED_SECTIONS) {
    if (methods === undefined) {
      methods = new Map();
      pathSections.set(servicePath, methods);
    }
    methods.set(serviceMethod, section);
    cachedSections++;
  }
  return section;
}

function writeString(frame: Buffer, at: number, value: string): number {
  const length = frame.write(value, at + 4);
  writeUint32(frame, at, length);
  return at + 4 + length;
}
