/**
 * Serialize type 1: UTF-8 JSON, as Go's `encoding/json` reads and writes it.
 *
 * - `undefined` (a handler that returns nothing) encodes as `null`, what Go writes for a nil
 *   pointer reply; Go decodes `null` into any type as "leave the zero value".
 * - Uint8Array (Buffer included) encodes as a base64 string, as Go encodes `[]byte`, unless it
 *   has a toJSON of its own (Buffer's aside), which is then what JSON.stringify writes. Decoding
 *   has no schema, so a Go `[]byte` field arrives as that base64 string.
 * - bigint encodes as a JSON number with its exact digits, so a Go int64/uint64 field receives it
 *   exactly. On decode, integers beyond ±(2^53−1) within the 64-bit range arrive as bigint; every
 *   other number as a number.
 * - Invalid UTF-8 decodes to U+FFFD, as Go's decoder does inside strings.
 *
 * Both directions cost next to nothing for values without bigints or bytes: encode is one plain
 * JSON.stringify (a bigint makes it throw; bytes leave a trace in its output) and decode one
 * JSON.parse after reading every 16th byte of the payload (see `mayHoldUnsafeInteger`).
 */
import { Buffer } from 'node:buffer';
import { type Codec, SerializeType } from '@rpcx/core';
import { isBytes } from './bytes.js';
import { codecError } from './codec-error.js';
import { markBigInt, mayHoldUnsafeInteger, parseExact, unmarkBigInts } from './json-int64.js';

const textDecoder = new TextDecoder();
const NULL = 'null';
/** Past this depth the plain output is not worth proving; the replacer path handles anything. */
const MAX_PLAIN_DEPTH = 32;

export const jsonCodec: Codec = {
  serializeType: SerializeType.JSON,
  name: 'json',

  encode(value: unknown): Uint8Array {
    try {
      // Plain JSON.stringify, much faster than with a replacer. It returns undefined for
      // undefined, functions and symbols; Buffer.from is several times faster than TextEncoder
      // for short texts.
      const text = JSON.stringify(value);
      const bytes = Buffer.from(text ?? NULL, 'utf8');
      // It writes bytes as objects, which leave a trace in the text: only then is the value
      // walked to see whether there are bytes in it. (Checked after Buffer.from, which flattens
      // the text that JSON.stringify returns in pieces, so the check does not pay for that.)
      if (text === undefined || !mayHoldBytes(text) || !needsReplacer(value, 0)) return bytes;
    } catch {
      // A bigint: plain JSON.stringify throws a TypeError on one, the signal that the replacer
      // is needed. A real failure (a cycle) repeats there and is reported.
    }
    return encodeReplaced(value);
  },

  decode(bytes: Uint8Array): unknown {
    try {
      const text = textDecoder.decode(bytes);
      return mayHoldUnsafeInteger(bytes) ? parseExact(text) : JSON.parse(text);
    } catch (error) {
      throw codecError('json', error);
    }
  },
};

/** JSON.stringify with the replacer: bigints as exact digits, bytes as base64. */
function encodeReplaced(value: unknown): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, replace);
  } catch (error) {
    throw codecError('json', error);
  }
  return Buffer.from(text === undefined ? NULL : unmarkBigInts(text), 'utf8');
}

const BUFFER = 'type":"Buffer"';

/**
 * Whether plain JSON.stringify output may hold bytes written as an object: an empty Uint8Array
 * gives `{}`, any other `{"0":…`, a Buffer (its toJSON) `{"type":"Buffer",…`. Output without
 * any of these holds no bytes, except bytes with a toJSON of their own (written as it says) and
 * an empty Uint8Array given enumerable properties of its own (written as an object of them). An
 * object that only looks alike costs the walk of needsReplacer.
 */
function mayHoldBytes(text: string): boolean {
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) {
    if (text.charCodeAt(i + 1) === 0x7d /* } */) return true;
    if (text.charCodeAt(i + 1) !== 0x22 /* " */) continue;
    // By character codes: String#startsWith costs more than the whole rest of the check.
    const key = text.charCodeAt(i + 2);
    if (key === 0x30 /* 0 */ && text.charCodeAt(i + 3) === 0x22) return true;
    if (key === 0x74 /* t */ && isAt(text, i + 2, BUFFER)) return true;
  }
  return false;
}

function isAt(text: string, index: number, word: string): boolean {
  for (let j = 0; j < word.length; j++) {
    if (text.charCodeAt(index + j) !== word.charCodeAt(j)) return false;
  }
  return true;
}

/** Whether plain JSON.stringify got `value` wrong: bytes, or a toJSON we cannot see through. */
function needsReplacer(value: unknown, depth: number): boolean {
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
