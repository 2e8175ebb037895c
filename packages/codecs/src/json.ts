/**
 * Serialize type 1: UTF-8 JSON, as Go's `encoding/json` reads and writes it.
 *
 * - `undefined` (a handler that returns nothing) encodes as `null`, what Go writes for a nil
 *   pointer reply; Go decodes `null` into any type as "leave the zero value".
 * - Uint8Array (Buffer included) encodes as a base64 string, as Go encodes `[]byte`. Decoding has
 *   no schema, so a Go `[]byte` field arrives as that base64 string.
 * - bigint encodes as a JSON number with its exact digits, so a Go int64/uint64 field receives it
 *   exactly. On decode, integers beyond ±(2^53−1) within the 64-bit range arrive as bigint; every
 *   other number as a number.
 * - Invalid UTF-8 decodes to U+FFFD, as Go's decoder does inside strings.
 */
import { Buffer } from 'node:buffer';
import { type Codec, SerializeType } from '@rpcx/core';
import { isBytes } from './bytes.js';
import { codecError } from './codec-error.js';
import { markBigInt, parseJson, unmarkBigInts } from './json-int64.js';

const textDecoder = new TextDecoder();
const NULL = 'null';
/** Past this depth the plain path is not worth proving; the replacer path handles anything. */
const MAX_PLAIN_DEPTH = 32;

export const jsonCodec: Codec = {
  serializeType: SerializeType.JSON,
  name: 'json',

  encode(value: unknown): Uint8Array {
    let text: string | undefined;
    try {
      // A replacer slows JSON.stringify down a lot; most values do not need one.
      text = needsReplacer(value, 0) ? JSON.stringify(value, replace) : JSON.stringify(value);
    } catch {
      // E.g. a bigint returned by a toJSON; a real failure repeats below.
      try {
        text = JSON.stringify(value, replace);
      } catch (error) {
        throw codecError('json', error);
      }
    }
    // JSON.stringify returns undefined for undefined, functions and symbols. Buffer.from is
    // several times faster than TextEncoder for short texts.
    return Buffer.from(text === undefined ? NULL : unmarkBigInts(text), 'utf8');
  },

  decode(bytes: Uint8Array): unknown {
    try {
      return parseJson(textDecoder.decode(bytes));
    } catch (error) {
      throw codecError('json', error);
    }
  },
};

/** Whether plain JSON.stringify would get `value` wrong: bytes, bigints, toJSON we cannot see through. */
function needsReplacer(value: unknown, depth: number): boolean {
  if (typeof value === 'bigint') return true;
  if (typeof value !== 'object' || value === null) return false;
  if (depth > MAX_PLAIN_DEPTH || isBytes(value)) return true;
  if (value instanceof Date) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  if (Array.isArray(value)) {
    for (const item of value) if (needsReplacer(item, depth + 1)) return true;
    return false;
  }
  for (const key of Object.keys(value)) {
    if (needsReplacer((value as Record<string, unknown>)[key], depth + 1)) return true;
  }
  return false;
}

function replace(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return markBigInt(value);
  // The holder's own value: a Buffer's toJSON has already run on `value`.
  const raw = (this as Record<string, unknown>)[key];
  return isBytes(raw) ? base64(raw) : value;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
