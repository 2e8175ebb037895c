/**
 * A closed-loop load generator: `concurrency` callers each issue a call, wait for it, and issue
 * the next, for a fixed time. Every latency is counted (to the µs), so p50/p99 are not sampled.
 *
 * A row is measured in slices (`measureSlice`) that add up in its `LoadRecorder`; the load run
 * interleaves the slices of the rows it compares, so a machine that slows down for a while
 * slows all of them alike instead of whichever row happened to run then.
 */

import { LatencyLog } from './latency-log.js';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time per request of this process (the client), µs. */
  clientCpuUs: number;
  /** CPU time per request of the server process, µs (NaN when not measured). */
  serverCpuUs: number;
}

export interface SliceOptions {
  concurrency: number;
  durationMs: number;
  call: () => Promise<unknown>;
  /** The server process's CPU time so far (µs), to charge CPU per request to each side. */
  serverCpu?: () => Promise<number>;
}

/** What the slices of one row add up to. */
export class LoadRecorder {
  readonly latencies = new LatencyLog();
  errors = 0;
  seconds = 0;
  clientCpuMicros = 0;
  serverCpuMicros = 0;

  result(): LoadResult {
    const requests = this.latencies.count;
    return {
      requests,
      errors: this.errors,
      seconds: this.seconds,
      requestsPerSecond: requests / this.seconds,
      p50Ms: this.latencies.percentile(0.5),
      p99Ms: this.latencies.percentile(0.99),
      clientCpuUs: this.clientCpuMicros / requests,
      serverCpuUs: this.serverCpuMicros / requests,
    };
  }
}

/** Calls for `durationMs` without recording anything: JIT, connection and buffers warm up. */
export async function warmUp(options: Omit<SliceOptions, 'serverCpu'>): Promise<void> {
  await drive(options.concurrency, options.durationMs, options.call, undefined);
}

/** Runs one slice of load and adds it to `recorder`. */
export async function measureSlice(options: SliceOptions, recorder: LoadRecorder): Promise<void> {
  const serverCpuBefore = (await options.serverCpu?.()) ?? Number.NaN;
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  recorder.errors += await drive(
    options.concurrency,
    options.durationMs,
    options.call,
    recorder.latencies,
  );
  recorder.seconds += (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  recorder.clientCpuMicros += clientCpu.user + clientCpu.system;
  const serverCpuAfter = (await options.serverCpu?.()) ?? Number.NaN;
  recorder.serverCpuMicros += serverCpuAfter - serverCpuBefore;
}

async function drive(
  concurrency: number,
  durationMs: number,
  call: () => Promise<unknown>,
  latencies: LatencyLog | undefined,
): Promise<number> {
  const end = performance.now() + durationMs;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const start = performance.now();
      try {
        await call();
        latencies?.add(performance.now() - start);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return errors;
}
