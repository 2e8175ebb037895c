/**
 * `ClientMetrics`: the metrics of rpcx clients. Calls, by method, through an interceptor that
 * `Client` and `XClient` both take (outermost, it sees one call however many attempts the fail
 * mode makes); and, per server, what XClients publish on the core diagnostics channels: picks,
 * retries and circuit-breaker states.
 *
 *   const metrics = new ClientMetrics({ registry });
 *   const xclient = new XClient({ ..., interceptors: [metrics.interceptor] });
 *
 * The channels are process-wide: the per-server metrics count every XClient of the process,
 * with the interceptor or without. `close()` unsubscribes and unregisters.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type BreakerStateMessage,
  type BreakerStateName,
  type CallInfo,
  type ClientPickMessage,
  type ClientRetryMessage,
  DiagnosticsChannel,
  monotonicNow,
} from '@rpcx/core';
import { register as globalRegistry } from 'prom-client';
import { CallTable, type MethodCells } from './call-table.js';
import { type AnyRegistry, Family, type Labels, registerFamilies, type Sample } from './family.js';
import { bucketsOption, Label, MetricName, OTHER, RPC_SYSTEM, statusOf } from './names.js';

export interface ClientMetricsOptions {
  /** Where the metrics are registered. Default: prom-client's global `register`. */
  registry?: AnyRegistry;
  /** Boundaries of `rpc_client_call_duration_seconds`, in seconds. */
  durationBuckets?: readonly number[];
  /**
   * Label call durations with the server of the call's last attempt (`server_address`,
   * `server_port`). Default true.
   */
  serverLabels?: boolean;
  /**
   * Count XClient picks, retries and breaker states from the diagnostics channels. Default true.
   */
  xclient?: boolean;
  /** A clock in milliseconds, for call durations (tests inject one). Default `performance.now()`. */
  now?: () => number;
}

/** What the interceptor reads of a call: the shape of `@rpcx/client`'s `ClientCall`. */
export type MeteredClientCall = CallInfo;

/**
 * A client interceptor (`ClientInterceptor` of `@rpcx/client`), generic over the call so that
 * this package needs no more than `@rpcx/core`.
 */
export type ClientMetricsInterceptor = <C extends MeteredClientCall>(
  next: (call: C) => Promise<unknown>,
) => (call: C) => Promise<unknown>;

const BREAKER_STATES: readonly BreakerStateName[] = ['closed', 'open', 'half-open'];

/** A counter with a fixed label set. */
interface Count {
  readonly labels: Labels;
  value: number;
}

export class ClientMetrics {
  /** Put it in a `Client`'s or `XClient`'s `interceptors` (first, to time the whole call). */
  readonly interceptor: ClientMetricsInterceptor;
  readonly registry: AnyRegistry;
  readonly #table: CallTable;
  readonly #now: () => number;
  readonly #serverLabels: boolean;
  readonly #unregister: () => void;
  readonly #subscriptions: Array<[string, (message: unknown) => void]> = [];
  /** Picks by server, service, method. */
  readonly #picks = new Map<string, Map<string, Map<string, Count>>>();
  /** Retries by server, service, method and error (a joined key: retries are rare). */
  readonly #retries = new Map<string, Count>();
  readonly #breakers = new Map<string, BreakerStateName>();
  readonly #transitions = new Map<string, Count>();

  constructor(options: ClientMetricsOptions = {}) {
    this.#table = new CallTable({
      durationBuckets: bucketsOption('durationBuckets', options.durationBuckets),
      sizeBuckets: undefined,
    });
    this.#now = options.now ?? monotonicNow;
    this.#serverLabels = options.serverLabels ?? true;
    this.registry = options.registry ?? globalRegistry;
    const xclient = options.xclient ?? true;
    this.#unregister = registerFamilies(this.registry, this.#families(xclient));
    this.interceptor = this.#intercept as unknown as ClientMetricsInterceptor;
    if (xclient) {
      this.#listen(DiagnosticsChannel.ClientPick, (message) =>
        this.#pick(message as ClientPickMessage),
      );
      this.#listen(DiagnosticsChannel.ClientRetry, (message) =>
        this.#retry(message as ClientRetryMessage),
      );
      this.#listen(DiagnosticsChannel.BreakerState, (message) =>
        this.#breaker(message as BreakerStateMessage),
      );
    }
  }

  /** Unsubscribes from the channels and takes the metrics out of the registry. */
  close(): void {
    for (const [name, listener] of this.#subscriptions.splice(0)) unsubscribe(name, listener);
    this.#unregister();
  }

  // ---------------------------------------------------------------------------------------------
  // The interceptor

  readonly #intercept = (next: (call: CallInfo) => Promise<unknown>) => {
    return (call: CallInfo): Promise<unknown> => {
      const cells =
        this.#table.get(call.servicePath, call.serviceMethod) ??
        this.#table.add(call.servicePath, call.serviceMethod);
      cells.started++;
      cells.active++;
      const start = this.#now();
      let pending: Promise<unknown>;
      try {
        pending = next(call);
      } catch (error) {
        this.#finish(cells, call, start, error, true);
        throw error;
      }
      return pending.then(
        (reply) => {
          this.#finish(cells, call, start, undefined, false);
          return reply;
        },
        (error: unknown) => {
          this.#finish(cells, call, start, error, true);
          throw error;
        },
      );
    };
  };

  #finish(
    cells: MethodCells,
    call: CallInfo,
    start: number,
    error: unknown,
    failed: boolean,
  ): void {
    const seconds = (this.#now() - start) / 1000;
    const where = this.#serverLabels ? (call.connection?.remoteAddress ?? '') : '';
    cells.finish(where, seconds, failed ? statusOf(error, OTHER) : undefined);
  }

  // ---------------------------------------------------------------------------------------------
  // Diagnostics

  #listen(name: string, listener: (message: unknown) => void): void {
    subscribe(name, listener);
    this.#subscriptions.push([name, listener]);
  }

  #pick(message: ClientPickMessage): void {
    const { serverAddress, servicePath, serviceMethod } = message;
    let byService = this.#picks.get(serverAddress);
    if (byService === undefined) {
      byService = new Map();
      this.#picks.set(serverAddress, byService);
    }
    let byMethod = byService.get(servicePath);
    if (byMethod === undefined) {
      byMethod = new Map();
      byService.set(servicePath, byMethod);
    }
    let count = byMethod.get(serviceMethod);
    if (count === undefined) {
      count = {
        labels: {
          ...methodLabels(servicePath, serviceMethod),
          [Label.Server]: serverAddress,
        },
        value: 0,
      };
      byMethod.set(serviceMethod, count);
    }
    count.value++;
  }

  #retry(message: ClientRetryMessage): void {
    const server = message.serverAddress ?? '';
    // No error: a Failbackup backup request (the attempt had not answered yet).
    const errorType = message.error === undefined ? '' : statusOf(message.error, OTHER);
    const key = `${server}\n${message.servicePath}\n${message.serviceMethod}\n${errorType}`;
    let count = this.#retries.get(key);
    if (count === undefined) {
      const labels: Record<string, string> = methodLabels(
        message.servicePath,
        message.serviceMethod,
      );
      if (errorType !== '') labels[Label.ErrorType] = errorType;
      if (server !== '') labels[Label.Server] = server;
      count = { labels, value: 0 };
      this.#retries.set(key, count);
    }
    count.value++;
  }

  #breaker(message: BreakerStateMessage): void {
    const server = message.serverAddress;
    this.#breakers.set(server, message.to);
    const key = `${server}\n${message.to}`;
    let count = this.#transitions.get(key);
    if (count === undefined) {
      count = {
        labels: { [Label.System]: RPC_SYSTEM, [Label.Server]: server, [Label.State]: message.to },
        value: 0,
      };
      this.#transitions.set(key, count);
    }
    count.value++;
  }

  // ---------------------------------------------------------------------------------------------
  // Families

  #families(xclient: boolean): Family[] {
    const families = this.#table.families({
      side: 'client',
      started: MetricName.ClientCallStarted,
      active: MetricName.ClientActiveCalls,
      duration: MetricName.ClientCallDuration,
    });
    if (!xclient) return families;
    families.push(
      new Family(
        MetricName.ClientPicks,
        'Servers picked by XClients for an attempt, by method and server.',
        'counter',
        (_name, out) => {
          for (const byService of this.#picks.values()) {
            for (const byMethod of byService.values()) {
              for (const count of byMethod.values()) out.push(sample(count));
            }
          }
        },
        () => this.#picks.clear(),
      ),
      countFamily(
        MetricName.ClientRetries,
        'Attempts XClients made again after one failed, by method, server of the failed attempt and its error.',
        this.#retries,
      ),
      new Family(
        MetricName.ClientBreakerState,
        'Circuit breaker state of each server (1 for its current state, 0 for the others).',
        'gauge',
        (_name, out) => {
          for (const [server, current] of this.#breakers) {
            for (const state of BREAKER_STATES) {
              out.push({
                labels: {
                  [Label.System]: RPC_SYSTEM,
                  [Label.Server]: server,
                  [Label.State]: state,
                },
                value: state === current ? 1 : 0,
              });
            }
          }
        },
      ),
      countFamily(
        MetricName.ClientBreakerTransitions,
        'Circuit breaker state changes, by server and the state entered.',
        this.#transitions,
      ),
    );
    return families;
  }
}

/** A copy: the registry may write to the samples it is given. */
function sample(count: Count): Sample {
  return { labels: count.labels, value: count.value };
}

/** A counter family over counts kept by key; `reset()` forgets them. */
function countFamily(name: string, help: string, counts: Map<string, Count>): Family {
  return new Family(
    name,
    help,
    'counter',
    (_name, out) => {
      for (const count of counts.values()) out.push(sample(count));
    },
    () => counts.clear(),
  );
}

function methodLabels(service: string, method: string): Record<string, string> {
  return {
    [Label.System]: RPC_SYSTEM,
    [Label.Service]: service,
    [Label.Method]: `${service}/${method}`,
  };
}
