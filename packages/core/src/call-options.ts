import type { Metadata } from './message.js';

/** Per-call options, accepted by every call. */
export interface CallOptions {
  /** Aborting fails the call with `RpcxError(Canceled)`. */
  signal?: AbortSignal;
  /** Fails the call with `RpcxError(Timeout)` after this long; sent to the server as `__ServerTimeout`. */
  timeoutMs?: number;
  /** Request metadata. */
  metadata?: Metadata;
  /** Overrides the client's serialize type for this call. */
  serializeType?: number;
  /** Overrides the client's compress type for this call. */
  compressType?: number;
}
