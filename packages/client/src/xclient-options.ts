/** XClient configuration (Go's `NewXClient` arguments and the governance fields of `Option`). */
import type { Selector, ServiceDiscovery } from '@rpcx/core';
import { ErrorCode, RpcxError } from '@rpcx/core';
import {
  type CreateSelectorOptions,
  type SelectMode,
  SelectMode as SelectModes,
} from '@rpcx/selectors';
import {
  type BreakerFactory,
  ConsecutiveBreaker,
  type ConsecutiveBreakerOptions,
} from './circuit-breaker.js';
import type { ClientSettings } from './client-options.js';
import { FailMode } from './fail-mode.js';
import { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

export interface XClientOptions extends ClientSettings {
  /** The service every call of this client goes to (`Arith`). */
  servicePath: string;
  /** Where the servers come from: `PeerDiscovery`, `MultipleServersDiscovery`, a registry. */
  discovery: ServiceDiscovery;
  /** What a failed call does next. Default `FailMode.Failover`. */
  failMode?: FailMode;
  /** How a server is picked per call. Default `SelectMode.RoundRobin`. Ignored with `selector`. */
  selectMode?: SelectMode;
  /** Your own selector (Go's `SelectByUser` + `SetSelector`). */
  selector?: Selector;
  /**
   * Settings of the selector `selectMode` makes: the client's `latitude`/`longitude` for
   * `Closest` (Go's `ConfigGeoSelector`), the hash `key` for `ConsistentHash`, the RTT prober of
   * `NetworkQuality`, the tuning of `LeastLoaded`.
   */
  selectorOptions?: CreateSelectorOptions;
  /** Use only servers whose metadata has `group=<group>`. */
  group?: string;
  /** Extra attempts of Failover and Failtry (Go's `Retries`). Default 3. */
  retries?: number;
  /** Pause between those attempts (ms). Default 0. */
  retryIntervalMs?: number;
  /** Failbackup: how long to wait before the backup request (ms). Default 10. */
  backupLatencyMs?: number;
  /**
   * Caps retries at a share of recent calls (default 20 % over 10 s, at least 10 a second), so a
   * failing cluster does not get its load multiplied. `false` turns it off (Go has none).
   */
  retryBudget?: RetryBudgetOptions | false;
  /**
   * One circuit breaker per server. Default: opens after 5 consecutive failed calls, probes
   * after 5 s. Pass options for that breaker, a factory for your own, or `false` for none.
   */
  breaker?: ConsecutiveBreakerOptions | BreakerFactory | false;
}

/** The resolved governance settings. */
export interface Governance {
  readonly servicePath: string;
  readonly failMode: FailMode;
  readonly selectMode: SelectMode;
  readonly retries: number;
  readonly retryIntervalMs: number;
  readonly backupLatencyMs: number;
  readonly budget: RetryBudget | undefined;
  readonly breakers: BreakerFactory | undefined;
}

export function resolveGovernance(options: XClientOptions): Governance {
  if (typeof options?.servicePath !== 'string' || options.servicePath === '') {
    throw invalid('`servicePath` is required');
  }
  const discovery = options.discovery;
  if (
    discovery === undefined ||
    typeof discovery.getServices !== 'function' ||
    typeof discovery.watch !== 'function'
  ) {
    throw invalid('`discovery` must be a ServiceDiscovery (getServices, watch, clone, close)');
  }
  const failMode = options.failMode ?? FailMode.Failover;
  if (!Object.values(FailMode).includes(failMode)) throw invalid(`unknown failMode ${failMode}`);
  const breaker = options.breaker ?? {};
  return {
    servicePath: options.servicePath,
    failMode,
    selectMode: options.selectMode ?? SelectModes.RoundRobin,
    retries: count('retries', options.retries ?? 3),
    retryIntervalMs: count('retryIntervalMs', options.retryIntervalMs ?? 0),
    backupLatencyMs: count('backupLatencyMs', options.backupLatencyMs ?? 10),
    budget: options.retryBudget === false ? undefined : new RetryBudget(options.retryBudget),
    breakers:
      breaker === false
        ? undefined
        : typeof breaker === 'function'
          ? breaker
          : (key) => new ConsecutiveBreaker({ serverAddress: key, ...breaker }),
  };
}

function count(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw invalid(`${name} must be a number >= 0, got ${value}`);
  return value;
}

function invalid(why: string): RpcxError {
  return new RpcxError(ErrorCode.InvalidArgument, `new XClient: ${why}`);
}
