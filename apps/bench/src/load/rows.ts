/**
 * The rows of the load table and their ratios: every row against the ceiling at the same
 * concurrency, each row that has a baseline twin against it (new ÷ baseline), and each XClient
 * row against its plain Client row (XClient ÷ Client).
 */
import { BASELINE_SUFFIX } from './baseline.js';
import type { InterleavedResult } from './interleave.js';

export const CEILING_ROW = 'raw TCP echo (ceiling)';

/** One row ÷ another, measured in the same interleaved run. */
export interface PairRatios {
  requestsPerSecond: number;
  /**
   * The req/s ratio of each round's pair of slices, run next to each other: their median and
   * range show whether a burst of load elsewhere on the machine skewed the whole-run ratio.
   */
  requestsPerSecondByRound: number[];
  clientCpuUs: number;
  serverCpuUs: number;
}

/** New ÷ baseline: req/s above 1 and CPU µs below 1 mean the new code does better. */
export type BaselineRatios = PairRatios;

/**
 * An XClient row ÷ the plain Client row offered the same servers and connections (`reference`):
 * `Client ×3 (round robin)` for the ×3 rows, the one-server row of the same call (`rpcx Say
 * (protobuf)` by default) for `XClient RoundRobin ×1`.
 */
export interface ClientRatios extends PairRatios {
  reference: string;
}

export interface Row extends InterleavedResult {
  concurrency: number;
  /** req/s ÷ the ceiling's req/s. */
  ratio: number;
  /** Only on a row measured beside a baseline twin (`<name> [baseline]`). */
  vsBaseline?: BaselineRatios;
  /** Only on an XClient row measured beside its plain Client row. */
  vsClient?: ClientRatios;
}

/** `references`: each XClient row's plain Client row (governance-loads.ts `xclientReferences`). */
export function toRows(
  measured: InterleavedResult[],
  concurrency: number,
  references: ReadonlyMap<string, string> = new Map(),
): Row[] {
  const ceiling = measured.find((row) => row.name === CEILING_ROW)!.requestsPerSecond;
  const rows: Row[] = measured.map((row) => ({
    ...row,
    concurrency,
    ratio: row.requestsPerSecond / ceiling,
  }));
  const named = (name: string) => rows.find((other) => other.name === name);
  for (const row of rows) {
    const baseline = named(row.name + BASELINE_SUFFIX);
    if (baseline) row.vsBaseline = pairRatios(row, baseline);
  }
  for (const row of rows) {
    const referenceName = references.get(row.name);
    const reference = referenceName === undefined ? undefined : named(referenceName);
    if (reference) row.vsClient = { reference: reference.name, ...pairRatios(row, reference) };
  }
  return rows;
}

/** `row` ÷ `other`: req/s, req/s of each round, client and server CPU µs per request. */
export function pairRatios(row: InterleavedResult, other: InterleavedResult): PairRatios {
  return {
    requestsPerSecond: row.requestsPerSecond / other.requestsPerSecond,
    requestsPerSecondByRound: row.roundRequestsPerSecond.map(
      (rate, round) => rate / other.roundRequestsPerSecond[round]!,
    ),
    clientCpuUs: row.clientCpuUs / other.clientCpuUs,
    serverCpuUs: row.serverCpuUs / other.serverCpuUs,
  };
}
