import type { ServiceEndpoint } from '@rpcx/core';
import { RandomSelector } from './random.js';
import { RoundRobinSelector } from './round-robin.js';

const ctx = { servicePath: 'Arith', serviceMethod: 'Mul', args: undefined, metadata: {} };
const endpoints = (...keys: string[]): ServiceEndpoint[] =>
  keys.map((key) => ({ key, metadata: '' }));
const picks = (select: () => string | undefined, n: number): (string | undefined)[] =>
  Array.from({ length: n }, select);

describe('RoundRobinSelector (Go RoundRobin)', () => {
  it('returns the servers in list order, cyclically', () => {
    const selector = new RoundRobinSelector();
    selector.update(endpoints('a', 'b', 'c'));
    expect(picks(() => selector.select(ctx), 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('keeps its index across updates: servers[i % len], then i = i % len + 1', () => {
    const selector = new RoundRobinSelector();
    selector.update(endpoints('a', 'b', 'c'));
    expect(picks(() => selector.select(ctx), 2)).toEqual(['a', 'b']); // i = 2
    selector.update(endpoints('w', 'x', 'y', 'z'));
    expect(picks(() => selector.select(ctx), 3)).toEqual(['y', 'z', 'w']); // i = 1
    selector.update(endpoints('p', 'q'));
    expect(picks(() => selector.select(ctx), 3)).toEqual(['q', 'p', 'q']); // 1 % 2 = 1; i = 2
    selector.update(endpoints('m', 'n', 'o'));
    expect(picks(() => selector.select(ctx), 2)).toEqual(['o', 'm']);
  });

  it('shrinking the list wraps the index instead of running past the end', () => {
    const selector = new RoundRobinSelector();
    selector.update(endpoints('a', 'b', 'c', 'd', 'e'));
    picks(() => selector.select(ctx), 4); // i = 4
    selector.update(endpoints('a', 'b'));
    expect(picks(() => selector.select(ctx), 3)).toEqual(['a', 'b', 'a']); // 4 % 2 = 0
  });

  it('keeps the given order (the XClient passes endpoints sorted by key)', () => {
    const selector = new RoundRobinSelector();
    selector.update(endpoints('tcp@b:1', 'tcp@a:1'));
    expect(picks(() => selector.select(ctx), 2)).toEqual(['tcp@b:1', 'tcp@a:1']);
  });
});

describe('RandomSelector (Go RandomSelect)', () => {
  it('picks floor(random × n), even from a random that returns 1 or NaN', () => {
    const values = [0, 0.34, 0.67, 0.999, 1, Number.NaN, -0.5];
    const selector = new RandomSelector({ random: () => values.shift()! });
    selector.update(endpoints('a', 'b', 'c'));
    expect(picks(() => selector.select(ctx), 7)).toEqual(['a', 'b', 'c', 'c', 'c', 'a', 'a']);
  });

  it('is roughly uniform', () => {
    // Deterministic xorshift32, so the check never flakes.
    let state = 0x2545f491;
    const random = (): number => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 2 ** 32;
    };
    const selector = new RandomSelector({ random });
    selector.update(endpoints('a', 'b', 'c', 'd'));
    const counts = new Map<string | undefined, number>();
    for (const key of picks(() => selector.select(ctx), 40_000)) {
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    for (const count of counts.values()) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});
