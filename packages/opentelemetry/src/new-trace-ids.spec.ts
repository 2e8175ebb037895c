import { TraceFlags } from '@opentelemetry/api';
import {
  newUnsampledTraceparent,
  randomFraction,
  unsampledSpanContextOf,
} from './new-trace-ids.js';
import { parseTraceparent } from './propagator.js';

describe('new traces left out (rootSampleRatio)', () => {
  test('traceparents: well-formed, not sampled, all different, across batches and refills', () => {
    // 256 per batch, 24 random bytes each: 3,000 cross many batches and several refills.
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const traceparent = newUnsampledTraceparent();
      const parsed = parseTraceparent(traceparent);
      expect(parsed).toBeDefined();
      expect(parsed!.traceFlags).toBe(TraceFlags.NONE);
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
      const spanContext = unsampledSpanContextOf(traceparent);
      expect(spanContext).toEqual({ ...parsed, isRemote: false });
      seen.add(parsed!.traceId);
      seen.add(parsed!.spanId);
    }
    expect(seen.size).toBe(6000);
  });

  test('randomFraction: in [0, 1), spread over it', () => {
    const draws = Array.from({ length: 10_000 }, randomFraction);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    // Each tenth of [0, 1) gets about a tenth of the draws (binomial: 1000 ± ~95 at 3 sigma).
    const tenths = Array<number>(10).fill(0);
    for (const draw of draws) tenths[Math.floor(draw * 10)]!++;
    for (const count of tenths) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
