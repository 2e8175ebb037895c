/**
 * The public shapes handlers and plugins see. Implementations are internal to the server.
 */
import type {
  CallInfo,
  ConnectionInfo,
  Metadata,
  RpcxMessage,
  VerifiedCertificate,
} from '@rpcx/core';

/** A connected client, as `server.connections()`, plugins and handler contexts show it. */
export interface ServerConnection extends ConnectionInfo {
  readonly id: number;
  /** `host:port` of the client (`[v6]:port` for IPv6); `unix socket` on unix sockets. */
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** The listener's network: `tcp`, `tls` or `unix`. */
  readonly network: string;
  /**
   * The client certificate verified at the TLS handshake (mutual TLS: listen with
   * `tls: { requestCert: true, ca, ... }`), read once per connection; undefined on plain TCP,
   * unix and in-process connections, and on TLS without a verified client certificate.
   */
  readonly peerCertificate: VerifiedCertificate | undefined;
  readonly closed: boolean;
  /** Requests being handled now. */
  readonly inFlight: number;
  /** Response bytes queued in the process, not yet handed to the kernel. */
  readonly pendingWriteBytes: number;
  /**
   * True while the server does not read from this client: its responses are not being read fast
   * enough, or it has too many requests in flight.
   */
  readonly readingPaused: boolean;
  /** Closes the connection after queued responses are written. */
  close(): void;
}

/** The server as handlers see it (`ctx.server`). */
export interface ServerHandle {
  /**
   * Pushes a message to a client (Go's `SendMessage`, spec §1.15): a oneway request with
   * serialize type 0 (raw bytes), no compression, and the next server-wide seq (1, 2, ...).
   * Resolves once written to the socket buffer (waiting while the client is not reading);
   * rejects with `RpcxError('unavailable')` if the connection is closed.
   */
  sendMessage(
    connection: ConnectionInfo,
    servicePath: string,
    serviceMethod: string,
    data: Uint8Array,
    metadata?: Metadata,
  ): Promise<void>;
  /** The connected clients. */
  connections(): ServerConnection[];
}

/** What a handler gets besides its arguments (spec §3.6). */
export interface CallContext extends CallInfo {
  readonly servicePath: string;
  readonly serviceMethod: string;
  /** Request metadata (read-only). */
  readonly metadata: Readonly<Metadata>;
  /**
   * Response metadata: what the handler puts here travels back with the response. An error
   * response keeps its `__rpcx_error__`, whatever is put here.
   */
  readonly responseMetadata: Metadata;
  /**
   * Aborted when the client's deadline (`__ServerTimeout`) passes, with
   * `RpcxError('timeout', 'context deadline exceeded')`, or when the connection closes, with
   * `RpcxError('canceled', 'context canceled')`. As in Go, the handler is not stopped by force
   * and its response is still sent.
   */
  readonly signal: AbortSignal;
  /** When the client stops waiting, in `Date.now()` milliseconds; undefined without `__ServerTimeout`. */
  readonly deadline: number | undefined;
  /**
   * The client's connection: pass it to `server.sendMessage` to push to this client. Its
   * `peerCertificate` is the client certificate verified at the TLS handshake (mutual TLS).
   */
  readonly connection: ServerConnection;
  /**
   * Who is calling, as the server's `auth` function said: what it returned (or resolved to).
   * Undefined without `auth`, or when it returns nothing. Interceptors may set it too (see
   * `ServerCall`).
   */
  readonly principal: unknown;
  readonly server: ServerHandle;
  /** The decoded request (header fields, paths, metadata, plain payload). */
  readonly request: RpcxMessage;
}

/**
 * One call as server interceptors see it: the handler's context, plus the arguments — decoded
 * on first read (which throws Go's errors for an unknown service, method or codec) and
 * replaceable before the handler runs.
 */
export interface ServerCall extends CallContext {
  args: unknown;
  /** Settable: an interceptor that authenticates calls its own way puts its principal here. */
  principal: unknown;
}

/**
 * A handler: takes the decoded arguments and the call context, returns the reply (or a promise of
 * it). Throwing or rejecting answers the call with an error response carrying the message.
 */
// biome-ignore lint/suspicious/noExplicitAny: handlers choose their own argument and reply types.
export type Handler<A = any, R = any> = (args: A, ctx: CallContext) => R | Promise<R>;

/**
 * Checks a request's credentials (Go's `AuthFunc`): `token` is the request's `__AUTH` metadata
 * ('' if absent), `connection.peerCertificate` the client's verified certificate under mutual
 * TLS. Throw (or reject) to refuse: the client gets an error response with the message, then the
 * connection is closed, as in Go. What it returns (or resolves to) — a user, a service account —
 * becomes the call's `principal` (`ctx.principal`). Runs for every request but heartbeats, before
 * plugins' call hooks and interceptors.
 */
export type AuthFunction<P = unknown> = (
  token: string,
  request: RpcxMessage,
  connection: ServerConnection,
) => P | Promise<P>;

/** Replaces the error text sent in `__rpcx_error__` (Go's `ServerErrorFunc`). */
export type ErrorTextFunction = (error: unknown, request: RpcxMessage) => string;

/** Told about every failed call: handler errors and dispatch errors (Go's `HandleServiceError`). */
export type ServiceErrorHandler = (error: Error, call: CallInfo) => void;
