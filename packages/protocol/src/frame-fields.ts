/**
 * What a frame is written from: the header fields, paths, metadata and plain payload. `Message`
 * is one; a client's call in flight is another, so a request is framed straight from the call.
 */
import type { Metadata } from '@rpcx/core';

export interface FrameFields {
  /** Header byte 1. */
  readonly version: number;
  /** Header byte 2 whole (see `HeaderFlag`). */
  readonly flags: number;
  readonly serializeType: number;
  /** The low nibble of byte 3. */
  readonly reserved: number;
  /** Seq bits 63..32 and 31..0, each a uint32. */
  readonly seqHigh: number;
  readonly seqLow: number;
  readonly servicePath: string;
  readonly serviceMethod: string;
  /** Undefined: no metadata. Read, never changed. */
  readonly metadata: Readonly<Metadata> | undefined;
  /**
   * The time left of a client's deadline (whole ms, decimal), written as the `__ServerTimeout`
   * pair after `metadata`, replacing one there — so a call with a deadline need not copy its
   * caller's metadata to add it.
   */
  readonly serverTimeout?: string | undefined;
  /** The plain payload; it is compressed on the way out if the flags ask for it. */
  readonly payload: Uint8Array;
}
