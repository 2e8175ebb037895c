/**
 * One rpcx message: the header fields, service path and method, metadata and the plain payload.
 * `flags` is header byte 2 whole; the accessors (`messageType`, `heartbeat`, `oneway`,
 * `compressType`, `statusType`) read and write its bits, as laid out in header.ts. The seq is
 * kept as two uint32 halves, so any 64-bit value round-trips exactly; `seq` is the bigint view.
 */
import { MessageType, type Metadata, newMetadata, type RpcxMessage } from '@rpcx/core';
import type { FrameFields } from './frame-fields.js';
import {
  compressTypeOf,
  HeaderFlag,
  HeaderMax,
  RESERVED_MASK,
  SERIALIZE_SHIFT,
  withCompressType,
} from './header.js';
import { readUint32 } from './uint32.js';
import { fieldOutOfRange } from './wire-errors.js';

const EMPTY_PAYLOAD = new Uint8Array(0);
const TWO_TO_32 = 0x1_0000_0000;
const MAX_SEQ = 0xffff_ffff_ffff_ffffn;

export interface MessageInit {
  servicePath?: string;
  serviceMethod?: string;
  metadata?: Metadata;
  payload?: Uint8Array;
}

export class Message implements RpcxMessage, FrameFields {
  /** Header byte 2: type, heartbeat, oneway, compress and status bits. */
  flags = 0;
  seqHigh = 0;
  seqLow = 0;
  servicePath: string;
  serviceMethod: string;
  metadata: Metadata;
  /** The plain payload; compression happens only on the wire. */
  payload: Uint8Array;
  private versionByte = 0;
  private serializeNibble = 0;
  private reservedNibble = 0;

  constructor(init: MessageInit = {}) {
    this.servicePath = init.servicePath ?? '';
    this.serviceMethod = init.serviceMethod ?? '';
    this.metadata = init.metadata ?? newMetadata();
    this.payload = init.payload ?? EMPTY_PAYLOAD;
  }

  get version(): number {
    return this.versionByte;
  }
  set version(value: number) {
    this.versionByte = checked('version', value, HeaderMax.version);
  }

  get messageType(): MessageType {
    return this.flags & HeaderFlag.Response ? MessageType.Response : MessageType.Request;
  }
  set messageType(value: MessageType) {
    checked('messageType', value, 1);
    this.setBits(HeaderFlag.Response, value === MessageType.Response ? HeaderFlag.Response : 0);
  }

  get heartbeat(): boolean {
    return (this.flags & HeaderFlag.Heartbeat) !== 0;
  }
  set heartbeat(value: boolean) {
    this.setBits(HeaderFlag.Heartbeat, value ? HeaderFlag.Heartbeat : 0);
  }

  get oneway(): boolean {
    return (this.flags & HeaderFlag.Oneway) !== 0;
  }
  set oneway(value: boolean) {
    this.setBits(HeaderFlag.Oneway, value ? HeaderFlag.Oneway : 0);
  }

  get compressType(): number {
    return compressTypeOf(this.flags);
  }
  set compressType(value: number) {
    this.flags = withCompressType(
      this.flags,
      checked('compressType', value, HeaderMax.compressType),
    );
  }

  get statusType(): number {
    return this.flags & HeaderFlag.StatusMask;
  }
  set statusType(value: number) {
    this.setBits(HeaderFlag.StatusMask, checked('statusType', value, HeaderMax.statusType));
  }

  get serializeType(): number {
    return this.serializeNibble;
  }
  set serializeType(value: number) {
    this.serializeNibble = checked('serializeType', value, HeaderMax.serializeType);
  }

  /** The low nibble of byte 3: zero from Go, echoed verbatim into responses. */
  get reserved(): number {
    return this.reservedNibble;
  }
  set reserved(value: number) {
    this.reservedNibble = checked('reserved', value, HeaderMax.reserved);
  }

  get seq(): bigint {
    return (BigInt(this.seqHigh) << 32n) | BigInt(this.seqLow);
  }
  set seq(value: bigint) {
    if (typeof value !== 'bigint' || value < 0n || value > MAX_SEQ) {
      throw fieldOutOfRange('seq', value, 'a bigint that fits in 64 unsigned bits');
    }
    this.seqHigh = Number(value >> 32n);
    this.seqLow = Number(value & 0xffff_ffffn);
  }

  /** The seq as a plain number: exact below 2^53, for callers whose counters stay there. */
  get seqNumber(): number {
    return this.seqHigh * TWO_TO_32 + this.seqLow;
  }
  set seqNumber(value: number) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw fieldOutOfRange('seqNumber', value, 'a safe non-negative integer');
    }
    this.seqHigh = Math.floor(value / TWO_TO_32);
    this.seqLow = value >>> 0;
  }

  /** Copies every header field of `source` (Go derives a response by cloning the request's). */
  copyHeader(source: Message): this {
    this.versionByte = source.versionByte;
    this.flags = source.flags;
    this.serializeNibble = source.serializeNibble;
    this.reservedNibble = source.reservedNibble;
    this.seqHigh = source.seqHigh;
    this.seqLow = source.seqLow;
    return this;
  }

  /**
   * @internal Takes header bytes 1..11 of a received frame at `bytes[at]` (the reader checked
   * the magic byte).
   */
  readHeader(bytes: Uint8Array, at: number): void {
    this.versionByte = bytes[at + 1]!;
    this.flags = bytes[at + 2]!;
    const typeByte = bytes[at + 3]!;
    this.serializeNibble = typeByte >> SERIALIZE_SHIFT;
    this.reservedNibble = typeByte & RESERVED_MASK;
    this.seqHigh = readUint32(bytes, at + 4);
    this.seqLow = readUint32(bytes, at + 8);
  }

  private setBits(mask: number, value: number): void {
    this.flags = (this.flags & ~mask) | value;
  }
}

function checked(field: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw fieldOutOfRange(field, value, `an integer in 0..${max}`);
  }
  return value;
}
