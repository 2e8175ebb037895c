import type { Metadata } from './message.js';

/** Per-call options, accepted by every call. */
export interface CallOptions {
  /** Aborting fails the call with `RpcxError(Canceled)`. */
  signal?: AbortSignal;
  /**
   * Fails the call with `RpcxError(Timeout)` after this long (ms, counted from the call); the
   * time left is sent to the server as `__ServerTimeout`. `0` or less: already expired.
   */
  timeoutMs?: number;
  /** Request metadata. Never modified: the client sends a copy. */
  metadata?: Metadata;
  /** Overrides the client's serialize type for this call. */
  serializeType?: number;
  /** Overrides the client's compress type for this call (used only above 1024 bytes). */
  compressType?: number;
  /**
   * Type hint for encoding the arguments, for codecs that need a schema: with protobuf, the
   * message type of a plain-object argument (a message instance needs none).
   */
  argsType?: unknown;
  /** Type hint for decoding the reply: with protobuf, the reply's message type. */
  replyType?: unknown;
}
