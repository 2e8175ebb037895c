/**
 * The rows of the load table and their ratios: every row against the ceiling at the same
 * concurrency, and each row that has a baseline twin against it (new ÷ baseline).
 */
import { BASELINE_SUFFIX } from './baseline.js';
import type { InterleavedResult } from './interleave.js';

export const CEILING_ROW = 'raw TCP echo (ceiling)';

/** New ÷ baseline: req/s above 1 and CPU µs below 1 mean the new code does better. */
export interface BaselineRatios {
  requestsPerSecond: number;
  /**
   * The req/s ratio of each round's pair of slices, run next to each other: their median and
   * range show whether a burst of load elsewhere on the machine skewed the whole-run ratio.
   */
  requestsPerSecondByRound: number[];
  clientCpuUs: number;
  serverCpuUs: number;
}

export interface Row extends InterleavedResult {
  concurrency: number;
  /** req/s ÷ the ceiling's req/s. */
  ratio: number;
  /** Only on a row measured beside a baseline twin (`<name> [baseline]`). */
  vsBaseline?: BaselineRatios;
}

export function toRows(measured: InterleavedResult[], concurrency: number): Row[] {
  const ceiling = measured.find((row) => row.name === CEILING_ROW)!.requestsPerSecond;
  const rows: Row[] = measured.map((row) => ({
    ...row,
    concurrency,
    ratio: row.requestsPerSecond / ceiling,
  }));
  for (const row of rows) {
    const baseline = rows.find((other) => other.name === row.name + BASELINE_SUFFIX);
    if (!baseline) continue;
    row.vsBaseline = {
      requestsPerSecond: row.requestsPerSecond / baseline.requestsPerSecond,
      requestsPerSecondByRound: row.roundRequestsPerSecond.map(
        (rate, round) => rate / baseline.roundRequestsPerSecond[round]!,
      ),
      clientCpuUs: row.clientCpuUs / baseline.clientCpuUs,
      serverCpuUs: row.serverCpuUs / baseline.serverCpuUs,
    };
  }
  return rows;
}
