/**
 * Serialize type 3, Go rpcx's default: MessagePack as vmihailenco/msgpack/v5 writes it.
 *
 * - Go structs arrive as maps keyed by Go field name (`{ A: 10, B: 20 }`); send plain objects with
 *   the same keys. Decoded maps are plain objects; a `__proto__` key is refused (the library's own
 *   guard), so a payload cannot reach `Object.prototype`.
 * - Integers: a number that is a safe integer encodes in the smallest int form (Go int64 fields
 *   accept all of them); bigint encodes as 64-bit (`0xd3` int64 when negative, `0xcf` uint64
 *   otherwise, as @msgpack/msgpack writes it). On decode, 64-bit ints within ±(2^53−1) arrive as
 *   number and the others as bigint, so a Go int64/uint64 is never rounded. Map keys become
 *   object keys; Go int64 keys their decimal text.
 * - Uint8Array (Buffer included) ⇄ bin; decoded bin values are views into the payload, no copy.
 * - Date ⇄ timestamp extension −1 (Go `time.Time`), millisecond precision on the JS side.
 * - `undefined` and `null` encode as nil (`0xc0`), Go's nil pointer.
 */
import { Decoder, Encoder, ExtensionCodec, type ExtensionCodecType } from '@msgpack/msgpack';
import { type Codec, SerializeType } from '@rpcx/core';
import { codecError } from '../codec-error.js';
import { mayHoldInt64, narrowInt64s, widenIntegers } from './int64.js';

export interface MsgpackCodecOptions {
  /**
   * Extension types beyond the built-in timestamp (−1), e.g. for Go types registered with
   * `msgpack.RegisterExt`. Defaults to @msgpack/msgpack's shared codec.
   */
  extensionCodec?: ExtensionCodec;
}

export function createMsgpackCodec(options: MsgpackCodecOptions = {}): Codec {
  const extensionCodec: ExtensionCodecType<undefined> =
    options.extensionCodec ?? ExtensionCodec.defaultCodec;
  // Reused for every call (encode/decode are synchronous; the library clones itself if re-entered).
  // Numbers only: writes 32..53-bit integers as int64/uint64, which Go's int fields require.
  const numberEncoder = new Encoder({ extensionCodec: bailOnBigInt(extensionCodec) });
  // For values holding a bigint; its float64 fallback for big numbers is avoided by widenIntegers.
  const bigintEncoder = new Encoder({ extensionCodec, useBigInt64: true });
  const decoder = new Decoder({ extensionCodec, useBigInt64: true, mapKeyConverter });

  return {
    serializeType: SerializeType.MsgPack,
    name: 'msgpack',

    encode(value: unknown): Uint8Array {
      try {
        return numberEncoder.encode(value);
      } catch {
        // A bigint (BIGINT_SEEN) or a real failure, which repeats below and is reported then.
      }
      try {
        return bigintEncoder.encode(widenIntegers(value, extensionCodec));
      } catch (error) {
        throw codecError('msgpack', error);
      }
    },

    decode(bytes: Uint8Array): unknown {
      try {
        const decoded = decoder.decode(bytes);
        return mayHoldInt64(bytes) ? narrowInt64s(decoded) : decoded;
      } catch (error) {
        throw codecError('msgpack', error);
      }
    },
  };
}

/** A shared instance with the default extensions. */
export const msgpackCodec: Codec = /* @__PURE__ */ createMsgpackCodec();

/** Thrown (not an Error, so no stack is captured) when the number encoder meets a bigint. */
const BIGINT_SEEN = Symbol('bigint seen');

/**
 * The number encoder hands every value it cannot write itself, a bigint included, to the
 * extension codec first: the cheapest place to notice a bigint and switch encoders.
 */
function bailOnBigInt(
  extensionCodec: ExtensionCodecType<undefined>,
): ExtensionCodecType<undefined> {
  return {
    tryToEncode(object, context) {
      if (typeof object === 'bigint') throw BIGINT_SEEN;
      return extensionCodec.tryToEncode(object, context);
    },
    decode: (data, extensionType, context) => extensionCodec.decode(data, extensionType, context),
  };
}

/** Map keys become object keys: strings and numbers as they are, Go int64 keys as decimal text. */
function mapKeyConverter(key: unknown): string | number {
  if (typeof key === 'string' || typeof key === 'number') return key;
  if (typeof key === 'bigint' || typeof key === 'boolean') return String(key);
  throw new TypeError(`map key of type ${key === null ? 'nil' : typeof key} is not supported`);
}
