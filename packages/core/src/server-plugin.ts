import type { RpcxMessage } from './message.js';
import type { Awaitable, CallInfo, ConnectionInfo } from './plugins.js';

/**
 * Server-side registry plugin: makes this server's services findable (spec §6.4). The server
 * calls `start` once, when its first listener is bound, then `register` for every service
 * registered so far and for every one registered later; `unregister` for each service on
 * shutdown or close, then `stop`.
 */
export interface RegistryPlugin {
  readonly name?: string;
  /**
   * `serviceAddresses` are the bound addresses of the server's listeners at that moment, e.g.
   * `tcp@127.0.0.1:8972` (useful when the plugin was not told its address, or port 0 was used).
   */
  start?(serviceAddresses: readonly string[]): Awaitable<void>;
  /** `metadata` is the URL-query string given at registration (weight, group, state, ...). */
  register(servicePath: string, metadata: string): Awaitable<void>;
  unregister(servicePath: string): Awaitable<void>;
  stop?(): Awaitable<void>;
}

/**
 * What the server noted of a request it answered, for `postWriteResponse`: what Go's server puts
 * in the request's context (`StartRequestContextKey`).
 */
export interface ServedRequest {
  /**
   * When the request was read: `performance.now()`, in milliseconds. Undefined for a request
   * read before the first plugin with `postWriteResponse` was added.
   */
  readonly receivedAt?: number;
}

/**
 * Server hooks, named after Go rpcx's plugin interfaces (spec §3.8). Every hook is optional; the
 * server calls the plugins that have it in registration order. A hook may be synchronous or
 * return a promise; a synchronous hook keeps the request on the synchronous path. A hook that
 * throws (or rejects) stops the chain where Go's would return an error; where Go ignores a hook's
 * error, so does the server (it logs it).
 */
export interface ServerPlugin {
  readonly name?: string;
  /** After accept, before the connection is served. Returning `false` (or throwing) closes it. */
  postConnAccept?(conn: ConnectionInfo): Awaitable<boolean | undefined>;
  /** After a served connection closed, for whatever reason. Errors are ignored. */
  postConnClose?(conn: ConnectionInfo): Awaitable<void>;
  /** Before each received frame is decoded; throwing closes the connection. */
  preReadRequest?(conn: ConnectionInfo): Awaitable<void>;
  /**
   * Sees every decoded request — heartbeats included — and decode failures (`request`
   * undefined, `error` set). Throwing rejects the request: an `RpcxError` with code
   * `rate_limited` (Go's `request reached rate limit`) is answered with an error response and the
   * connection is kept; any other error closes the connection without a response.
   */
  postReadRequest?(
    conn: ConnectionInfo,
    request: RpcxMessage | undefined,
    error?: Error,
  ): Awaitable<void>;
  /** Before dispatch of a non-heartbeat request. Errors are ignored, as in Go. */
  preHandleRequest?(conn: ConnectionInfo, request: RpcxMessage): Awaitable<void>;
  /**
   * After the arguments were decoded. May return replacement arguments (`undefined` keeps them);
   * throwing fails the call with that error, without running the handler.
   */
  preCall?(call: CallInfo, args: unknown): Awaitable<unknown>;
  /**
   * Right after the handler, with its error if it threw. May return a replacement reply
   * (`undefined` keeps it); throwing fails a successful call with that error.
   */
  postCall?(call: CallInfo, args: unknown, reply: unknown, error?: Error): Awaitable<unknown>;
  /**
   * Before a response is encoded and written (also for auth and rate-limit errors; for a oneway
   * request that was refused, `response` is undefined and nothing is written). The response may
   * be changed (e.g. metadata added). Errors are ignored, as in Go.
   */
  preWriteResponse?(
    conn: ConnectionInfo,
    request: RpcxMessage,
    response: RpcxMessage | undefined,
    error?: Error,
  ): Awaitable<void>;
  /**
   * After a response was queued for writing; `served` says when the request was read. Errors
   * are ignored.
   */
  postWriteResponse?(
    conn: ConnectionInfo,
    request: RpcxMessage,
    response: RpcxMessage | undefined,
    error?: Error,
    served?: ServedRequest,
  ): Awaitable<void>;
  /** Server push: before and after the message is written. Errors are ignored. */
  preWriteRequest?(conn: ConnectionInfo, message: RpcxMessage): Awaitable<void>;
  postWriteRequest?(conn: ConnectionInfo, message: RpcxMessage, error?: Error): Awaitable<void>;
  /** For each heartbeat, before it is echoed. Errors are ignored. */
  heartbeatRequest?(conn: ConnectionInfo, request: RpcxMessage): Awaitable<void>;
}
