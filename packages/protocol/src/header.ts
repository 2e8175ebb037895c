/**
 * The 12-byte rpcx header (spec §1.2), read and written in place. Every bit field has a getter
 * and a setter that clears before it sets, unlike Go's message-type setter which can only set.
 */
import { ErrorCode, MessageType, RpcxError } from '@rpcx/core';

export const MAGIC_NUMBER = 0x08;
export const HEADER_LENGTH = 12;

const TYPE_MASK = 0x80;
const HEARTBEAT_MASK = 0x40;
const ONEWAY_MASK = 0x20;
const COMPRESS_MASK = 0x1c;
const STATUS_MASK = 0x03;
const SERIALIZE_MASK = 0xf0;
const RESERVED_MASK = 0x0f;

function checkRange(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      `${field} must be an integer in 0..${max}, got ${value}`,
    );
  }
}

export class Header {
  /** Where the header lives: the first 12 bytes of `source` (a whole frame, after decoding). */
  private readonly source: Buffer;
  private view: Buffer | undefined;

  /**
   * A fresh request header (magic set, everything else zero), or a view over the first 12 of the
   * given bytes — a frame starts with its header, so a decoded message's header reads its frame
   * without slicing it.
   */
  constructor(bytes?: Uint8Array) {
    if (bytes === undefined) {
      this.source = Buffer.alloc(HEADER_LENGTH);
      this.source[0] = MAGIC_NUMBER;
    } else {
      if (bytes.length < HEADER_LENGTH) {
        throw new RpcxError(
          ErrorCode.InvalidArgument,
          `a header is ${HEADER_LENGTH} bytes, got ${bytes.length}`,
        );
      }
      this.source = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    this.view = this.source.length === HEADER_LENGTH ? this.source : undefined;
  }

  /** The 12 header bytes (a view: writes change the header). */
  get bytes(): Buffer {
    this.view ??= this.source.subarray(0, HEADER_LENGTH);
    return this.view;
  }

  /** An independent copy. */
  clone(): Header {
    return new Header(Buffer.from(this.bytes));
  }

  /** Copies the 12 header bytes into `target` at `offset`. */
  copyTo(target: Uint8Array, offset: number): void {
    const source = this.source;
    for (let i = 0; i < HEADER_LENGTH; i++) target[offset + i] = source[i]!;
  }

  /** Byte 2 whole: message type, heartbeat, oneway, compress type and status bits. */
  get flagsByte(): number {
    return this.source[2]!;
  }

  get magic(): number {
    return this.source[0]!;
  }

  get version(): number {
    return this.source[1]!;
  }
  set version(value: number) {
    checkRange('version', value, 0xff);
    this.source[1] = value;
  }

  get messageType(): MessageType {
    return this.source[2]! & TYPE_MASK ? MessageType.Response : MessageType.Request;
  }
  set messageType(value: MessageType) {
    checkRange('messageType', value, 1);
    this.setBits(2, TYPE_MASK, value === MessageType.Response ? TYPE_MASK : 0);
  }

  get heartbeat(): boolean {
    return (this.source[2]! & HEARTBEAT_MASK) !== 0;
  }
  set heartbeat(value: boolean) {
    this.setBits(2, HEARTBEAT_MASK, value ? HEARTBEAT_MASK : 0);
  }

  get oneway(): boolean {
    return (this.source[2]! & ONEWAY_MASK) !== 0;
  }
  set oneway(value: boolean) {
    this.setBits(2, ONEWAY_MASK, value ? ONEWAY_MASK : 0);
  }

  get compressType(): number {
    return (this.source[2]! & COMPRESS_MASK) >> 2;
  }
  set compressType(value: number) {
    checkRange('compressType', value, 7);
    this.setBits(2, COMPRESS_MASK, value << 2);
  }

  get statusType(): number {
    return this.source[2]! & STATUS_MASK;
  }
  set statusType(value: number) {
    checkRange('statusType', value, 3);
    this.setBits(2, STATUS_MASK, value);
  }

  get serializeType(): number {
    return this.source[3]! >> 4;
  }
  set serializeType(value: number) {
    checkRange('serializeType', value, 15);
    this.setBits(3, SERIALIZE_MASK, value << 4);
  }

  /** The low nibble of byte 3: zero from Go, echoed verbatim into responses. */
  get reserved(): number {
    return this.source[3]! & RESERVED_MASK;
  }
  set reserved(value: number) {
    checkRange('reserved', value, 15);
    this.setBits(3, RESERVED_MASK, value);
  }

  get seq(): bigint {
    return this.source.readBigUInt64BE(4);
  }
  set seq(value: bigint) {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `seq must fit in 64 unsigned bits, got ${value}`,
      );
    }
    this.source.writeBigUInt64BE(value, 4);
  }

  /** The seq as a plain number, for callers that keep their counters below 2^53. */
  get seqNumber(): number {
    return this.source.readUInt32BE(4) * 0x1_0000_0000 + this.source.readUInt32BE(8);
  }
  set seqNumber(value: number) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `seqNumber must be a safe non-negative integer, got ${value}`,
      );
    }
    this.source.writeUInt32BE(Math.floor(value / 0x1_0000_0000), 4);
    this.source.writeUInt32BE(value >>> 0, 8);
  }

  private setBits(index: number, mask: number, value: number): void {
    this.source[index] = (this.source[index]! & ~mask) | value;
  }
}
