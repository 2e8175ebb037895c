/**
 * Internal: the client's hot-path framing. Requests are written straight into one pooled buffer
 * from the call's fields (no Header, Message or metadata copy per call); responses are read
 * without materialising what the client never looks at (the echoed paths). Both produce and
 * accept exactly what `encodeMessage` / `decodeMessage` of @rpcx/protocol do — the property test
 * in wire.spec.ts holds them to it; plugins that need a `Message` get the protocol path instead.
 */
import { ErrorCode, type Metadata, MetadataKey, RpcxError } from '@rpcx/core';
import {
  type CompressorRegistry,
  FRAME_PREFIX_LENGTH,
  type FrameLimits,
  MAGIC_NUMBER,
  readMetadata,
  readUint32,
  writeUint32,
} from '@rpcx/protocol';

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

/**
 * One frame for `request` with `seq`, plus `__ServerTimeout: serverTimeout` when given (it
 * replaces a value the caller's metadata may hold).
 */
export function encodeRequest(
  request: RequestFields,
  seq: number,
  serverTimeout: string | undefined,
  compressors: CompressorRegistry,
  maxFrameLength: number,
  allocate: (length: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  let payload = request.payload;
  const compressType = (request.flags & 0x1c) >> 2;
  if (compressType !== 0) {
    const compressor = compressors.get(compressType);
    if (compressor === undefined) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `unsupported compressor: compress type ${compressType}`,
      );
    }
    payload = compressor.compress(payload);
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
  if (serverTimeout !== undefined)
    metaLength += SERVER_TIMEOUT_KEY.length + 4 + serverTimeout.length;
  const totalLength = paths.length + 8 + metaLength + payload.length;
  if (totalLength > maxFrameLength) {
    throw new RpcxError(
      ErrorCode.MessageTooLarge,
      `message is too long: ${totalLength} bytes exceed the limit of ${maxFrameLength}`,
    );
  }

  const frame = allocate(FRAME_PREFIX_LENGTH + totalLength);
  frame[0] = MAGIC_NUMBER;
  frame[1] = 0;
  frame[2] = request.flags;
  frame[3] = request.serializeType << 4;
  writeUint32(frame, 4, Math.floor(seq / 0x1_0000_0000));
  writeUint32(frame, 8, seq >>> 0);
  writeUint32(frame, 12, totalLength);
  let at = FRAME_PREFIX_LENGTH;
  // Paths are short: a loop beats `set`'s call overhead.
  for (let i = 0; i < paths.length; i++) frame[at++] = paths[i]!;
  writeUint32(frame, at, metaLength);
  at += 4;
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
  writeUint32(frame, at, payload.length);
  frame.set(payload, at + 4);
  return frame;
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

/**
 * The parts of an incoming frame the client acts on, parsed in place. One instance per
 * connection is reused for every frame (frames are handled one at a time, synchronously).
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
   * Parses a whole frame (magic and declared length already checked by the frame decoder);
   * throws `RpcxError(Protocol)` for a malformed body and `MessageTooLarge` past the limits.
   */
  read(frame: Buffer, compressors: CompressorRegistry, limits: FrameLimits): void {
    const end = frame.length;
    this.flags = frame[2]!;
    this.serializeType = frame[3]! >> 4;
    this.seq = readUint32(frame, 4) * 0x1_0000_0000 + readUint32(frame, 8);
    let at = FRAME_PREFIX_LENGTH;
    at = skipSection(frame, at, end, 'servicePath');
    at = skipSection(frame, at, end, 'serviceMethod');
    const metaAt = at + 4;
    at = skipSection(frame, at, end, 'metadata');
    const metaLength = at - metaAt;
    if (end - at < 4) throw malformed('frame ends before the payload length');
    const payloadLength = readUint32(frame, at);
    at += 4;
    if (payloadLength !== end - at) {
      throw malformed(
        `payload length ${payloadLength} does not match the ${end - at} bytes left in the frame`,
      );
    }
    this.metadata = metaLength > 0 ? readMetadata(frame, metaAt, metaLength) : undefined;
    let payload: Uint8Array = frame.subarray(at);
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

const EMPTY = new Uint8Array(0);

function skipSection(frame: Buffer, at: number, end: number, section: string): number {
  if (end - at < 4) throw malformed(`frame ends before the ${section} length`);
  const length = readUint32(frame, at);
  if (length > end - at - 4) {
    throw malformed(`${section} length ${length} points past the end of the frame`);
  }
  return at + 4 + length;
}

function malformed(message: string): RpcxError {
  return new RpcxError(ErrorCode.Protocol, message);
}
