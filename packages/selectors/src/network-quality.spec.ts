import type { ServiceEndpoint } from '@rpcx/core';
import { NetworkQualitySelector, rttToWeight } from './network-quality.js';
import type { RttSource } from './rtt-source.js';

const ctx = { servicePath: 'Arith', serviceMethod: 'Mul', args: undefined, metadata: {} };
const endpoints = (...keys: string[]): ServiceEndpoint[] =>
  keys.map((key) => ({ key, metadata: '' }));

/** An RTT table the test changes, bumping the version as a prober would. */
class TableSource implements RttSource {
  version = 0;
  tracked: string[][] = [];
  closed = 0;
  private readonly rtts = new Map<string, number>();
  set(key: string, rttMs: number): void {
    this.rtts.set(key, rttMs);
    this.version++;
  }
  rttMs(key: string): number | undefined {
    return this.rtts.get(key);
  }
  track(keys: readonly string[]): void {
    this.tracked.push([...keys]);
  }
  close(): void {
    this.closed++;
  }
}

function counts(selector: NetworkQualitySelector, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const key = selector.select(ctx)!;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

describe('rttToWeight (Go CalculateWeight)', () => {
  it.each<[number | undefined, number]>([
    [0, 191],
    [0.4, 191],
    [10, 191],
    [10.99, 191], // Go works in whole ms
    [11, 190],
    [50, 151],
    [100, 101],
    [199, 2],
    [200, 1],
    [200.5, 1],
    [201, 1],
    [999, 1],
    [999.9, 1],
    [1000, 0],
    [5000, 0],
    [Number.POSITIVE_INFINITY, 0],
    [-1, 0],
    [Number.NaN, 0],
    [undefined, 0], // unknown: a failed ping, 1000 ms
  ])('%s ms → %d', (rtt, weight) => {
    expect(rttToWeight(rtt)).toBe(weight);
  });
});

describe('NetworkQualitySelector (Go WeightedICMP, spec §5.5)', () => {
  it('shares follow the RTT weights over one ring period', () => {
    const source = new TableSource();
    source.set('fast', 5); // 191
    source.set('mid', 100); // 101
    source.set('slow', 250); // 1
    source.set('down', 1000); // 0
    const selector = new NetworkQualitySelector({ rttSource: source });
    selector.update(endpoints('fast', 'mid', 'slow', 'down'));
    expect(counts(selector, 293)).toEqual({ fast: 191, mid: 101, slow: 1 });
    expect(source.tracked).toEqual([['fast', 'mid', 'slow', 'down']]);
  });

  it('uses the smooth ring: weights 2 and 3 (RTT 199 and 198 ms) give b a b a b', () => {
    const source = new TableSource();
    source.set('a', 199);
    source.set('b', 198);
    const selector = new NetworkQualitySelector({ rttSource: source });
    selector.update(endpoints('a', 'b'));
    expect(Array.from({ length: 5 }, () => selector.select(ctx)).join(' ')).toBe('b a b a b');
  });

  it('rebuilds the ring when the source reports RTTs that change a weight', () => {
    const source = new TableSource();
    source.set('a', 1);
    source.set('b', 5000);
    const selector = new NetworkQualitySelector({ rttSource: source });
    selector.update(endpoints('a', 'b'));
    expect(counts(selector, 10)).toEqual({ a: 10 });
    source.set('a', 5000);
    source.set('b', 1);
    expect(counts(selector, 10)).toEqual({ b: 10 });
  });

  it('keeps its place in the ring when new RTTs leave the weights as they were', () => {
    const source = new TableSource();
    source.set('a', 199); // 2
    source.set('b', 198); // 3
    const selector = new NetworkQualitySelector({ rttSource: source });
    selector.update(endpoints('a', 'b'));
    const first = [selector.select(ctx), selector.select(ctx)];
    source.set('a', 199.4); // still weight 2
    const rest = [selector.select(ctx), selector.select(ctx), selector.select(ctx)];
    expect([...first, ...rest].join(' ')).toBe('b a b a b');
  });

  it('with every weight 0 (unknown or unreachable) the servers take turns', () => {
    const source = new TableSource();
    source.set('b', 1000);
    const selector = new NetworkQualitySelector({ rttSource: source });
    selector.update(endpoints('a', 'b', 'c'));
    expect(Array.from({ length: 6 }, () => selector.select(ctx)).join(' ')).toBe('a b c a b c');
  });

  it('a source without version is read on update only', () => {
    const rtts = new Map([['a', 1]]);
    const selector = new NetworkQualitySelector({ rttSource: { rttMs: (k) => rtts.get(k) } });
    selector.update(endpoints('a', 'b'));
    rtts.set('b', 1);
    rtts.set('a', 5000);
    expect(counts(selector, 4)).toEqual({ a: 4 });
    selector.update(endpoints('a', 'b'));
    expect(counts(selector, 4)).toEqual({ b: 4 });
  });

  it('closes only a source it created', () => {
    const source = new TableSource();
    const selector = new NetworkQualitySelector({ rttSource: source });
    selector.close();
    expect(source.closed).toBe(0);
  });
});
