/**
 * Serialize type 2: standard protobuf binary, no envelope, with protobufjs. The schema comes from
 * the caller as a message type (see `ProtobufMessageType`):
 *
 * - encode: a message instance encodes with its own type; a plain object needs the type as the
 *   hint (`codec.encode({ a: 10, b: 20 }, ArithArgs)`) and is verified first. `null`/`undefined`
 *   encode as the empty message (zero bytes), as Go marshals a nil message pointer.
 * - decode: needs the type (`codec.decode(bytes, ArithReply)`) and returns the message instance;
 *   its fields read like a plain object's.
 * - 64-bit fields: decoded int64/uint64/sint64/fixed64 values are `Long` objects (exact; use
 *   `.toString()` or `.toBigInt()`), which protobufjs produces when its `long` dependency is
 *   loaded. The codec refuses to start without it unless told `allowInexactInt64`, because
 *   protobufjs would then round values beyond 2^53 silently. On encode, a field may hold a number,
 *   a Long or a bigint (converted exactly).
 */
import { type Codec, ErrorCode, RpcxError, SerializeType } from '@rpcx/core';
import protobuf from 'protobufjs/minimal.js';
import { isBytes } from '../bytes.js';
import { codecError, describeValue } from '../codec-error.js';
import { replaceBigInts } from './longs.js';
import {
  isMessageType,
  messageTypeName,
  messageTypeOf,
  type ProtobufMessageType,
} from './message-type.js';

export interface ProtobufCodecOptions {
  /**
   * Start even when protobufjs has no `Long` implementation, accepting that 64-bit fields beyond
   * 2^53 decode rounded. Off by default.
   */
  allowInexactInt64?: boolean;
}

/** The protobuf codec: `Codec` with the message type as the (typed) hint. */
export interface ProtobufCodec extends Codec {
  encode(value: unknown, type?: ProtobufMessageType): Uint8Array;
  decode<M = unknown>(bytes: Uint8Array, type?: ProtobufMessageType<M>): M;
}

const EMPTY = new Uint8Array(0);

export function createProtobufCodec(options: ProtobufCodecOptions = {}): ProtobufCodec {
  if (!protobuf.util.Long && options.allowInexactInt64 !== true) {
    throw new RpcxError(
      ErrorCode.InvalidArgument,
      'protobuf: protobufjs has no Long implementation (the "long" package did not load), so ' +
        '64-bit fields would decode rounded past 2^53. Set protobuf.util.Long = Long and call ' +
        'protobuf.configure(), or pass { allowInexactInt64: true }',
    );
  }

  return {
    serializeType: SerializeType.ProtoBuffer,
    name: 'protobuf',

    encode(value: unknown, type?: unknown): Uint8Array {
      if (value === undefined || value === null) return EMPTY;
      const ownType = messageTypeOf(value);
      const messageType = ownType ?? hintedType(type, 'encode', value);
      try {
        const message = replaceBigInts(value, messageType) as { [key: string]: unknown };
        if (ownType === undefined && messageType.verify !== undefined) {
          const problem = messageType.verify(message);
          if (problem !== null) {
            throw new RpcxError(
              ErrorCode.Codec,
              `protobuf: not a valid ${messageTypeName(messageType)}: ${problem}`,
            );
          }
        }
        return messageType.encode(message).finish();
      } catch (error) {
        throw codecError('protobuf', error);
      }
    },

    decode<M>(bytes: Uint8Array, type?: unknown): M {
      const messageType = hintedType(type, 'decode') as ProtobufMessageType<M>;
      try {
        return messageType.decode(asPlainUint8Array(bytes));
      } catch (error) {
        throw codecError('protobuf', error);
      }
    },
  };
}

/** The type hint, checked; a clear error saying what to pass when it is missing or unusable. */
function hintedType(type: unknown, operation: 'encode', value: unknown): ProtobufMessageType;
function hintedType(type: unknown, operation: 'decode'): ProtobufMessageType;
function hintedType(type: unknown, operation: string, value?: unknown): ProtobufMessageType {
  if (isMessageType(type)) return type;
  const what =
    operation === 'encode'
      ? `encoding ${describeValue(value)} (not a message instance) needs its message type`
      : 'decoding needs the message type';
  const example =
    operation === 'encode'
      ? 'codec.encode({ a: 10, b: 20 }, ArithArgs)'
      : 'codec.decode(bytes, ArithReply)';
  const got = type === undefined ? 'no type was given' : `got ${describeValue(type)}`;
  throw new RpcxError(
    ErrorCode.Codec,
    `protobuf: ${what}: pass a generated message class or a protobuf.Type as the type hint, ` +
      `e.g. ${example} (${got})`,
  );
}

/**
 * protobufjs checks `instanceof Uint8Array`; bytes from another realm (a vm context, a test
 * sandbox) get a same-memory view from this one.
 */
function asPlainUint8Array(bytes: Uint8Array): Uint8Array {
  if (bytes instanceof Uint8Array || !isBytes(bytes)) return bytes;
  const foreign: Uint8Array = bytes;
  return new Uint8Array(foreign.buffer, foreign.byteOffset, foreign.byteLength);
}
