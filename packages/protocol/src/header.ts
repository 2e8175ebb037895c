/**
 * The 12-byte rpcx header (spec §1.2), declared once: where each field lives and how its bits are
 * packed. `Message` reads and writes header fields through these, and so does every other package
 * (client and server never spell a bit out themselves).
 *
 *   byte 0  magic 0x08
 *   byte 1  version
 *   byte 2  bit 7 response · bit 6 heartbeat · bit 5 oneway · bits 4..2 compress type ·
 *           bits 1..0 status type
 *   byte 3  bits 7..4 serialize type · bits 3..0 reserved (echoed into responses)
 *   bytes 4..11  seq, uint64 big-endian
 */

import { readUint32 } from './uint32.js';

export const MAGIC_NUMBER = 0x08;
export const HEADER_LENGTH = 12;
/** Header, then the uint32 `totalLen` of the body: what a frame starts with. */
export const FRAME_PREFIX_LENGTH = HEADER_LENGTH + 4;

/** The bits of header byte 2 (the "flags" byte). */
export const HeaderFlag = {
  /** Set on responses; clear on requests (and on server pushes). */
  Response: 0x80,
  Heartbeat: 0x40,
  Oneway: 0x20,
  /** Three bits: the compress type, `(flags & CompressMask) >> CompressShift`. */
  CompressMask: 0x1c,
  CompressShift: 2,
  /** Two bits: the status type (0 normal, 1 error). */
  StatusMask: 0x03,
} as const;

/** Byte 3: serialize type in the high nibble, a reserved nibble Go leaves 0 and echoes. */
export const SERIALIZE_SHIFT = 4;
export const RESERVED_MASK = 0x0f;

/** Largest value of each header field. */
export const HeaderMax = {
  version: 0xff,
  compressType: 7,
  statusType: 3,
  serializeType: 15,
  reserved: 15,
} as const;

/** Where the flags byte (byte 2) and the seq (bytes 4..11) sit in a frame. */
const FLAGS_AT = 2;
const SEQ_AT = 4;

/** The flags byte of the frame starting at `bytes[start]`. */
export function frameFlags(bytes: Uint8Array, start: number): number {
  return bytes[start + FLAGS_AT]!;
}

/** Sets the Response bit of the frame starting at `bytes[start]` (an echo, spec §1.13). */
export function markResponse(bytes: Uint8Array, start: number): void {
  bytes[start + FLAGS_AT] = bytes[start + FLAGS_AT]! | HeaderFlag.Response;
}

/** The seq of the frame starting at `bytes[start]`, as a number (exact below 2^53). */
export function frameSeqNumber(bytes: Uint8Array, start: number): number {
  return readUint32(bytes, start + SEQ_AT) * 0x1_0000_0000 + readUint32(bytes, start + SEQ_AT + 4);
}

/** The compress type of flags byte `flags`. */
export function compressTypeOf(flags: number): number {
  return (flags & HeaderFlag.CompressMask) >> HeaderFlag.CompressShift;
}

/** `flags` with its compress type replaced by `compressType` (0..7; higher bits are dropped). */
export function withCompressType(flags: number, compressType: number): number {
  return (
    (flags & ~HeaderFlag.CompressMask) |
    ((compressType << HeaderFlag.CompressShift) & HeaderFlag.CompressMask)
  );
}

/**
 * Go's classification of an incoming frame (spec §1.15): a request that is oneway and not a
 * heartbeat is a server push; everything else answers a call.
 */
export function isServerPush(flags: number): boolean {
  return (
    (flags & (HeaderFlag.Response | HeaderFlag.Heartbeat | HeaderFlag.Oneway)) === HeaderFlag.Oneway
  );
}
