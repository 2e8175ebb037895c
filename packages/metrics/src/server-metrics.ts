/**
 * `ServerMetrics`: the metrics of an rpcx server, and the `RegistryMetricsSource` of its register
 * plugins. One object, installed twice on the server — as a plugin (connections, response sizes)
 * and as an interceptor (calls) — and given to the register plugin as its `metrics`:
 *
 *   const metrics = new ServerMetrics({ registry });
 *   const server = new Server({
 *     plugins: [metrics, new EtcdRegisterPlugin({ endpoints, basePath: '/rpcx', metrics })],
 *     interceptors: [metrics.interceptor],
 *   });
 *
 * Per call the interceptor reads the clock twice and adds to numbers resolved once per service
 * and method; prom-client reads them when scraped. A server without it pays nothing.
 */
import {
  type CallInfo,
  type ConnectionInfo,
  ErrorCode,
  isRpcxError,
  monotonicNow,
  RegistryMeters,
  type RegistryMetricsSource,
  type RpcxMessage,
  type ServerPlugin,
} from '@rpcx/core';
import { register as globalRegistry } from 'prom-client';
import { CallTable, type MethodCells } from './call-table.js';
import { type AnyRegistry, Family, registerFamilies } from './family.js';
import { bucketsOption, Label, MetricName, OTHER, RPC_SYSTEM, statusOf } from './names.js';

export interface ServerMetricsOptions {
  /** Where the metrics are registered. Default: prom-client's global `register`. */
  registry?: AnyRegistry;
  /** Boundaries of `rpc_server_call_duration_seconds`, in seconds. */
  durationBuckets?: readonly number[];
  /** Boundaries of the request and response size histograms, in bytes. */
  sizeBuckets?: readonly number[];
  /**
   * Whether to keep the request and response size histograms. Default true. Without them the
   * plugin has no `postWriteResponse` hook.
   */
  payloadSizes?: boolean;
  /**
   * A clock in milliseconds, for call durations and the registry rates (tests inject one).
   * Default `performance.now()`.
   */
  now?: () => number;
}

/** What the interceptor reads of a call: the shape of `@rpcx/server`'s `ServerCall`. */
export interface MeteredServerCall extends CallInfo {
  readonly request: RpcxMessage;
  /** Read once for the first call of a service and method: is it a method the server has? */
  readonly args: unknown;
}

/**
 * A server interceptor (`ServerInterceptor` of `@rpcx/server`), generic over the call so that
 * this package needs no more than `@rpcx/core`.
 */
export type ServerMetricsInterceptor = <C extends MeteredServerCall>(
  next: (call: C) => unknown,
) => (call: C) => unknown;

export class ServerMetrics implements ServerPlugin, RegistryMetricsSource {
  readonly name = 'metrics';
  /** Put it in the server's `interceptors` (first, to time the whole chain). */
  readonly interceptor: ServerMetricsInterceptor;
  readonly registry: AnyRegistry;
  readonly #table: CallTable;
  /** Calls of methods the server does not have: `rpc_method="_OTHER"`. */
  readonly #other: MethodCells;
  readonly #now: () => number;
  /** The registry rates: calls of known methods and accepted connections, as Go meters them. */
  readonly #meters: RegistryMeters;
  readonly #unregister: () => void;
  #accepted = 0;
  /** Connections let in and not closed yet. */
  readonly #open = new Set<ConnectionInfo>();

  constructor(options: ServerMetricsOptions = {}) {
    const sizes = options.payloadSizes ?? true;
    this.#table = new CallTable({
      durationBuckets: bucketsOption('durationBuckets', options.durationBuckets),
      sizeBuckets: sizes ? bucketsOption('sizeBuckets', options.sizeBuckets) : undefined,
    });
    this.#other = this.#table.create(OTHER, OTHER);
    this.#table.extra.push(this.#other);
    this.#now = options.now ?? monotonicNow;
    this.#meters = new RegistryMeters(this.#now);
    if (!sizes) {
      // No hook at all: the server then skips the stage for this plugin.
      Object.defineProperty(this, 'postWriteResponse', { value: undefined });
    }
    this.registry = options.registry ?? globalRegistry;
    this.#unregister = registerFamilies(this.registry, this.#families());
    this.interceptor = this.#intercept as ServerMetricsInterceptor;
  }

  /** Takes the metrics out of the registry (the counters stop being exposed). */
  close(): void {
    this.#unregister();
  }

  // ---------------------------------------------------------------------------------------------
  // RegistryMetricsSource (spec §6.9): core's RegistryMeters, fed from here — mean rates since
  // the metrics were made, as go-metrics' Meter.RateMean() that Go's register plugins write.

  /** Calls (of methods the server has) per second. */
  calls(): number {
    return this.#meters.calls();
  }

  /** Accepted connections per second. */
  connections(): number {
    return this.#meters.connections();
  }

  // ---------------------------------------------------------------------------------------------
  // Plugin hooks

  postConnAccept(conn: ConnectionInfo): undefined {
    this.#accepted++;
    this.#meters.postConnAccept();
    this.#open.add(conn);
    return undefined;
  }

  postConnClose(conn: ConnectionInfo): undefined {
    this.#open.delete(conn);
    return undefined;
  }

  /** The response payload's size (uncompressed: compression happens when it is framed). */
  postWriteResponse(
    _conn: ConnectionInfo,
    request: RpcxMessage,
    response: RpcxMessage | undefined,
  ): undefined {
    if (response === undefined) return undefined;
    const cells = this.#table.get(request.servicePath, request.serviceMethod) ?? this.#other;
    cells.responseSize!.observe(response.payload.length);
    return undefined;
  }

  // ---------------------------------------------------------------------------------------------
  // The interceptor

  readonly #intercept = (next: (call: MeteredServerCall) => unknown) => {
    return (call: MeteredServerCall): unknown => {
      const cells = this.#table.get(call.servicePath, call.serviceMethod) ?? this.#firstCall(call);
      if (cells !== this.#other) this.#meters.preCall();
      cells.started++;
      cells.active++;
      cells.requestSize?.observe(call.request.payload.length);
      const start = this.#now();
      let result: unknown;
      try {
        result = next(call);
      } catch (error) {
        cells.finish('', (this.#now() - start) / 1000, statusOf(error, ErrorCode.ServiceError));
        throw error;
      }
      if (!isThenable(result)) {
        cells.finish('', (this.#now() - start) / 1000, undefined);
        return result;
      }
      return result.then(
        (reply) => {
          cells.finish('', (this.#now() - start) / 1000, undefined);
          return reply;
        },
        (error: unknown) => {
          cells.finish('', (this.#now() - start) / 1000, statusOf(error, ErrorCode.ServiceError));
          throw error;
        },
      );
    };
  };

  /**
   * The first call of a service and method: one the server has gets its own entry; one it does
   * not have is counted as `_OTHER` (and asked again next time), so that names a client makes up
   * cannot grow the metrics without bound. Reading the arguments looks the method up (and
   * decodes them, which the handler needs anyway); it throws Go's `can't find` errors for a
   * method the server does not have.
   */
  #firstCall(call: MeteredServerCall): MethodCells {
    try {
      void call.args;
    } catch (error) {
      if (isNotFound(error)) return this.#other;
    }
    return this.#table.add(call.servicePath, call.serviceMethod);
  }

  // ---------------------------------------------------------------------------------------------
  // Families

  #families(): Family[] {
    const system = { [Label.System]: RPC_SYSTEM };
    return [
      ...this.#table.families({
        side: 'server',
        started: MetricName.ServerCallStarted,
        active: MetricName.ServerActiveCalls,
        duration: MetricName.ServerCallDuration,
        requestSize: MetricName.ServerRequestSize,
        responseSize: MetricName.ServerResponseSize,
      }),
      new Family(
        MetricName.ServerConnectionsOpen,
        'Client connections open now.',
        'gauge',
        (_name, out) => {
          out.push({ labels: system, value: this.#openConnections() });
        },
      ),
      new Family(
        MetricName.ServerConnectionsAccepted,
        'Client connections accepted since the metrics were made.',
        'counter',
        (_name, out) => {
          out.push({ labels: system, value: this.#accepted });
        },
        () => {
          this.#accepted = 0;
        },
      ),
    ];
  }

  /**
   * Open connections. A connection that a later plugin refused in `postConnAccept` is never
   * closed for the plugins (it was never served): it is dropped here once its view says closed.
   */
  #openConnections(): number {
    for (const conn of this.#open) {
      if ((conn as { closed?: unknown }).closed === true) this.#open.delete(conn);
    }
    return this.#open.size;
  }
}

/** Go's errors for a service or method the server does not have (spec §3.4). */
function isNotFound(error: unknown): boolean {
  return (
    isRpcxError(error, ErrorCode.ServiceError) &&
    (error.message.startsWith("rpcx: can't find service") ||
      error.message.startsWith("rpcx: can't find method"))
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
