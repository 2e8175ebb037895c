/**
 * Internal: bigint in int64 fields. protobufjs writes 64-bit fields from a number or a Long-like
 * `{ low, high }`; a bigint would be written as 0 without a word. This turns every bigint into the
 * Long-like form (two's-complement bits, exact) before encoding, copying only what changes.
 * With a reflected type at hand only the fields that can hold one are looked at: a benchmark
 * message has 40 fields and two of them are 64-bit.
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

/**
 * `value` with every bigint replaced by LongBits; the same reference when there is none. `type`
 * is the value's message type when known (its own `$type` is used otherwise).
 */
export function replaceBigInts(value: unknown, type?: unknown, depth = 0): unknown {
  if (typeof value === 'bigint') return bigintToLongBits(value);
  // Messages nest only as deep as their schema; 100 levels is protobufjs' own recursion limit.
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || depth > 100) {
    return value;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      if (!mayHoldBigInt(value[i])) continue;
      const replaced = replaceBigInts(value[i], undefined, depth + 1);
      if (replaced !== value[i]) {
        copy ??= value.slice();
        copy[i] = replaced;
      }
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const keys = fieldsThatMayHoldBigInts(type ?? (value as { $type?: unknown }).$type);
  for (const key of keys ?? Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (!mayHoldBigInt(item)) continue;
    const replaced = replaceBigInts(item, undefined, depth + 1);
    if (replaced !== item) {
      // Same prototype, so a message instance stays an instance of its type.
      copy ??= Object.assign(Object.create(Object.getPrototypeOf(value)), value);
      copy![key] = replaced;
    }
  }
  return copy ?? value;
}

/** Most fields are strings, numbers or booleans: skipped without a call. */
function mayHoldBigInt(item: unknown): boolean {
  return typeof item === 'bigint' || (typeof item === 'object' && item !== null);
}

/** Scalar types that protobufjs never writes from a 64-bit value. */
const NARROW_SCALARS = new Set([
  'double',
  'float',
  'int32',
  'uint32',
  'sint32',
  'fixed32',
  'sfixed32',
  'bool',
  'string',
  'bytes',
]);

/** A field as a reflected `protobuf.Type` lists it. */
interface ReflectedField {
  name: string;
  type: string;
  repeated: boolean;
  map?: boolean;
}

const fieldsByType = new WeakMap<object, string[]>();

/**
 * The names of the fields of a reflected type that can hold a bigint (64-bit scalars, messages,
 * enums, repeated and map fields), computed once per type; undefined for anything else (a static
 * class carries no field list).
 */
function fieldsThatMayHoldBigInts(type: unknown): string[] | undefined {
  if (typeof type !== 'object' || type === null) return undefined;
  const cached = fieldsByType.get(type);
  if (cached !== undefined) return cached;
  const fields = (type as { fieldsArray?: unknown }).fieldsArray;
  if (!Array.isArray(fields)) return undefined;
  const names = (fields as ReflectedField[])
    .filter((field) => field.repeated || field.map || !NARROW_SCALARS.has(field.type))
    .map((field) => field.name);
  fieldsByType.set(type, names);
  return names;
}
