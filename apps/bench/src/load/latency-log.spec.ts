import { LatencyLog } from './latency-log.js';

describe('LatencyLog', () => {
  it('has no percentiles before the first call', () => {
    expect(new LatencyLog().percentile(0.5)).toBeNaN();
  });

  it('finds percentiles to the microsecond', () => {
    const log = new LatencyLog();
    // 1000 calls: 0.001 ms, 0.002 ms, … 1.000 ms, added out of order.
    for (let i = 1000; i >= 1; i--) log.add(i / 1000);
    expect(log.count).toBe(1000);
    // Rank 500 is the 501st smallest, 0.501 ms; reported as the middle of its microsecond.
    expect(log.percentile(0.5)).toBeCloseTo(0.5015, 6);
    expect(log.percentile(0.99)).toBeCloseTo(0.9915, 6);
  });

  it('keeps calls past its span exactly', () => {
    const log = new LatencyLog();
    for (let i = 0; i < 98; i++) log.add(0.2);
    log.add(250);
    log.add(150);
    expect(log.percentile(0.5)).toBeCloseTo(0.2005, 6);
    expect(log.percentile(0.98)).toBe(150);
    expect(log.percentile(0.99)).toBe(250);
  });

  it('merges counts from another process with its own calls', () => {
    const log = new LatencyLog();
    for (let i = 0; i < 50; i++) log.add(0.1);
    // A Go client's histogram: 40 calls of 200 µs, 10 of 150 ms (past the span).
    log.addCount(200, 40);
    log.addCount(150_000, 10);
    expect(log.count).toBe(100);
    expect(log.percentile(0.25)).toBeCloseTo(0.1005, 6);
    expect(log.percentile(0.6)).toBeCloseTo(0.2005, 6);
    expect(log.percentile(0.95)).toBe(150);
  });
});
