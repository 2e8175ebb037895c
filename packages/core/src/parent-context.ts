import type { Metadata } from './message.js';

/**
 * The call a handler is serving, as an outgoing call made from it sees it: pass the handler's
 * context as the `context` call option and the outgoing call ends no later than the incoming
 * one, is aborted with it, and carries the metadata keys the client propagates. A server
 * handler's context has this shape already.
 */
export interface ParentContext {
  /** When the incoming call's caller stops waiting, in `Date.now()` ms; undefined for none. */
  readonly deadline?: number | undefined;
  /** Aborted when the incoming call is over (deadline passed, connection closed). */
  readonly signal?: AbortSignal;
  /** The incoming call's request metadata. */
  readonly metadata?: Readonly<Metadata>;
}
