import type { ServiceEndpoint } from '@rpcx/core';
import { MAX_RING_ENTRIES, SmoothRing } from './smooth-ring.js';
import { endpointWeight, goAtoi, WeightedRoundRobinSelector } from './weighted-round-robin.js';

const ctx = { servicePath: 'Arith', serviceMethod: 'Mul', args: undefined, metadata: {} };

function weighted(...pairs: [string, string][]): ServiceEndpoint[] {
  return pairs.map(([key, metadata]) => ({ key, metadata }));
}

function sequence(selector: WeightedRoundRobinSelector, n: number): string {
  return Array.from({ length: n }, () => selector.select(ctx)).join(' ');
}

/** Go's `next()` written out plainly, to compare the ring against. */
function goSequence(weights: number[], n: number): number[] {
  const current = weights.map(() => 0);
  const total = weights.reduce((a, b) => a + b, 0);
  const out: number[] = [];
  for (let step = 0; step < n; step++) {
    if (weights.length === 1) {
      out.push(0);
      continue;
    }
    let best = 0;
    let max = 0;
    weights.forEach((w, i) => {
      current[i]! += w;
      if (current[i]! > max) {
        max = current[i]!;
        best = i;
      }
    });
    current[best]! -= total;
    out.push(best);
  }
  return out;
}

describe('WeightedRoundRobinSelector (Go WeightedRoundRobin, spec §5.4)', () => {
  it('weights 5, 1, 1 give a a b a c a a, repeating', () => {
    const selector = new WeightedRoundRobinSelector();
    selector.update(weighted(['a', 'weight=5'], ['b', 'weight=1'], ['c', 'weight=1']));
    expect(sequence(selector, 14)).toBe('a a b a c a a a a b a c a a');
  });

  it('weights 2, 3 give b a b a b, repeating', () => {
    const selector = new WeightedRoundRobinSelector();
    selector.update(weighted(['a', 'weight=2'], ['b', 'weight=3']));
    expect(sequence(selector, 10)).toBe('b a b a b b a b a b');
  });

  it('restarts the sequence on every update, as Go rebuilds its ring', () => {
    const selector = new WeightedRoundRobinSelector();
    const list = weighted(['a', 'weight=5'], ['b', 'weight=1'], ['c', 'weight=1']);
    selector.update(list);
    expect(sequence(selector, 3)).toBe('a a b');
    selector.update(list);
    expect(sequence(selector, 3)).toBe('a a b');
  });

  it('missing weight counts as 1: plain turns', () => {
    const selector = new WeightedRoundRobinSelector();
    selector.update(weighted(['a', ''], ['b', 'group=x'], ['c', 'weight=']));
    expect(sequence(selector, 6)).toBe('a b c a b c');
  });

  it('never picks weight 0 beside positive weights; negative counts as 0', () => {
    const selector = new WeightedRoundRobinSelector();
    selector.update(weighted(['a', 'weight=0'], ['b', 'weight=2'], ['c', 'weight=-5']));
    expect(sequence(selector, 4)).toBe('b b b b');
  });

  it('all weights 0 or negative: the servers take turns (Go panics)', () => {
    const selector = new WeightedRoundRobinSelector();
    selector.update(weighted(['a', 'weight=0'], ['b', 'weight=-1'], ['c', 'weight=0']));
    expect(sequence(selector, 6)).toBe('a b c a b c');
  });

  it('one server: always it, whatever its weight', () => {
    for (const metadata of ['weight=7', 'weight=0', 'weight=-3']) {
      const selector = new WeightedRoundRobinSelector();
      selector.update(weighted(['only', metadata]));
      expect(sequence(selector, 3)).toBe('only only only');
    }
  });
});

describe('endpointWeight: metadata weight read as Go (ParseQuery + Atoi)', () => {
  it.each([
    ['weight=10', 10],
    ['weight=%2B3', 3],
    ['weight=007', 7],
    ['weight=-2', -2],
    ['weight=2&weight=9', 2], // Get returns the first
    ['group=a&weight=4&state=active', 4],
    ['weight=%33', 3], // percent-decoded first
    ['', 1],
    ['weight=', 1],
    ['weight=abc', 1],
    ['weight=3.5', 1],
    ['weight=+3', 1], // + is a space in a query: " 3" is not an int
    ['weight=1_000', 1], // Atoi takes no underscores
    ['weight=+', 1],
    ['weight=%203', 1], // leading space
    ['weight=3;x=1', 1], // ParseQuery error: Go skips the metadata
    ['weight=99999999999999999999', 1], // out of int64: Atoi error
    ['weight=9223372036854775807', 2 ** 63], // int64 max, as the nearest double
  ])('%s → %d', (metadata, weight) => {
    expect(endpointWeight(metadata)).toBe(weight);
  });

  it('goAtoi: int64 range on both sides', () => {
    expect(goAtoi('-9223372036854775808')).toBe(-(2 ** 63));
    expect(goAtoi('-9223372036854775809')).toBeUndefined();
    expect(goAtoi('9223372036854775808')).toBeUndefined();
    expect(goAtoi('-0')).toBe(0);
    expect(goAtoi('')).toBeUndefined();
  });
});

describe('SmoothRing', () => {
  const keys = (n: number): string[] => Array.from({ length: n }, (_, i) => `s${i}`);
  const take = (ring: SmoothRing, n: number): (string | undefined)[] =>
    Array.from({ length: n }, () => ring.next());

  it('matches Go’s step-by-step algorithm for many weight sets', () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 8);
      const weights = Array.from({ length: n }, () => 1 + Math.floor(random() * 12));
      const ring = new SmoothRing();
      ring.reset(keys(n), weights);
      const total = weights.reduce((a, b) => a + b, 0);
      const expected = goSequence(weights, 2 * total + 3).map((i) => `s${i}`);
      expect(take(ring, expected.length)).toEqual(expected);
    }
  });

  it('weights with a common factor give the same sequence as the reduced weights', () => {
    const a = new SmoothRing();
    const b = new SmoothRing();
    a.reset(keys(3), [10, 20, 30]);
    b.reset(keys(3), [1, 2, 3]);
    expect(take(a, 60)).toEqual(take(b, 60));
  });

  it('past MAX_RING_ENTRIES it steps on demand, with the same sequence', () => {
    const weights = [MAX_RING_ENTRIES, 3, 1];
    const ring = new SmoothRing();
    ring.reset(keys(3), weights);
    const expected = goSequence(weights, 5000).map((i) => `s${i}`);
    expect(take(ring, 5000)).toEqual(expected);
  });

  it('clamps huge and fractional weights instead of building a giant ring', () => {
    const ring = new SmoothRing();
    ring.reset(keys(2), [1e300, 0.5]);
    expect(take(ring, 3)).toEqual(['s0', 's0', 's0']);
  });

  it('is empty without servers', () => {
    const ring = new SmoothRing();
    ring.reset([], []);
    expect(ring.next()).toBeUndefined();
    expect(ring.size).toBe(0);
  });
});
