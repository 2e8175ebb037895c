import type { Metadata } from './message.js';
import type { ParentContext } from './parent-context.js';

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
  /**
   * The incoming call this one is made for (a server handler's context): its remaining
   * deadline caps this call's, its abort cancels this call, and the metadata keys the client
   * propagates are copied from it (the call's own `metadata` wins).
   */
  context?: ParentContext;
}
