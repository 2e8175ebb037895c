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
import { type CallOptions, ErrorCode, RpcxError } from '@rpcx/core';
import { CallKind, type CallResult } from './call.js';
import { CallPath } from './call-path.js';
import {
  type ClientContext,
  type ClientOptions,
  normalizeAddress,
  resolveClientOptions,
} from './client-options.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { Dialer } from './dialer.js';
import { type CloseHandler, PushFanout, type PushHandler } from './push-fanout.js';
import type { PushStream, PushStreamOptions } from './push-stream.js';
import { ServiceProxies, type ServiceProxy } from './service-proxy.js';

export class Client {
  /** The server address, normalised (`tcp@127.0.0.1:8972`). */
  readonly address: string;
  private readonly ctx: ClientContext;
  private readonly dialer: Dialer;
  private readonly fanout: PushFanout;
  /** The call path: the interceptor chain, ending on this client's one connection. */
  private readonly path: CallPath;
  private readonly proxies = new ServiceProxies(this);
  private closing: Promise<void> | undefined = undefined;
  private readonly events: ConnectionEvents = {
    push: (message) => this.fanout.deliver(message),
    closed: (connection, reason) => this.connectionClosed(connection, reason),
  };

  constructor(options: ClientOptions) {
    const { context, backoff } = resolveClientOptions(
      options,
      normalizeAddress(options?.address),
      'new Client',
    );
    this.ctx = context;
    this.path = new CallPath(context, [], (call) => this.dialer.transmit(call), context.address);
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
      (socket) => new Connection(socket, context, this.path.watch, this.events),
    );
  }

  /** Whether a connection is open now. */
  get connected(): boolean {
    return this.dialer.current !== undefined;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.path.closed;
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
    return this.proxies.get<S>(servicePath);
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
    this.path.shutdown(reason);
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
    options: CallOptions | undefined,
  ): Promise<unknown> {
    return this.path.start(kind, servicePath, serviceMethod, args, options);
  }

  private connectionClosed(conn: Connection, reason: RpcxError): void {
    this.dialer.closed(conn);
    if (!this.path.closed) {
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
