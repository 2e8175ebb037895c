/**
 * Internal: bigint in int64 fields. protobufjs writes 64-bit fields from a number or a Long-like
 * `{ low, high }`; a bigint would be written as 0 without a word. This turns every bigint into the
 * Long-like form (two's-complement bits, exact) before encoding, copying only what changes.
 */
import { ErrorCode, RpcxError } from '@rpcx/core';

const INT64_MIN = -(2n ** 63n);
const INT64_END = 2n ** 63n;
const UINT64_END = 2n ** 64n;
const LOW_32 = 0xffffffffn;

/** The protobufjs Long-like shape (what `Long.fromBits` would hold). */
export interface LongBits {
  low: number;
  high: number;
  unsigned: boolean;
}

export function bigintToLongBits(value: bigint): LongBits {
  if (value < INT64_MIN || value >= UINT64_END) {
    throw new RpcxError(ErrorCode.Codec, `protobuf: ${value} does not fit a 64-bit field`);
  }
  const bits = BigInt.asUintN(64, value);
  return {
    low: Number(bits & LOW_32) | 0,
    high: Number(bits >> 32n) | 0,
    unsigned: value >= INT64_END,
  };
}

/** `value` with every bigint replaced by LongBits; the same reference when there is none. */
export function replaceBigInts(value: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return bigintToLongBits(value);
  // Messages nest only as deep as their schema; 100 levels is protobufjs' own recursion limit.
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || depth > 100) {
    return value;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const replaced = replaceBigInts(value[i], depth + 1);
      if (replaced !== value[i]) {
        copy ??= value.slice();
        copy[i] = replaced;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const replaced = replaceBigInts(item, depth + 1);
    if (replaced !== item) {
      // Same prototype, so a message instance stays an instance of its type.
      copy ??= Object.assign(Object.create(Object.getPrototypeOf(value)), value);
      copy![key] = replaced;
    }
  }
  return copy ?? value;
}
