import type { RpcxMessage } from './message.js';
import type { Awaitable, CallInfo, ConnectionInfo } from './plugins.js';
import type { SelectContext } from './selector.js';

/** A selector's pick function, as `wrapSelect` sees it. */
export type SelectFunc = (ctx: SelectContext) => string | undefined;

/**
 * Client-side hooks, all optional; Go's name is given where it differs. For one call they fire
 * in this order:
 *
 *   preCall → clientBeforeEncode → preWriteRequest → (frame written) → postWriteRequest →
 *   preReadResponseHeader → postReadResponseHeader → preReadResponseBody → (frame decoded) →
 *   postReadResponseBody → clientAfterDecode → postCall
 *
 * The read hooks fire for every incoming frame (responses, heartbeat echoes, server pushes)
 * before it is matched to a call; the write hooks for every outgoing frame (heartbeats too).
 * `preCall`/`postCall` fire once per call (per attempt when an XClient retries).
 *
 * Errors: a throwing `preCall` fails the call before anything is sent; a throwing `postCall`
 * replaces the call's outcome with its error; a throwing `connCreated` fails the connection
 * attempt. Every other hook's errors are logged and ignored, as Go ignores them.
 */
export interface ClientPlugin {
  readonly name?: string;

  /** Go `PreCallPlugin.PreCall`: before each call (attempt); throwing fails it, nothing is sent. */
  preCall?(call: CallInfo, args: unknown): Awaitable<void>;
  /**
   * Go `PostCallPlugin.PostCall`: after each call (attempt) with its outcome; throwing replaces
   * the outcome with that error. Not called when `preCall` failed.
   */
  postCall?(call: CallInfo, args: unknown, reply: unknown, error?: Error): Awaitable<void>;

  /** Go `ConnCreatedPlugin`: a socket was dialled, before any call uses it; throwing drops it. */
  connCreated?(conn: ConnectionInfo): Awaitable<void>;
  /** Go `ConnCreateFailedPlugin`: dialling `address` (`network@host:port`) failed. */
  connCreateFailed?(address: string, error: Error): Awaitable<void>;
  /** Go `ClientConnectedPlugin`: the connection is ready for calls (after `connCreated`). */
  clientConnected?(conn: ConnectionInfo): Awaitable<void>;
  /** Go `ClientConnectionClosePlugin`: the connection closed (once per connection), and why. */
  clientConnectionClose?(conn: ConnectionInfo, reason?: Error): Awaitable<void>;

  /**
   * Go `ClientBeforeEncodePlugin`: the request is built (arguments already serialized) and about
   * to be framed; may change its header fields, metadata or payload.
   */
  clientBeforeEncode?(message: RpcxMessage): void;
  /** Before the framed request is handed to the socket (after any backpressure wait). */
  preWriteRequest?(message: RpcxMessage): void;
  /** After the framed request was handed to the socket, or failed to be. */
  postWriteRequest?(message: RpcxMessage, error?: Error): void;

  /** A frame arrived; before its header is read. */
  preReadResponseHeader?(): void;
  /** The 12 header bytes of the incoming frame (a view: copy to keep). */
  postReadResponseHeader?(header: Uint8Array): void;
  /** Before the frame's body (paths, metadata, payload) is decoded. */
  preReadResponseBody?(header: Uint8Array): void;
  /** The decoded frame, payload decompressed, before it is matched to a call. */
  postReadResponseBody?(message: RpcxMessage): void;
  /** Go `ClientAfterDecodePlugin`: right after `postReadResponseBody`, same message. */
  clientAfterDecode?(message: RpcxMessage): void;

  /** Go `SelectNodePlugin.WrapSelect`: wraps the selector's pick (used by XClient). */
  wrapSelect?(select: SelectFunc): SelectFunc;
}
