/**
 * An XClient's servers: the usable endpoints from discovery, the selector's pick for each
 * attempt (skipping servers whose breaker is open), and one cached connection per server —
 * dialled on first use, shared by every call to it, dials de-duplicated by its `Dialer`,
 * re-dialled after it drops. A server that leaves discovery is closed once its last call ends.
 * It is the route at the end of the XClient's call path, and each attempt reports back to it
 * (`settled`) for the breaker and the selector's load feedback. Each attempt's server is
 * published on `diagnostics.ClientPick` while someone listens.
 */
import {
  Backoff,
  type ClientPickMessage,
  diagnostics,
  ErrorCode,
  monotonicNow,
  RpcxError,
  type SelectFunc,
  type Selector,
  type ServiceEndpoint,
} from '@rpcx/core';
import type { AttemptObserver, Call } from './call.js';
import type { CallWatch } from './call-watch.js';
import type { BreakerFactory, CircuitBreaker } from './circuit-breaker.js';
import type { ClientContext, ReconnectOptions } from './client-options.js';
import { Connection, type ConnectionEvents } from './connection.js';
import { Dialer, type DialSettings } from './dialer.js';
import { usableEndpoints } from './endpoint-filter.js';
import type { PushFanout } from './push-fanout.js';

export interface PoolSettings {
  readonly group: string | undefined;
  readonly breakers: BreakerFactory | undefined;
  readonly dial: DialSettings;
  readonly reconnect: ReconnectOptions | undefined;
}

/** One server of the pool. */
class Server {
  /** Attempts handed to it that have not settled. */
  inFlight = 0;
  /** Left discovery: closed once `inFlight` drops to 0. */
  retired = false;
  /**
   * What each attempt sent here reports its end to: a closure, so nothing reachable from the
   * call (which interceptors hold) leads to the dialer and its socket.
   */
  readonly observer: AttemptObserver;

  constructor(
    readonly key: string,
    readonly dialer: Dialer,
    readonly breaker: CircuitBreaker | undefined,
    pool: ServerPool,
  ) {
    this.observer = Object.freeze({
      settled: (call: Call, failure: RpcxError | undefined) => {
        this.inFlight--;
        pool.attemptEnded(this, call, failure);
      },
    });
  }
}

export class ServerPool {
  private endpoints: readonly ServiceEndpoint[] = [];
  /** Every server not yet closed: the usable ones, and retired ones still finishing calls. */
  private readonly servers = new Map<string, Server>();
  private selector: Selector;
  private pickServer: SelectFunc;
  private closeReason: RpcxError | undefined = undefined;

  constructor(
    private readonly ctx: ClientContext,
    private readonly settings: PoolSettings,
    selector: Selector,
    private readonly watch: CallWatch<Call>,
    private readonly pushes: PushFanout,
  ) {
    this.selector = selector;
    this.pickServer = this.wrap(selector);
  }

  /** The usable endpoints, sorted by key. */
  get current(): readonly ServiceEndpoint[] {
    return this.endpoints;
  }

  /** Replaces the selector (Go's `SetSelector`); it gets the current list at once. */
  useSelector(selector: Selector): void {
    selector.update(this.endpoints);
    const old = this.selector;
    this.selector = selector;
    this.pickServer = this.wrap(selector);
    old.close?.();
  }

  /** A list from discovery: filtered, given to the selector; servers that left are retired. */
  update(endpoints: readonly ServiceEndpoint[]): void {
    if (this.closeReason !== undefined) return;
    const usable = usableEndpoints(endpoints, this.settings.group);
    this.endpoints = usable;
    const keys = new Set<string>();
    for (const endpoint of usable) {
      keys.add(endpoint.key);
      const server = this.servers.get(endpoint.key);
      // Made now, dialled on first use: a pick then costs one lookup.
      if (server === undefined) this.servers.set(endpoint.key, this.open(endpoint.key));
      else server.retired = false;
    }
    this.selector.update(usable);
    for (const server of this.servers.values()) {
      if (keys.has(server.key)) continue;
      server.retired = true;
      if (server.inFlight === 0) this.drop(server);
    }
  }

  /** The route of every attempt: to its pinned server, or the selector's pick. */
  readonly route = (call: Call): void => {
    const server = call.pinned === undefined ? this.pick(call) : this.pinned(call.pinned);
    if (server instanceof RpcxError) {
      call.fail(server);
      return;
    }
    call.server = server.key;
    call.observer = server.observer;
    server.inFlight++;
    if (diagnostics.ClientPick.hasSubscribers) publishPick(call, server.key);
    const selector = this.selector;
    // Only a selector that balances on load needs the clock read per call.
    if (selector.callFinished !== undefined) call.sentAt = monotonicNow();
    selector.callStarted?.(server.key);
    server.dialer.transmit(call);
  };

  /** An attempt ended: tell the breaker and the selector; close a retired server when idle. */
  attemptEnded(server: Server, call: Call, failure: RpcxError | undefined): void {
    const selector = this.selector;
    if (selector.callFinished !== undefined) {
      const failed = failure !== undefined && failure.code !== ErrorCode.ServiceError;
      selector.callFinished(server.key, monotonicNow() - call.sentAt, failed);
    }
    const breaker = server.breaker;
    if (breaker !== undefined) {
      if (failure === undefined || failure.code === ErrorCode.ServiceError) breaker.success();
      else if (countsAgainstServer(failure)) breaker.failure();
    }
    if (server.retired && server.inFlight === 0) this.drop(server);
  }

  /** Opens the connection to `key` (fan-out skips servers it cannot reach, as Go does). */
  async connect(key: string): Promise<void> {
    const server = this.pinned(key);
    if (server instanceof RpcxError) throw server;
    await server.dialer.obtain();
  }

  /** Closes every connection; pending calls fail with `reason`. */
  close(reason: RpcxError): Promise<void> {
    this.closeReason ??= reason;
    this.selector.close?.();
    const closing: Promise<void>[] = [];
    for (const server of this.servers.values()) {
      const conn = server.dialer.close(reason);
      if (conn !== undefined)
        closing.push(new Promise((resolve) => conn.shutdown(reason, resolve)));
    }
    this.servers.clear();
    return Promise.all(closing).then(() => undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private wrap(selector: Selector): SelectFunc {
    return this.ctx.plugins.wrapSelect((ctx) => selector.select(ctx));
  }

  /**
   * The selector's pick, skipping servers whose breaker is open (and the one a backup request
   * avoids): as many picks as there are servers, so a rotating selector moves past them.
   */
  private pick(call: Call): Server | RpcxError {
    if (this.closeReason !== undefined) return this.closeReason;
    const count = this.endpoints.length;
    // The avoided server, if the selector keeps coming back to it (a hash): better than none.
    let avoided: Server | undefined;
    for (let i = 0; i < Math.max(count, 1); i++) {
      const key = this.pickServer(call);
      const server = key === undefined ? undefined : this.servers.get(key);
      if (server === undefined || server.retired) {
        return new RpcxError(
          ErrorCode.NoServer,
          `${call.describe()}: can not found any server${key === undefined ? '' : ` (the selector picked ${key}, which is not usable)`}`,
        );
      }
      if (key === call.avoid && count > 1) {
        avoided = server;
        continue;
      }
      if (server.breaker === undefined || server.breaker.allow()) return server;
    }
    if (avoided !== undefined && (avoided.breaker === undefined || avoided.breaker.allow())) {
      return avoided;
    }
    return new RpcxError(
      ErrorCode.CircuitOpen,
      `${call.describe()}: breaker open for every server`,
    );
  }

  /** The server an attempt is pinned to; a pinned server's breaker is asked too. */
  private pinned(key: string): Server | RpcxError {
    if (this.closeReason !== undefined) return this.closeReason;
    const server = this.servers.get(key);
    if (server === undefined || server.retired) {
      return new RpcxError(ErrorCode.Unavailable, `${key} is no longer in discovery`);
    }
    if (server.breaker !== undefined && !server.breaker.allow()) {
      return new RpcxError(ErrorCode.CircuitOpen, `breaker open for ${key}`);
    }
    return server;
  }

  /** A server's own context (its address), dialer and breaker. */
  private open(key: string): Server {
    const ctx: ClientContext = { ...this.ctx, address: key };
    const events: ConnectionEvents = {
      push: (message) => this.pushes.deliver(message),
      closed: (connection, reason) => {
        server.dialer.closed(connection);
        if (this.closeReason === undefined) {
          ctx.logger.info('rpcx xclient: connection closed', {
            address: key,
            reason: reason.message,
          });
        }
        void ctx.plugins.clientConnectionClose(connection.info, reason);
      },
    };
    const dialer = new Dialer(
      ctx,
      new Backoff(this.settings.reconnect),
      this.settings.dial,
      (socket) => new Connection(socket, ctx, this.watch, events),
    );
    const server = new Server(key, dialer, this.settings.breakers?.(key), this);
    return server;
  }

  /** Forgets a server that left discovery, closing its connection. */
  private drop(server: Server): void {
    if (this.servers.get(server.key) !== server) return;
    this.servers.delete(server.key);
    const reason = new RpcxError(ErrorCode.Shutdown, `${server.key} left discovery`);
    server.dialer.close(reason)?.shutdown(reason, () => {});
  }
}

function publishPick(call: Call, serverAddress: string): void {
  const message: ClientPickMessage = {
    servicePath: call.servicePath,
    serviceMethod: call.serviceMethod,
    serverAddress,
    attempt: call.attempts,
  };
  diagnostics.ClientPick.publish(message);
}

/** Failures that say the server (or the way to it) is unwell; a cancel says nothing. */
function countsAgainstServer(error: RpcxError): boolean {
  switch (error.code) {
    case ErrorCode.Unavailable:
    case ErrorCode.Protocol:
    case ErrorCode.Timeout:
    case ErrorCode.Shutdown:
      return true;
    default:
      return false;
  }
}
