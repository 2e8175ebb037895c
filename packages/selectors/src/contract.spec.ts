import { describeSelectorContract } from '@rpcx/testing';
import { ClosestSelector } from './closest.js';
import { ConsistentHashSelector } from './consistent-hash.js';
import { LeastLoadedSelector } from './least-loaded.js';
import { NetworkQualitySelector } from './network-quality.js';
import { RandomSelector } from './random.js';
import { RoundRobinSelector } from './round-robin.js';
import { createSelector, SelectMode } from './select-mode.js';
import { WeightedRoundRobinSelector } from './weighted-round-robin.js';

/** RTTs that never change: 0..59 ms by port. */
const fixedRtts = {
  rttMs: (key: string): number | undefined => Number(key.slice(key.lastIndexOf(':') + 1)) % 60,
};

describeSelectorContract('random', () => new RandomSelector());
describeSelectorContract('round robin', () => new RoundRobinSelector());
describeSelectorContract('weighted round robin', () => new WeightedRoundRobinSelector());
describeSelectorContract('consistent hash', () => new ConsistentHashSelector());
describeSelectorContract(
  'consistent hash with a key function',
  () =>
    new ConsistentHashSelector({
      key: (ctx) => new TextEncoder().encode(`${ctx.serviceMethod}:${typeof ctx.args}`),
    }),
);
describeSelectorContract(
  'network quality (fixed RTTs)',
  () => new NetworkQualitySelector({ rttSource: fixedRtts }),
);
// The default source probes 127.0.0.1:9000.. by TCP; picks are synchronous, close() stops it.
describeSelectorContract('network quality (TCP prober)', () => new NetworkQualitySelector());
describeSelectorContract(
  'closest',
  () => new ClosestSelector({ latitude: 48.85, longitude: 2.35 }),
);
describeSelectorContract('least loaded', () => new LeastLoadedSelector());
for (const [name, mode] of Object.entries(SelectMode)) {
  if (mode === SelectMode.SelectByUser) continue;
  describeSelectorContract(`createSelector(SelectMode.${name})`, () =>
    createSelector(mode, { latitude: 0, longitude: 0 }),
  );
}
