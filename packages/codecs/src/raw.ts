/**
 * Serialize type 0 (None): the payload is the argument's own bytes, as Go's ByteCodec passes a
 * `[]byte` through. Used by raw calls, server push and gateways.
 */
import { type Codec, ErrorCode, RpcxError, SerializeType } from '@rpcx/core';
import { isBytes } from './bytes.js';
import { describeValue } from './codec-error.js';

export const rawCodec: Codec<Uint8Array> = {
  serializeType: SerializeType.None,
  name: 'raw',

  /** Returns the bytes themselves (no copy); anything but a Uint8Array is refused, as in Go. */
  encode(value: Uint8Array): Uint8Array {
    if (isBytes(value)) return value;
    throw new RpcxError(
      ErrorCode.Codec,
      `raw: serialize type 0 (None) carries only bytes: expected a Uint8Array, got ${describeValue(value)}`,
    );
  },

  /** Returns the payload itself (no copy). */
  decode(bytes: Uint8Array): Uint8Array {
    return bytes;
  },
};
