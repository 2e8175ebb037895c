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
  /** The header bytes; `bytes.length` is always 12. */
  readonly bytes: Buffer;

  /** A fresh request header (magic set, everything else zero), or a view over 12 given bytes. */
  constructor(bytes?: Uint8Array) {
    if (bytes === undefined) {
      this.bytes = Buffer.alloc(HEADER_LENGTH);
      this.bytes[0] = MAGIC_NUMBER;
    } else {
      if (bytes.length !== HEADER_LENGTH) {
        throw new RpcxError(
          ErrorCode.InvalidArgument,
          `a header is ${HEADER_LENGTH} bytes, got ${bytes.length}`,
        );
      }
      this.bytes = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    }
  }

  /** An independent copy. */
  clone(): Header {
    return new Header(Buffer.from(this.bytes));
  }

  get magic(): number {
    return this.bytes[0]!;
  }

  get version(): number {
    return this.bytes[1]!;
  }
  set version(value: number) {
    checkRange('version', value, 0xff);
    this.bytes[1] = value;
  }

  get messageType(): MessageType {
    return this.bytes[2]! & TYPE_MASK ? MessageType.Response : MessageType.Request;
  }
  set messageType(value: MessageType) {
    checkRange('messageType', value, 1);
    this.setBits(2, TYPE_MASK, value === MessageType.Response ? TYPE_MASK : 0);
  }

  get heartbeat(): boolean {
    return (this.bytes[2]! & HEARTBEAT_MASK) !== 0;
  }
  set heartbeat(value: boolean) {
    this.setBits(2, HEARTBEAT_MASK, value ? HEARTBEAT_MASK : 0);
  }

  get oneway(): boolean {
    return (this.bytes[2]! & ONEWAY_MASK) !== 0;
  }
  set oneway(value: boolean) {
    this.setBits(2, ONEWAY_MASK, value ? ONEWAY_MASK : 0);
  }

  get compressType(): number {
    return (this.bytes[2]! & COMPRESS_MASK) >> 2;
  }
  set compressType(value: number) {
    checkRange('compressType', value, 7);
    this.setBits(2, COMPRESS_MASK, value << 2);
  }

  get statusType(): number {
    return this.bytes[2]! & STATUS_MASK;
  }
  set statusType(value: number) {
    checkRange('statusType', value, 3);
    this.setBits(2, STATUS_MASK, value);
  }

  get serializeType(): number {
    return this.bytes[3]! >> 4;
  }
  set serializeType(value: number) {
    checkRange('serializeType', value, 15);
    this.setBits(3, SERIALIZE_MASK, value << 4);
  }

  /** The low nibble of byte 3: zero from Go, echoed verbatim into responses. */
  get reserved(): number {
    return this.bytes[3]! & RESERVED_MASK;
  }
  set reserved(value: number) {
    checkRange('reserved', value, 15);
    this.setBits(3, RESERVED_MASK, value);
  }

  get seq(): bigint {
    return this.bytes.readBigUInt64BE(4);
  }
  set seq(value: bigint) {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `seq must fit in 64 unsigned bits, got ${value}`,
      );
    }
    this.bytes.writeBigUInt64BE(value, 4);
  }

  /** The seq as a plain number, for callers that keep their counters below 2^53. */
  get seqNumber(): number {
    return this.bytes.readUInt32BE(4) * 0x1_0000_0000 + this.bytes.readUInt32BE(8);
  }
  set seqNumber(value: number) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `seqNumber must be a safe non-negative integer, got ${value}`,
      );
    }
    this.bytes.writeUInt32BE(Math.floor(value / 0x1_0000_0000), 4);
    this.bytes.writeUInt32BE(value >>> 0, 8);
  }

  private setBits(index: number, mask: number, value: number): void {
    this.bytes[index] = (this.bytes[index]! & ~mask) | value;
  }
}
