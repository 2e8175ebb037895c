export {
  ClosestSelector,
  type ClosestSelectorOptions,
  distanceM,
  EARTH_RADIUS_M,
} from './closest.js';
export {
  type ConsistentHashOptions,
  ConsistentHashSelector,
  consistentHashKey,
  formatGoValue,
  type HashKeyFunction,
  hashBytes,
  hashString,
  jumpHash,
} from './consistent-hash.js';
export { LeastLoadedSelector, type LeastLoadedSelectorOptions } from './least-loaded.js';
export {
  NetworkQualitySelector,
  type NetworkQualitySelectorOptions,
  rttToWeight,
} from './network-quality.js';
export { RandomSelector, type RandomSelectorOptions } from './random.js';
export { RoundRobinSelector } from './round-robin.js';
export type { RttSource } from './rtt-source.js';
export { type CreateSelectorOptions, createSelector, SelectMode } from './select-mode.js';
export { FAILED_RTT_MS, TcpRttProber, type TcpRttProberOptions } from './tcp-rtt-prober.js';
export { endpointWeight, WeightedRoundRobinSelector } from './weighted-round-robin.js';
