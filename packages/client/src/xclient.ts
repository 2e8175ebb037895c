/**
 * `XClient`: calls to one service whose servers come from a discovery (Go's `client.XClient`,
 * spec §4.3–4.8). Per call it picks a server with the selector, over one cached connection per
 * server; a failed call goes on as its fail mode says, within the retry budget; a server whose
 * breaker is open is passed over.
 *
 *   const discovery = new MultipleServersDiscovery([{ key: 'tcp@127.0.0.1:8972', metadata: '' }]);
 *   const arith = new XClient({ servicePath: 'Arith', discovery, failMode: FailMode.Failover });
 *   const { C } = await arith.call('Mul', { A: 2, B: 3 });
 *
 * It runs the same call path as `Client`: the `interceptors` option, then the fail mode, then the
 * plugins' `preCall`/`postCall` (once per attempt), then serialization and the pool's pick.
 */
import {
  type CallOptions,
  type DiscoveryChangeMessage,
  diagnostics,
  ErrorCode,
  messageOf,
  RpcxError,
  type Selector,
  type ServiceEndpoint,
} from '@rpcx/core';
import { createSelector } from '@rpcx/selectors';
import { CallKind, type CallResult } from './call.js';
import { CallPath } from './call-path.js';
import { type ClientContext, resolveClientOptions } from './client-options.js';
import { failModeInterceptor } from './fail-mode.js';
import { broadcast, type FanOutHost, fork, inform, type Receipt } from './fan-out.js';
import { type CloseHandler, PushFanout, type PushHandler } from './push-fanout.js';
import type { PushStream, PushStreamOptions } from './push-stream.js';
import { ServerPool } from './server-pool.js';
import { createServiceProxy, type ServiceProxy } from './service-proxy.js';
import { resolveGovernance, type XClientOptions } from './xclient-options.js';

/** Broadcast, fork and inform stop waiting after this without a deadline of their own (Go's cap). */
const FAN_OUT_CAP_MS = 60_000;

export class XClient {
  readonly servicePath: string;
  private readonly ctx: ClientContext;
  private readonly path: CallPath;
  private readonly pool: ServerPool;
  private readonly fanout: PushFanout;
  private readonly watching = new AbortController();
  private proxy: unknown;
  private closing: Promise<void> | undefined = undefined;

  constructor(options: XClientOptions) {
    const governance = resolveGovernance(options);
    this.servicePath = governance.servicePath;
    const { context } = resolveClientOptions(
      options,
      `xclient ${governance.servicePath}`,
      'new XClient',
    );
    this.ctx = context;
    this.fanout = new PushFanout(context.logger, context.address, context.pushBufferSize);
    const selector =
      options.selector ?? createSelector(governance.selectMode, options.selectorOptions);
    let pool: ServerPool | undefined;
    this.path = new CallPath(context, [failModeInterceptor(governance)], (call) =>
      pool!.route(call),
    );
    pool = new ServerPool(
      context,
      {
        group: options.group,
        breakers: governance.breakers,
        dial: {
          tls: options.tls,
          connectTimeoutMs: options.connectTimeoutMs ?? 1_000,
          keepAliveMs: options.keepAliveMs ?? 60_000,
        },
        reconnect: options.reconnect,
      },
      selector,
      this.path.watch,
      this.fanout,
    );
    this.pool = pool;
    this.apply(options.discovery.getServices());
    this.follow(options.discovery);
  }

  /** The servers calls may go to now: discovery's list without inactive or other-group ones. */
  get servers(): readonly ServiceEndpoint[] {
    return this.pool.current;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.path.closed;
  }

  /** Calls `method` on a server of the service, with the fail mode; resolves with the reply. */
  call<Reply = unknown>(method: string, args?: unknown, options?: CallOptions): Promise<Reply> {
    return this.path.start(
      CallKind.Reply,
      this.servicePath,
      method,
      args,
      options,
    ) as Promise<Reply>;
  }

  /** Like `call`, resolving with the reply and the response metadata. */
  invoke<Reply = unknown>(
    method: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<CallResult<Reply>> {
    return this.path.start(CallKind.Result, this.servicePath, method, args, options) as Promise<
      CallResult<Reply>
    >;
  }

  /** A oneway request (Go's `Oneshot`): resolves once handed to a server's socket. */
  send(method: string, args?: unknown, options?: CallOptions): Promise<void> {
    return this.path.start(
      CallKind.Oneway,
      this.servicePath,
      method,
      args,
      options,
    ) as Promise<void>;
  }

  /**
   * Calls every server; all must succeed. Resolves with the first reply, or rejects at the first
   * failure (the error's cause lists each server's). Servers that cannot be reached are skipped.
   */
  broadcast<Reply = unknown>(
    method: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<Reply> {
    return broadcast(this.fanOutHost(method, args, options)) as Promise<Reply>;
  }

  /** Calls every server; resolves with the first success, rejects when all failed. */
  fork<Reply = unknown>(method: string, args?: unknown, options?: CallOptions): Promise<Reply> {
    return fork(this.fanOutHost(method, args, options)) as Promise<Reply>;
  }

  /** Calls every server and waits for all: one receipt (reply or error) per server. */
  inform<Reply = unknown>(
    method: string,
    args?: unknown,
    options?: CallOptions,
  ): Promise<Receipt<Reply>[]> {
    return inform(this.fanOutHost(method, args, options)) as Promise<Receipt<Reply>[]>;
  }

  /** A typed proxy: `xclient.service<Arith>().Mul({ A: 2, B: 3 })`. */
  service<S>(): ServiceProxy<S> {
    this.proxy ??= createServiceProxy<S>(
      { call: (_path, method, args, options) => this.call(method, args, options) },
      this.servicePath,
    );
    return this.proxy as ServiceProxy<S>;
  }

  /** Replaces the selector (Go's `SetSelector`); it gets the current servers at once. */
  setSelector(selector: Selector): void {
    this.pool.useSelector(selector);
  }

  /** Calls `handler` with every server push, from any server's connection. */
  onPush(handler: PushHandler): () => void {
    return this.fanout.onPush(handler);
  }

  /** Server pushes from every connection as an async iterator (see `Client.pushes`). */
  pushes(options: PushStreamOptions = {}): PushStream {
    return this.fanout.stream(options);
  }

  /** Calls `handler` when a server's connection closes. */
  onClose(handler: CloseHandler): () => void {
    return this.fanout.onClose(handler);
  }

  /**
   * Stops following discovery and closes every connection; pending and later calls fail with
   * `RpcxError(Shutdown, 'xClient is shut down')`. The discovery itself is left open (it may be
   * shared). Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    const reason = new RpcxError(ErrorCode.Shutdown, 'xClient is shut down');
    this.path.shutdown(reason);
    this.watching.abort(reason);
    this.fanout.end(reason);
    this.closing = this.pool.close(reason);
    return this.closing;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** Takes a list from discovery; published on `diagnostics.DiscoveryChange` to listeners. */
  private apply(list: readonly ServiceEndpoint[]): void {
    this.pool.update(list);
    if (diagnostics.DiscoveryChange.hasSubscribers && !this.path.closed) {
      const message: DiscoveryChangeMessage = {
        servicePath: this.servicePath,
        servers: this.pool.current.map((endpoint) => endpoint.key),
      };
      diagnostics.DiscoveryChange.publish(message);
    }
  }

  /** Applies every list the discovery reports; a failing watch keeps the last list. */
  private follow(discovery: XClientOptions['discovery']): void {
    const lists = discovery.watch(this.watching.signal);
    void (async () => {
      try {
        for await (const list of lists) this.apply(list);
      } catch (error) {
        if (this.watching.signal.aborted) return;
        this.ctx.logger.warn('rpcx xclient: discovery watch ended; keeping the last servers', {
          servicePath: this.servicePath,
          error: messageOf(error),
        });
      }
    })();
  }

  private fanOutHost(method: string, args: unknown, given: CallOptions = {}): FanOutHost {
    const options =
      given.timeoutMs === undefined && given.context?.deadline === undefined
        ? { ...given, timeoutMs: FAN_OUT_CAP_MS }
        : given;
    return {
      name: `${this.servicePath}.${method}`,
      refused: this.path.closeReason,
      servers: () => this.pool.current.map((endpoint) => endpoint.key),
      connect: (key) => this.pool.connect(key),
      callOn: (key) => {
        const call = this.path.create(CallKind.Reply, this.servicePath, method, args, options);
        if (call instanceof RpcxError) return Promise.reject(call);
        call.pinned = key;
        call.fanOut = true;
        return this.path.run(call);
      },
    };
  }
}
