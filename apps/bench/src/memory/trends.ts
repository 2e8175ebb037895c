/**
 * The long run's samples and what is made of them: for each reading (heapUsed and RSS of the
 * client and of the server), the first, last and largest value and the slope of a least-squares
 * line through the samples after the warm-up, in bytes per 1,000,000 calls.
 */
import { fitLine, type LineFit } from './fit.js';

export interface MemorySample {
  calls: number;
  seconds: number;
  clientHeapUsed: number;
  clientRss: number;
  serverHeapUsed: number;
  serverRss: number;
}

export const SAMPLE_READINGS = [
  ['client', 'heapUsed', 'clientHeapUsed'],
  ['client', 'RSS', 'clientRss'],
  ['server', 'heapUsed', 'serverHeapUsed'],
  ['server', 'RSS', 'serverRss'],
] as const;
export type Reading = (typeof SAMPLE_READINGS)[number][2];

export interface ReadingTrend {
  first: number;
  last: number;
  max: number;
  /** Bytes per 1,000,000 calls, over the samples after the warm-up. */
  slopePerMillion: number;
  /** Its standard error. */
  slopeErrorPerMillion: number;
  /**
   * The slope over the second half of the calls alone: a leak keeps its slope there, a one-time
   * step up (a heap or an allocator settling) does not.
   */
  lateSlopePerMillion: number;
}

export interface LongRunReport {
  plan: {
    calls: number;
    concurrency: number;
    samples: number;
    warmupCalls: number;
    forcedGc: boolean;
    payloadBytes: number;
  };
  calls: number;
  errors: number;
  seconds: number;
  samples: MemorySample[];
  trends: Record<Reading, ReadingTrend>;
}

/** first / last / max of each reading, and its slope per 1M calls over samples past `warmupCalls`. */
export function trends(
  samples: readonly MemorySample[],
  warmupCalls: number,
): Record<Reading, ReadingTrend> {
  const fitted = samples.filter((sample) => sample.calls >= warmupCalls);
  const lastCalls = samples.at(-1)?.calls ?? 0;
  const late = samples.filter((sample) => sample.calls >= lastCalls / 2);
  const result = {} as Record<Reading, ReadingTrend>;
  for (const [, , reading] of SAMPLE_READINGS) {
    const values = samples.map((sample) => sample[reading]);
    const fit = fitOver(fitted, reading);
    result[reading] = {
      first: values[0] ?? Number.NaN,
      last: values.at(-1) ?? Number.NaN,
      max: Math.max(...values),
      slopePerMillion: fit?.slope ?? Number.NaN,
      slopeErrorPerMillion: fit?.slopeError ?? Number.NaN,
      lateSlopePerMillion: fitOver(late, reading)?.slope ?? Number.NaN,
    };
  }
  return result;
}

/** The line through `reading` against millions of calls; undefined for fewer than two samples. */
function fitOver(samples: readonly MemorySample[], reading: Reading): LineFit | undefined {
  if (samples.length < 2) return undefined;
  return fitLine(
    samples.map((sample) => sample.calls / 1e6),
    samples.map((sample) => sample[reading]),
  );
}
