import type { ServiceEndpoint } from '@rpcx/core';
import { LeastLoadedSelector } from './least-loaded.js';

const ctx = { servicePath: 'Arith', serviceMethod: 'Mul', args: undefined, metadata: {} };
const endpoints = (...keys: string[]): ServiceEndpoint[] =>
  keys.map((key) => ({ key, metadata: '' }));

/** A selector over a and b whose clock the test sets; random pairs cycle a/b and b/a. */
function twoServers(): { selector: LeastLoadedSelector; clock: { now: number } } {
  const clock = { now: 0 };
  const draws = [0.1, 0.1, 0.9, 0.1]; // (a, b) then (b, a)
  let at = 0;
  const selector = new LeastLoadedSelector({
    now: () => clock.now,
    random: () => draws[at++ % draws.length]!,
  });
  selector.update(endpoints('a', 'b'));
  return { selector, clock };
}

/** Picks `n` times (both draw orders) and counts. */
function counts(selector: LeastLoadedSelector, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const key = selector.select(ctx)!;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

function finishCall(selector: LeastLoadedSelector, key: string, ms: number, failed = false): void {
  selector.callStarted(key);
  selector.callFinished(key, ms, failed);
}

describe('LeastLoadedSelector (power of two choices, peak EWMA)', () => {
  it('with one server returns it', () => {
    const selector = new LeastLoadedSelector();
    selector.update(endpoints('only'));
    expect(counts(selector, 5)).toEqual({ only: 5 });
  });

  it('draws two distinct servers', () => {
    const seen = new Set<string>();
    const draws = [0.5, 0.5]; // i = 1 of 3, j = floor(0.5 × 2) = 1 → moved past i to 2
    const selector = new LeastLoadedSelector({ random: () => draws.shift() ?? 0 });
    selector.update(endpoints('a', 'b', 'c'));
    selector.callStarted('c'); // c is busier, so the pick shows which two were compared
    seen.add(selector.select(ctx)!);
    expect(seen).toEqual(new Set(['b']));
  });

  it('prefers the server with fewer outstanding calls', () => {
    const { selector } = twoServers();
    selector.callStarted('a');
    selector.callStarted('a');
    expect(counts(selector, 10)).toEqual({ b: 10 });
    selector.callStarted('b');
    selector.callStarted('b');
    selector.callStarted('b');
    expect(counts(selector, 10)).toEqual({ a: 10 });
    expect(selector.outstanding('a')).toBe(2);
    expect(selector.outstanding('b')).toBe(3);
  });

  it('prefers the server with lower latency', () => {
    const { selector } = twoServers();
    finishCall(selector, 'a', 50);
    finishCall(selector, 'b', 5);
    expect(counts(selector, 10)).toEqual({ b: 10 });
  });

  it('weighs load against latency: (outstanding + 1) × latency', () => {
    const { selector } = twoServers();
    finishCall(selector, 'a', 30);
    finishCall(selector, 'b', 10);
    selector.callStarted('b');
    selector.callStarted('b'); // b: 3 × 10 = 30 — a tie goes to the first drawn
    selector.callStarted('b'); // b: 4 × 10 = 40 > a: 30
    expect(counts(selector, 10)).toEqual({ a: 10 });
  });

  it('a slower sample replaces the estimate at once; a faster one blends in by time', () => {
    const { selector, clock } = twoServers();
    finishCall(selector, 'a', 100);
    expect(selector.latencyMs('a')).toBe(100);
    clock.now = 10_000; // one time constant later
    finishCall(selector, 'a', 10);
    const keep = Math.exp(-1);
    expect(selector.latencyMs('a')).toBeCloseTo(100 * keep + 10 * (1 - keep), 9);
    finishCall(selector, 'a', 500);
    expect(selector.latencyMs('a')).toBe(500);
  });

  it('recovers a slow server as its estimate decays back toward the default', () => {
    const { selector, clock } = twoServers();
    finishCall(selector, 'a', 200);
    finishCall(selector, 'b', 10);
    selector.callStarted('b'); // b: 2 × 10 = 20, still far below a's 200
    expect(counts(selector, 10)).toEqual({ b: 10 });
    clock.now = 60_000; // six time constants: a ≈ 1.5 ms, b ≈ 1.02 ms × 2
    expect(selector.latencyMs('a')).toBeLessThan(2);
    expect(counts(selector, 10)).toEqual({ a: 10 });
  });

  it('a new server starts at the small default latency, so it gets tried', () => {
    const { selector } = twoServers();
    finishCall(selector, 'a', 20);
    finishCall(selector, 'b', 20);
    selector.update(endpoints('a', 'b', 'new'));
    expect(selector.latencyMs('new')).toBe(1);
    const draws = [0.1, 0.9]; // a against new
    const picked = new LeastLoadedSelector({ random: () => draws.shift() ?? 0 });
    picked.update(endpoints('a', 'new'));
    finishCall(picked, 'a', 20);
    expect(picked.select(ctx)).toBe('new');
  });

  it('a failed call counts as max(elapsed, 2 × estimate), capped', () => {
    const clock = { now: 0 };
    const selector = new LeastLoadedSelector({ now: () => clock.now, maxPenaltyMs: 100 });
    selector.update(endpoints('a'));
    finishCall(selector, 'a', 10);
    finishCall(selector, 'a', 0.1, true); // fails fast: 2 × 10
    expect(selector.latencyMs('a')).toBe(20);
    finishCall(selector, 'a', 0.1, true);
    expect(selector.latencyMs('a')).toBe(40);
    finishCall(selector, 'a', 0.1, true);
    finishCall(selector, 'a', 0.1, true);
    expect(selector.latencyMs('a')).toBe(100); // the cap
    finishCall(selector, 'a', 250, true); // a slow failure counts its own time
    expect(selector.latencyMs('a')).toBe(250);
  });

  it('keeps the load of a removed server until its calls finish, then forgets it', () => {
    const { selector } = twoServers();
    selector.callStarted('a');
    selector.update(endpoints('b'));
    expect(selector.outstanding('a')).toBe(1);
    selector.callFinished('a', 5, false);
    expect(selector.outstanding('a')).toBe(0);
    expect(selector.latencyMs('a')).toBe(1); // forgotten: back to the default
    selector.callFinished('zzz', 5, false); // never started: ignored
    expect(selector.outstanding('zzz')).toBe(0);
  });
});
