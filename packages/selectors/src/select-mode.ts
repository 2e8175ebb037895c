/**
 * Go's `SelectMode` values and a factory for the built-in selectors, so that
 * `new XClient(..., SelectMode.RoundRobin, ...)` reads as in Go.
 */
import { ErrorCode, RpcxError, type Selector } from '@rpcx/core';
import { ClosestSelector } from './closest.js';
import { ConsistentHashSelector, type HashKeyFunction } from './consistent-hash.js';
import { LeastLoadedSelector, type LeastLoadedSelectorOptions } from './least-loaded.js';
import { NetworkQualitySelector } from './network-quality.js';
import { RandomSelector } from './random.js';
import { RoundRobinSelector } from './round-robin.js';
import type { RttSource } from './rtt-source.js';
import type { TcpRttProberOptions } from './tcp-rtt-prober.js';
import { WeightedRoundRobinSelector } from './weighted-round-robin.js';

export const SelectMode = {
  /** Uniform random choice (Go's default for unknown modes too). */
  RandomSelect: 0,
  /** Each server in turn. */
  RoundRobin: 1,
  /** Smooth weighted round robin by metadata `weight`. */
  WeightedRoundRobin: 2,
  /** Weighted by round-trip time; Go's `WeightedICMP` (same value), measured by TCP connect. */
  NetworkQuality: 3,
  /** Go's name for `NetworkQuality`. */
  WeightedICMP: 3,
  /** Jump consistent hash of the call's key. */
  ConsistentHash: 4,
  /** The nearest server by metadata `latitude`/`longitude`. */
  Closest: 5,
  /** Your own selector, given to the XClient; `createSelector` cannot make one. */
  SelectByUser: 1000,
  /**
   * Power of two choices over outstanding calls × latency. Not in Go rpcx: 1001 sits next to
   * `SelectByUser`, far from Go's built-in values, so a future Go mode will not collide.
   */
  LeastLoaded: 1001,
} as const;

export type SelectMode = (typeof SelectMode)[keyof typeof SelectMode];

/** Options for `createSelector`; each mode reads only its own. */
export interface CreateSelectorOptions {
  /** Random, Closest (ties), LeastLoaded: a number in [0, 1) (default `Math.random`). */
  random?: () => number;
  /** ConsistentHash: the call's hash key (default Go's key, `%v` approximated). */
  key?: HashKeyFunction;
  /** Closest (required there): the client's latitude in degrees. */
  latitude?: number;
  /** Closest (required there): the client's longitude in degrees. */
  longitude?: number;
  /** NetworkQuality: where RTTs come from (default a `TcpRttProber` the selector owns). */
  rttSource?: RttSource;
  /** NetworkQuality: options of the default prober. */
  prober?: TcpRttProberOptions;
  /** LeastLoaded: clock and tuning. */
  leastLoaded?: Omit<LeastLoadedSelectorOptions, 'random'>;
}

/**
 * A new selector for `mode`. Unknown modes give a random selector, as in Go. `SelectByUser` and
 * `Closest` without `latitude` and `longitude` throw `RpcxError(InvalidArgument)`: the first needs your own
 * selector, the second the client's coordinates (Go's `ConfigGeoSelector`).
 */
export function createSelector(mode: number, options: CreateSelectorOptions = {}): Selector {
  const { random } = options;
  switch (mode) {
    case SelectMode.RoundRobin:
      return new RoundRobinSelector();
    case SelectMode.WeightedRoundRobin:
      return new WeightedRoundRobinSelector();
    case SelectMode.NetworkQuality:
      return new NetworkQualitySelector({ rttSource: options.rttSource, prober: options.prober });
    case SelectMode.ConsistentHash:
      return new ConsistentHashSelector({ key: options.key });
    case SelectMode.Closest: {
      const { latitude, longitude } = options;
      if (!Number.isFinite(latitude) || !Number.isFinite(longitude)) {
        throw new RpcxError(
          ErrorCode.InvalidArgument,
          'SelectMode.Closest needs the client position: pass latitude and longitude (degrees)',
        );
      }
      return new ClosestSelector({ latitude: latitude!, longitude: longitude!, random });
    }
    case SelectMode.LeastLoaded:
      return new LeastLoadedSelector({ ...options.leastLoaded, random });
    case SelectMode.SelectByUser:
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        'SelectMode.SelectByUser has no built-in selector: pass your own Selector to the client',
      );
    default:
      return new RandomSelector({ random });
  }
}
