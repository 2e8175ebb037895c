/**
 * `Client`: calls over one connection to one rpcx server (Go's `client.Client`, spec §4.1), plus
 * what Go leaves to XClient or to the caller: it reconnects on the next call after the
 * connection drops (with exponential backoff between failed dials), sends `__ServerTimeout`,
 * and offers typed proxies. XClient (discovery, selectors, fail modes) is built on top of it.
 *
 *   const client = new Client({ address: 'tcp@127.0.0.1:8972' });
 *   const { C } = await client.call('Arith', 'Mul', { A: 2, B: 3 });
 *
 * Every call takes one path: the interceptor chain (plugins' `preCall`/`postCall`, then the
 * `interceptors` option), whose end serializes the arguments and sends the call.
 */
import { isOptionalCodec } from '@rpcx/codecs';
import {
  asRpcxError,
  type CallOptions,
  type Codec,
  chainInterceptors,
  ErrorCode,
  monotonicNow,
  RpcxError,
} from '@rpcx/core';
import { compressTypeFor, HeaderFlag, withCompressType } from '@rpcx/protocol';
import { Call, CallKind, type CallResult } from './call.js';
import { CallWatch } from './call-watch.js';
import { type ClientContext, type ClientOptions, resolveClientOptions } from './client-options.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { Dialer } from './dialer.js';
import type { CallHandler } from './interceptor.js';
import { type CloseHandler, PushFanout, type PushHandler } from './push-fanout.js';
import type { PushStream, PushStreamOptions } from './push-stream.js';
import { createServiceProxy, type ServiceProxy } from './service-proxy.js';

const NO_OPTIONS: CallOptions = Object.freeze({});

export class Client {
  /** The server address, normalised (`tcp@127.0.0.1:8972`). */
  readonly address: string;
  private readonly ctx: ClientContext;
  private readonly watch = new CallWatch<Call>();
  private readonly dialer: Dialer;
  private readonly fanout: PushFanout;
  /** The call path: the interceptor chain ending in `sendCall`. */
  private readonly handle: CallHandler;
  private readonly proxies = new Map<string, unknown>();
  private shutdownError: RpcxError | undefined = undefined;
  private closing: Promise<void> | undefined = undefined;
  private readonly events: ConnectionEvents = {
    push: (message) => this.fanout.deliver(message),
    closed: (connection, reason) => this.connectionClosed(connection, reason),
  };

  constructor(options: ClientOptions) {
    const { context, backoff } = resolveClientOptions(options);
    this.ctx = context;
    this.address = context.address;
    this.fanout = new PushFanout(context.logger, context.address, context.pushBufferSize);
    this.dialer = new Dialer(
      context,
      backoff,
      {
        tls: options.tls,
        connectTimeoutMs: options.connectTimeoutMs ?? 1_000,
        keepAliveMs: options.keepAliveMs ?? 60_000,
      },
      (socket) => new Connection(socket, context, this.watch, this.events),
    );
    this.handle = chainInterceptors(context.interceptors, this.sendCall);
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.dialer.current !== undefined;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.shutdownError !== undefined;
  }

  /** Calls awaiting a response. */
  get pendingCalls(): number {
    return this.dialer.current?.pendingCalls ?? 0;
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
  connect(options: { signal?: AbortSignal } = {}): Promise<void> {
    return this.dialer.connect(options.signal);
  }

  /** Calls `handler` with every server push; returns an unsubscribe function. */
  onPush(handler: PushHandler): () => void {
    return this.fanout.onPush(handler);
  }

  /**
   * Server pushes as an async iterator with a bounded buffer (oldest dropped when full). It ends
   * when the connection closes (see `closeReason`), when the client closes, or on `signal`.
   */
  pushes(options: PushStreamOptions = {}): PushStream {
    return this.fanout.stream(options);
  }

  /** Calls `handler` each time the connection closes; returns an unsubscribe function. */
  onClose(handler: CloseHandler): () => void {
    return this.fanout.onClose(handler);
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
    const conn = this.dialer.close(reason);
    this.fanout.end(reason);
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
    if (this.shutdownError !== undefined) return Promise.reject(this.shutdownError);
    const timeoutMs = options.timeoutMs;
    if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs))) {
      return Promise.reject(
        new RpcxError(ErrorCode.InvalidArgument, `timeoutMs must be a number, got ${timeoutMs}`),
      );
    }
    // Infinity (like undefined) means no deadline.
    const deadline =
      timeoutMs === undefined ? Number.POSITIVE_INFINITY : monotonicNow() + timeoutMs;
    const call = new Call(kind, servicePath, serviceMethod, args, options, deadline, this.watch);
    try {
      return this.handle(call);
    } catch (error) {
      // An interceptor that throws instead of rejecting: the caller still gets a promise.
      return Promise.reject(error);
    }
  }

  /** The end of the chain: serialize the arguments, then send on the connection. */
  private readonly sendCall: CallHandler = (given) => {
    if (!(given instanceof Call)) {
      return Promise.reject(
        new RpcxError(
          ErrorCode.InvalidArgument,
          'an interceptor must pass on the call it was given, not another object',
        ),
      );
    }
    const call = given;
    const promise = call.begin();
    if (call.done) return promise; // aborted or expired before it started
    if (this.shutdownError !== undefined) {
      call.fail(this.shutdownError);
      return promise;
    }
    const serializeType = call.options.serializeType ?? this.ctx.serializeType;
    const codec = this.ctx.codecs.get(serializeType);
    if (codec !== undefined) {
      this.serializeAndSend(call, codec, serializeType);
    } else if (isOptionalCodec(serializeType)) {
      // MsgPack or Protobuf, used for the first time: loaded once, then on the path above.
      this.ctx.codecs.load(serializeType).then(
        (loaded) => {
          if (!call.done) this.serializeAndSend(call, loaded, serializeType);
        },
        (error: unknown) => call.fail(asRpcxError(error, ErrorCode.Codec)),
      );
    } else {
      call.fail(
        new RpcxError(
          ErrorCode.Codec,
          `${call.describe()}: unsupported codec: no codec for serialize type ${serializeType}`,
        ),
      );
    }
    return promise;
  };

  private serializeAndSend(call: Call, codec: Codec, serializeType: number): void {
    try {
      // Checked first, so a bad type fails small payloads too, not only compressed ones.
      const compressType = this.ctx.compressors.check(
        call.options.compressType ?? this.ctx.compressType,
      );
      const payload = codec.encode(call.args, call.options.argsType);
      const flags = call.kind === CallKind.Oneway ? HeaderFlag.Oneway : 0;
      call.flags = withCompressType(flags, compressTypeFor(payload.length, compressType));
      call.serializeType = serializeType;
      call.payload = payload;
    } catch (error) {
      call.fail(asRpcxError(error, ErrorCode.Codec));
      return;
    }
    const conn = this.dialer.current;
    if (conn !== undefined) {
      conn.transmit(call);
      return;
    }
    this.dialer.obtain().then(
      (opened) => {
        if (!call.done) opened.transmit(call);
      },
      (error: RpcxError) => call.fail(error),
    );
  }

  private connectionClosed(conn: Connection, reason: RpcxError): void {
    this.dialer.closed(conn);
    if (this.shutdownError === undefined) {
      this.ctx.logger.info('rpcx client: connection closed', {
        address: this.address,
        reason: reason.message,
      });
    }
    void this.ctx.plugins.clientConnectionClose(conn.info, reason);
    this.fanout.connectionClosed(reason);
  }
}

export type { CloseHandler, PushHandler } from './push-fanout.js';
