/**
 * What the Go benchclient (conformance/go/cmd/benchclient) prints on stdout:
 *
 * - `READY gomaxprocs=N` once it has made one checked call;
 * - `DONE` after `warmup <ms>`;
 * - `SLICE {"requests":n,"errors":e,"seconds":s,"cpuUs":c,"rssBytes":r,"latencyUs":{"<µs>":count}}`
 *   after `slice <ms>`: the good calls, each one's latency counted per whole µs.
 */
import type { ExternalSlice } from '../load/load-generator.js';

export const READY_LINE = /^READY gomaxprocs=(\d+)\s*$/;
export const DONE_LINE = /^DONE\s*$/;
export const SLICE_LINE = /^SLICE (\{.*\})\s*$/;

/** Reads a `SLICE {json}` line; throws when it is not one, or its latencies do not add up. */
export function parseSliceLine(line: string): ExternalSlice {
  const json = SLICE_LINE.exec(line)?.[1];
  if (json === undefined) throw new Error(`not a SLICE line: ${line}`);
  const slice = JSON.parse(json) as Partial<ExternalSlice>;
  for (const key of ['requests', 'errors', 'seconds', 'cpuUs', 'rssBytes'] as const) {
    if (typeof slice[key] !== 'number') throw new Error(`SLICE without ${key}: ${line}`);
  }
  const latencyUs = slice.latencyUs ?? {};
  let counted = 0;
  for (const [micros, calls] of Object.entries(latencyUs)) {
    if (!/^\d+$/.test(micros) || !Number.isInteger(calls) || calls < 0) {
      throw new Error(`SLICE latency "${micros}":${calls} is not "<µs>":count`);
    }
    counted += calls;
  }
  // Every good call is in the histogram: the row's request count is taken from it.
  if (counted !== slice.requests) {
    throw new Error(`SLICE counts ${counted} latencies for ${slice.requests} requests`);
  }
  return { ...(slice as ExternalSlice), latencyUs };
}
