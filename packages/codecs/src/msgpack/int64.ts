/**
 * Internal: 64-bit integers between JavaScript and Go's msgpack. @msgpack/msgpack 3.x offers one
 * switch, `useBigInt64`, for both directions and all-or-nothing; these walks give the mixed mode
 * rpcx needs: bigint only where a number would lose digits, number everywhere else.
 */
import { Buffer } from 'node:buffer';
import type { ExtensionCodecType } from '@msgpack/msgpack';

const UINT32_END = 2 ** 32;
const INT64_MIN = -(2n ** 63n);
const UINT64_END = 2n ** 64n;
const INT32_MIN = -(2 ** 31);
/** The encoder's own depth limit; past it encoding fails anyway, so the walk stops there. */
const MAX_DEPTH = 100;

/**
 * Whether msgpack bytes may hold a 64-bit int (head byte 0xcf uint64 or 0xd3 int64). A false
 * positive (the byte inside a string) only costs a walk; a payload without either byte cannot.
 */
export function mayHoldInt64(bytes: Uint8Array): boolean {
  // Buffer's indexOf is memchr; a plain Uint8Array's own reads byte by byte, ten times slower.
  const view = Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return view.indexOf(0xd3) !== -1 || view.indexOf(0xcf) !== -1;
}

/**
 * After a bigint-mode decode: turns every bigint within ±(2^53−1) back into a number, in place.
 * Iterative, because decoded nesting depth is whatever the peer sent.
 */
export function narrowInt64s(decoded: unknown): unknown {
  if (typeof decoded === 'bigint') return narrow(decoded);
  if (!isContainer(decoded)) return decoded;
  const pending: (unknown[] | Record<string, unknown>)[] = [decoded];
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const item = container[i];
        if (typeof item === 'bigint') container[i] = narrow(item);
        else if (isContainer(item)) pending.push(item);
      }
    } else {
      for (const key of Object.keys(container)) {
        const item = container[key];
        if (typeof item === 'bigint') container[key] = narrow(item);
        else if (isContainer(item)) pending.push(item);
      }
    }
  }
  return decoded;
}

/**
 * Before a bigint-mode encode: a copy of `value` in which integers the bigint-mode encoder would
 * write as float64 (beyond the 32-bit range) become bigint, so Go's int64 fields still accept them.
 * Objects an extension encodes (Date, custom types) are left alone; a bigint beyond 64 bits
 * throws. A cycle is left in place for the encoder to refuse ("too deep") instead of being
 * copied over and over.
 */
export function widenIntegers(
  value: unknown,
  extensionCodec: ExtensionCodecType<undefined>,
  ancestors: Set<object> = new Set(),
): unknown {
  if (typeof value === 'bigint') {
    // DataView would wrap it modulo 2^64 without a word.
    if (value < INT64_MIN || value >= UINT64_END) {
      throw new RangeError(`bigint ${value} does not fit 64 bits (int64 or uint64)`);
    }
    return value;
  }
  if (typeof value === 'number') {
    const wide = Number.isSafeInteger(value) && (value >= UINT32_END || value < INT32_MIN);
    return wide ? BigInt(value) : value;
  }
  if (typeof value !== 'object' || value === null) return value;
  if (ancestors.has(value) || ancestors.size > MAX_DEPTH) return value;
  if (ArrayBuffer.isView(value) || extensionCodec.tryToEncode(value, undefined) !== null) {
    return value;
  }
  ancestors.add(value);
  let copy: unknown[] | Record<string, unknown>;
  if (Array.isArray(value)) {
    copy = value.map((item) => widenIntegers(item, extensionCodec, ancestors));
  } else {
    // The keys the encoder writes (own enumerable).
    const map: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = widenIntegers(
        (value as Record<string, unknown>)[key],
        extensionCodec,
        ancestors,
      );
      // Assigning `__proto__` would set the prototype; define it as the plain key it is.
      if (key === '__proto__') {
        Object.defineProperty(map, key, { value: item, enumerable: true, writable: true });
      } else {
        map[key] = item;
      }
    }
    copy = map;
  }
  ancestors.delete(value);
  return copy;
}

function narrow(value: bigint): number | bigint {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

/** Arrays and decoded maps (plain objects); Dates, bytes and ExtData are leaves. */
function isContainer(value: unknown): value is unknown[] | Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
