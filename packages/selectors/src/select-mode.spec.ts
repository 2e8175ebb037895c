import { ErrorCode, isRpcxError } from '@rpcx/core';
import { ClosestSelector } from './closest.js';
import { ConsistentHashSelector } from './consistent-hash.js';
import { LeastLoadedSelector } from './least-loaded.js';
import { NetworkQualitySelector } from './network-quality.js';
import { RandomSelector } from './random.js';
import { RoundRobinSelector } from './round-robin.js';
import { createSelector, SelectMode } from './select-mode.js';
import { WeightedRoundRobinSelector } from './weighted-round-robin.js';

describe('SelectMode and createSelector', () => {
  it('has Go’s values, NetworkQuality as WeightedICMP (3), LeastLoaded beyond Go', () => {
    expect(SelectMode).toEqual({
      RandomSelect: 0,
      RoundRobin: 1,
      WeightedRoundRobin: 2,
      NetworkQuality: 3,
      WeightedICMP: 3,
      ConsistentHash: 4,
      Closest: 5,
      SelectByUser: 1000,
      LeastLoaded: 1001,
    });
  });

  it.each<[string, number, new (...args: never[]) => unknown]>([
    ['RandomSelect', SelectMode.RandomSelect, RandomSelector],
    ['RoundRobin', SelectMode.RoundRobin, RoundRobinSelector],
    ['WeightedRoundRobin', SelectMode.WeightedRoundRobin, WeightedRoundRobinSelector],
    ['NetworkQuality', SelectMode.NetworkQuality, NetworkQualitySelector],
    ['ConsistentHash', SelectMode.ConsistentHash, ConsistentHashSelector],
    ['Closest', SelectMode.Closest, ClosestSelector],
    ['LeastLoaded', SelectMode.LeastLoaded, LeastLoadedSelector],
    ['an unknown mode (as Go: random)', 42, RandomSelector],
    ['a negative mode', -1, RandomSelector],
  ])('%s', (_, mode, type) => {
    const selector = createSelector(mode, { latitude: 1, longitude: 2 });
    expect(selector).toBeInstanceOf(type);
    selector.close?.();
  });

  it('passes options through: random, key, RTT source, clock', () => {
    const random = createSelector(SelectMode.RandomSelect, { random: () => 0.99 });
    random.update([
      { key: 'a', metadata: '' },
      { key: 'b', metadata: '' },
    ]);
    expect(random.select({ servicePath: 'S', serviceMethod: 'M', args: 1, metadata: {} })).toBe(
      'b',
    );
    const hashed = createSelector(SelectMode.ConsistentHash, { key: () => 'fixed' });
    hashed.update([
      { key: 'a', metadata: '' },
      { key: 'b', metadata: '' },
    ]);
    const picks = new Set(
      [1, 2, 3, 4].map((args) =>
        hashed.select({ servicePath: 'S', serviceMethod: 'M', args, metadata: {} }),
      ),
    );
    expect(picks.size).toBe(1);
    const quality = createSelector(SelectMode.NetworkQuality, {
      rttSource: { rttMs: (key) => (key === 'b' ? 1 : undefined) },
    });
    quality.update([
      { key: 'a', metadata: '' },
      { key: 'b', metadata: '' },
    ]);
    expect(quality.select({ servicePath: 'S', serviceMethod: 'M', args: 1, metadata: {} })).toBe(
      'b',
    );
  });

  it('SelectByUser and Closest without a position throw RpcxError(invalid_argument)', () => {
    for (const [mode, text] of [
      [SelectMode.SelectByUser, /your own Selector/],
      [SelectMode.Closest, /latitude and longitude/],
    ] as const) {
      let thrown: unknown;
      try {
        createSelector(mode, { latitude: 1, longitude: undefined });
      } catch (error) {
        thrown = error;
      }
      expect(isRpcxError(thrown, ErrorCode.InvalidArgument)).toBe(true);
      expect((thrown as Error).message).toMatch(text);
    }
  });
});
