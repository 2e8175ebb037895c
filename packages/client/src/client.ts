/**
 * `Client`: calls over one connection to one rpcx server (Go's `client.Client`, spec §4.1), plus
 * what Go leaves to XClient or to the caller: it reconnects on the next call after the
 * connection drops (with exponential backoff between failed dials), sends `__ServerTimeout`,
 * and offers typed proxies. XClient (discovery, selectors, fail modes) is built on top of it.
 *
 *   const client = new Client({ address: 'tcp@127.0.0.1:8972' });
 *   const { C } = await client.call('Arith', 'Mul', { A: 2, B: 3 });
 */
import type { ConnectionOptions } from 'node:tls';
import {
  type CallInfo,
  type CallOptions,
  ErrorCode,
  type Metadata,
  monotonicNow,
  RpcxError,
  type RpcxMessage,
} from '@rpcx/core';
import { compressTypeFor, type Message } from '@rpcx/protocol';
import { dial } from '@rpcx/transport';
import type { Backoff } from './backoff.js';
import { type ClientContext, type ClientOptions, resolveClientOptions } from './client-options.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { asRpcxError, messageOf } from './errors.js';
import { CallKind, type CallResult, PendingCall } from './pending-call.js';
import { PushStream, type PushStreamOptions } from './push-stream.js';
import { createServiceProxy, type ServiceProxy } from './service-proxy.js';

/** Receives server pushes. */
export type PushHandler = (message: RpcxMessage) => void;
/** Told each time the connection closes, with why (`Shutdown` after `close()`). */
export type CloseHandler = (reason: RpcxError) => void;

const NO_OPTIONS: CallOptions = Object.freeze({});
const ONEWAY_FLAG = 0x20;
const NO_METADATA: Metadata = Object.freeze(Object.create(null));

export class Client {
  /** The server address, normalised (`tcp@127.0.0.1:8972`). */
  readonly address: string;
  private readonly ctx: ClientContext;
  private readonly backoff: Backoff;
  private readonly tls: ConnectionOptions | undefined;
  private readonly connectTimeoutMs: number;
  private readonly keepAliveMs: number;
  private conn: Connection | undefined = undefined;
  private dialing: Promise<Connection> | undefined = undefined;
  private dialAbort: AbortController | undefined = undefined;
  /** No dial before this (monotonic ms) after a failed one. */
  private retryAt = 0;
  private lastDialError: RpcxError | undefined = undefined;
  private shutdownError: RpcxError | undefined = undefined;
  private closing: Promise<void> | undefined = undefined;
  /** Aborted by `close()`: ends `connect()`'s backoff wait. */
  private readonly lifetime = new AbortController();
  private readonly pushHandlers = new Set<PushHandler>();
  private readonly closeHandlers = new Set<CloseHandler>();
  private readonly pushStreams = new Set<PushStream>();
  private readonly proxies = new Map<string, unknown>();
  private readonly events: ConnectionEvents = {
    push: (message) => this.deliverPush(message),
    closed: (connection, reason) => this.connectionClosed(connection, reason),
  };

  constructor(options: ClientOptions) {
    const { context, backoff } = resolveClientOptions(options);
    this.ctx = context;
    this.backoff = backoff;
    this.address = context.address;
    this.tls = options.tls;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1_000;
    this.keepAliveMs = options.keepAliveMs ?? 60_000;
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.openConnection() !== undefined;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.shutdownError !== undefined;
  }

  /** Calls awaiting a response. */
  get pendingCalls(): number {
    return this.openConnection()?.pendingCalls ?? 0;
  }

  /**
   * Calls `servicePath.serviceMethod` and resolves with the decoded reply (`undefined` when the
   * server sent an empty payload). Fails with `RpcxError`: `ServiceError` (the server's
   * `__rpcx_error__` text, response metadata in `.metadata`), `Timeout`, `Canceled`,
   * `Unavailable` (dial failed or connection lost), `Shutdown` (closed), `Codec`.
   */
  call<Reply = unknown>(
    servicePath: string,
    serviceMethod: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<Reply> {
    return this.start(CallKind.Reply, servicePath, serviceMethod, args, options) as Promise<Reply>;
  }

  /** Like `call`, resolving with the reply and the response metadata. */
  invoke<Reply = unknown>(
    servicePath: string,
    serviceMethod: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<CallResult<Reply>> {
    return this.start(CallKind.Result, servicePath, serviceMethod, args, options) as Promise<
      CallResult<Reply>
    >;
  }

  /**
   * Sends a oneway request (no response, Go's `Oneshot`): resolves once the frame is handed to
   * the socket. The server reports nothing back, not even errors.
   */
  send(
    servicePath: string,
    serviceMethod: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<void> {
    return this.start(CallKind.Oneway, servicePath, serviceMethod, args, options) as Promise<void>;
  }

  /** A typed proxy: `client.service<Arith>('Arith').Mul({ A: 2, B: 3 })`. */
  service<S>(servicePath: string): ServiceProxy<S> {
    let proxy = this.proxies.get(servicePath);
    if (proxy === undefined) {
      proxy = createServiceProxy<S>(this, servicePath);
      this.proxies.set(servicePath, proxy);
    }
    return proxy as ServiceProxy<S>;
  }

  /**
   * Opens the connection now instead of on the first call. Unlike calls, which fail at once
   * while a failed dial's backoff runs, this waits the backoff out before dialling.
   */
  async connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    for (;;) {
      if (this.shutdownError !== undefined) throw this.shutdownError;
      if (this.openConnection() !== undefined) return;
      const wait = this.retryAt - monotonicNow();
      if (this.dialing === undefined && wait > 0) {
        await this.sleep(wait, options.signal);
        continue;
      }
      await this.ensureDial();
      return;
    }
  }

  /** Calls `handler` with every server push; returns an unsubscribe function. */
  onPush(handler: PushHandler): () => void {
    this.pushHandlers.add(handler);
    return () => this.pushHandlers.delete(handler);
  }

  /**
   * Server pushes as an async iterator with a bounded buffer (oldest dropped when full). It ends
   * when the connection closes (see `closeReason`), when the client closes, or on `signal`.
   */
  pushes(options: PushStreamOptions = {}): PushStream {
    const stream = new PushStream(
      { bufferSize: options.bufferSize ?? this.ctx.pushBufferSize, signal: options.signal },
      this.ctx.logger,
      (ended) => this.pushStreams.delete(ended),
    );
    if (this.shutdownError !== undefined) stream.end(this.shutdownError);
    else if (!stream.closed) this.pushStreams.add(stream);
    return stream;
  }

  /** Calls `handler` each time the connection closes; returns an unsubscribe function. */
  onClose(handler: CloseHandler): () => void {
    this.closeHandlers.add(handler);
    return () => this.closeHandlers.delete(handler);
  }

  /**
   * Closes the connection. Pending calls fail at once, and every later call, with
   * `RpcxError(Shutdown, 'connection is shut down')`. Resolves when the socket is gone; calling it
   * again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const reason = new RpcxError(ErrorCode.Shutdown, 'connection is shut down');
    this.shutdownError = reason;
    this.lifetime.abort(reason);
    this.dialAbort?.abort(reason);
    for (const stream of this.pushStreams) stream.end(reason);
    const conn = this.conn;
    this.closing =
      conn === undefined
        ? Promise.resolve()
        : new Promise<void>((resolve) => conn.shutdown(reason, resolve));
    return this.closing;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private start(
    kind: CallKind,
    servicePath: string,
    serviceMethod: string,
    args: unknown,
    options: CallOptions = NO_OPTIONS,
  ): Promise<unknown> {
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs))) {
      return Promise.reject(
        new RpcxError(ErrorCode.InvalidArgument, `timeoutMs must be a number, got ${timeoutMs}`),
      );
    }
    // Infinity (like undefined) means no deadline.
    const deadline =
      timeoutMs === undefined ? Number.POSITIVE_INFINITY : monotonicNow() + timeoutMs;
    if (this.ctx.hooks.wrapsCalls) {
      return this.startWrapped(kind, servicePath, serviceMethod, args, options, deadline);
    }
    return this.startCall(kind, servicePath, serviceMethod, args, options, deadline);
  }

  /** The call itself: encode, then send on the open connection or after connecting. */
  private startCall(
    kind: CallKind,
    servicePath: string,
    serviceMethod: string,
    args: unknown,
    options: CallOptions,
    deadline: number,
  ): Promise<unknown> {
    const call = new PendingCall(kind, servicePath, serviceMethod, options.replyType, deadline);
    const promise = call.promise();
    if (this.shutdownError !== undefined) {
      call.fail(this.shutdownError);
      return promise;
    }
    const signal = options.signal;
    if (signal?.aborted) {
      call.abort(signal.reason);
      return promise;
    }
    if (deadline !== Number.POSITIVE_INFINITY && deadline <= monotonicNow()) {
      call.expire();
      return promise;
    }
    call.watch(signal);
    try {
      this.prepareRequest(call, args, options);
    } catch (error) {
      call.fail(asRpcxError(error, ErrorCode.Codec));
      return promise;
    }
    const conn = this.conn;
    if (conn !== undefined && !conn.closed) conn.transmit(call);
    else this.connectThenTransmit(call);
    return promise;
  }

  /** With `preCall`/`postCall` plugins: they run around the call. */
  private async startWrapped(
    kind: CallKind,
    servicePath: string,
    serviceMethod: string,
    args: unknown,
    options: CallOptions,
    deadline: number,
  ): Promise<unknown> {
    if (this.shutdownError !== undefined) throw this.shutdownError;
    const hooks = this.ctx.hooks;
    const info: { -readonly [K in keyof CallInfo]: CallInfo[K] } = {
      connection: this.conn,
      servicePath,
      serviceMethod,
      metadata: options.metadata ?? NO_METADATA,
    };
    await hooks.runPreCall(info, args);
    let reply: unknown;
    let failure: RpcxError | undefined;
    try {
      reply = await this.startCall(kind, servicePath, serviceMethod, args, options, deadline);
    } catch (error) {
      failure = asRpcxError(error, ErrorCode.Internal);
    }
    info.connection = this.conn ?? info.connection;
    const outcome = await hooks.runPostCall(info, args, reply, failure);
    if (outcome !== undefined) throw outcome;
    return reply;
  }

  /** Serializes the arguments and fills in the call's request fields. */
  private prepareRequest(call: PendingCall, args: unknown, options: CallOptions): void {
    const ctx = this.ctx;
    const serializeType = options.serializeType ?? ctx.serializeType;
    const codec = ctx.codecs.get(serializeType);
    if (codec === undefined) {
      throw new RpcxError(
        ErrorCode.Codec,
        `${call.describe()}: unsupported codec: no codec for serialize type ${serializeType}`,
      );
    }
    const payload = codec.encode(args, options.argsType);
    const compressType = compressTypeFor(payload.length, options.compressType ?? ctx.compressType);
    if (!Number.isInteger(compressType) || compressType < 0 || compressType > 7) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `compressType must be an integer in 0..7, got ${compressType}`,
      );
    }
    call.flags = (compressType << 2) | (call.kind === CallKind.Oneway ? ONEWAY_FLAG : 0);
    call.serializeType = serializeType;
    call.payload = payload;
    call.metadata = options.metadata;
  }

  private connectThenTransmit(call: PendingCall): void {
    this.obtainConnection().then(
      (conn) => {
        if (!call.done) conn.transmit(call);
      },
      (error: RpcxError) => call.fail(error),
    );
  }

  /** The open connection, the dial under way, or a new dial — unless a backoff is running. */
  private obtainConnection(): Promise<Connection> {
    if (this.shutdownError !== undefined) return Promise.reject(this.shutdownError);
    const conn = this.openConnection();
    if (conn !== undefined) return Promise.resolve(conn);
    if (this.dialing === undefined) {
      const wait = this.retryAt - monotonicNow();
      if (wait > 0) {
        // Fail fast: the caller (or an XClient) may try elsewhere instead of waiting.
        const last = this.lastDialError;
        return Promise.reject(
          new RpcxError(
            ErrorCode.Unavailable,
            `${last?.message ?? `dial ${this.address} failed`}; next dial in ${Math.ceil(wait)} ms`,
            { cause: last },
          ),
        );
      }
    }
    return this.ensureDial();
  }

  private ensureDial(): Promise<Connection> {
    const conn = this.openConnection();
    if (conn !== undefined) return Promise.resolve(conn);
    this.dialing ??= this.dial().finally(() => {
      this.dialing = undefined;
      this.dialAbort = undefined;
    });
    return this.dialing;
  }

  private async dial(): Promise<Connection> {
    const abort = new AbortController();
    this.dialAbort = abort;
    const hooks = this.ctx.hooks;
    let conn: Connection;
    try {
      const socket = await dial(this.address, {
        connectTimeoutMs: this.connectTimeoutMs,
        tls: this.tls,
        keepAliveMs: this.keepAliveMs,
        signal: abort.signal,
      });
      if (this.shutdownError !== undefined) {
        socket.destroy();
        throw this.shutdownError;
      }
      conn = new Connection(socket, this.ctx, this.events);
      try {
        await hooks.runConnCreated(conn);
        await hooks.runClientConnected(conn);
      } catch (error) {
        conn.destroy(asRpcxError(error, ErrorCode.Internal));
        throw error;
      }
      if (this.shutdownError !== undefined) {
        conn.destroy(this.shutdownError);
        throw this.shutdownError;
      }
      if (conn.closeReason !== undefined) throw conn.closeReason;
    } catch (error) {
      throw this.dialFailed(error);
    }
    this.conn = conn;
    this.backoff.reset();
    this.retryAt = 0;
    this.lastDialError = undefined;
    conn.startHeartbeat();
    return conn;
  }

  /** The current connection unless it is closing. */
  private openConnection(): Connection | undefined {
    const conn = this.conn;
    return conn !== undefined && !conn.closed ? conn : undefined;
  }

  /** Starts the backoff and tells plugins; returns the error calls see. */
  private dialFailed(thrown: unknown): RpcxError {
    if (this.shutdownError !== undefined) return this.shutdownError;
    const error = asRpcxError(thrown, ErrorCode.Unavailable);
    const delay = this.backoff.fail();
    this.retryAt = monotonicNow() + delay;
    this.lastDialError = error;
    this.ctx.logger.warn('rpcx client: dial failed', {
      address: this.address,
      error: error.message,
      retryInMs: delay,
    });
    void this.ctx.hooks.runConnCreateFailed(this.address, error);
    return error;
  }

  private connectionClosed(conn: Connection, reason: RpcxError): void {
    if (this.conn === conn) this.conn = undefined;
    if (this.shutdownError === undefined) {
      this.ctx.logger.info('rpcx client: connection closed', {
        address: this.address,
        reason: reason.message,
      });
    }
    void this.ctx.hooks.runClientConnectionClose(conn, reason);
    this.notify(this.closeHandlers, reason, 'onClose');
    for (const stream of this.pushStreams) stream.end(reason);
  }

  private deliverPush(message: Message): void {
    if (this.pushHandlers.size === 0 && this.pushStreams.size === 0) {
      this.ctx.logger.debug('rpcx client: no one listens for server pushes; dropped', {
        address: this.address,
        servicePath: message.servicePath,
        serviceMethod: message.serviceMethod,
      });
      return;
    }
    this.notify(this.pushHandlers, message, 'onPush');
    for (const stream of this.pushStreams) stream.deliver(message);
  }

  /** Calls every handler with `value`; one that throws is logged and does not stop the others. */
  private notify<T>(handlers: Iterable<(value: T) => void>, value: T, what: string): void {
    for (const handler of handlers) {
      try {
        handler(value);
      } catch (error) {
        this.logHandlerFailure(what, error);
      }
    }
  }

  private logHandlerFailure(what: string, error: unknown): void {
    this.ctx.logger.error(`rpcx client: ${what} handler threw`, {
      address: this.address,
      error: messageOf(error),
    });
  }

  /** Waits `ms`, unless `signal` aborts or the client closes first. */
  private sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const signals =
        signal === undefined ? [this.lifetime.signal] : [this.lifetime.signal, signal];
      const onAbort = () => {
        clearTimeout(timer);
        for (const s of signals) s.removeEventListener('abort', onAbort);
        reject(
          this.shutdownError ??
            new RpcxError(ErrorCode.Canceled, `connect ${this.address}: canceled`),
        );
      };
      const timer = setTimeout(() => {
        for (const s of signals) s.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      for (const s of signals) {
        if (s.aborted) {
          onAbort();
          return;
        }
        s.addEventListener('abort', onAbort, { once: true });
      }
    });
  }
}
