/**
 * Big-endian uint32 reads and writes for the frame hot paths. Buffer's own `readUInt32BE` and
 * `writeUInt32BE` validate their arguments on every call, which costs several times the access
 * itself. These check nothing: callers make sure the four bytes are there first.
 */

/** The uint32 at `at`. */
export function readUint32(bytes: Uint8Array, at: number): number {
  return (
    bytes[at]! * 0x100_0000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!)
  );
}

/** Writes `value` (0..2^32-1) at `at`; returns the offset after it. */
export function writeUint32(bytes: Uint8Array, at: number, value: number): number {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
  return at + 4;
}
