/**
 * A closed-loop load generator: `concurrency` callers each issue a call, wait for it, and issue
 * the next, for a fixed time. Every latency is counted (to the µs), so percentiles are not sampled.
 *
 * A row is measured in slices (`measureSlice`) that add up in its `LoadRecorder`; the load runs
 * interleave the slices of the rows they compare, so a machine that slows down for a while
 * slows all of them alike instead of whichever row happened to run then. A row's load comes
 * either from this process (`call`) or from a load generator in another process (`external`: a
 * Go client), which runs its own closed loop and reports each slice.
 */

import { LatencyLog } from './latency-log.js';

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** CPU time per request of the client process, µs. */
  clientCpuUs: number;
  /** CPU time per request of the server process, µs (NaN when not measured). */
  serverCpuUs: number;
  /** RSS of the client process after the row's last slice (NaN when not measured). */
  clientRssBytes: number;
  /** RSS of the server process after the row's last slice (NaN when not measured). */
  serverRssBytes: number;
}

/** One slice of a load generator in another process, as it reports it. */
export interface ExternalSlice {
  /** Good calls. */
  requests: number;
  errors: number;
  seconds: number;
  /** The process's CPU time during the slice. */
  cpuUs: number;
  /** Its RSS at the end of the slice. */
  rssBytes: number;
  /** Every good call's latency: count per whole µs (`{"<µs>": count}`). */
  latencyUs: Record<string, number>;
}

/** A load generator in another process: it keeps its own calls in flight. */
export interface ExternalLoad {
  warmUp(durationMs: number): Promise<void>;
  slice(durationMs: number): Promise<ExternalSlice>;
}

/** Where a row's calls come from. */
export type LoadSource = { call: () => Promise<unknown> } | { external: ExternalLoad };

export type WarmUpOptions = LoadSource & { concurrency: number; durationMs: number };

export type SliceOptions = WarmUpOptions & {
  /** The server process's CPU time so far (µs), to charge CPU per request to each side. */
  serverCpu?: () => Promise<number>;
  /** The server process's RSS, asked after the slice. */
  serverRss?: () => Promise<number>;
};

/** What the slices of one row add up to. */
export class LoadRecorder {
  readonly latencies = new LatencyLog();
  errors = 0;
  seconds = 0;
  clientCpuMicros = 0;
  serverCpuMicros = 0;
  clientRssBytes = Number.NaN;
  serverRssBytes = Number.NaN;

  result(): LoadResult {
    const requests = this.latencies.count;
    return {
      requests,
      errors: this.errors,
      seconds: this.seconds,
      requestsPerSecond: requests / this.seconds,
      p50Ms: this.latencies.percentile(0.5),
      p99Ms: this.latencies.percentile(0.99),
      p999Ms: this.latencies.percentile(0.999),
      clientCpuUs: this.clientCpuMicros / requests,
      serverCpuUs: this.serverCpuMicros / requests,
      clientRssBytes: this.clientRssBytes,
      serverRssBytes: this.serverRssBytes,
    };
  }

  /** Adds a slice that another process ran and reported. */
  addExternal(slice: ExternalSlice): void {
    for (const [micros, calls] of Object.entries(slice.latencyUs)) {
      this.latencies.addCount(Number(micros), calls);
    }
    this.errors += slice.errors;
    this.seconds += slice.seconds;
    this.clientCpuMicros += slice.cpuUs;
    this.clientRssBytes = slice.rssBytes;
  }
}

/** Calls for `durationMs` without recording anything: JIT, connection and buffers warm up. */
export async function warmUp(options: WarmUpOptions): Promise<void> {
  if ('external' in options) return options.external.warmUp(options.durationMs);
  await drive(options.concurrency, options.durationMs, options.call, undefined);
}

/** Runs one slice of load and adds it to `recorder`. */
export async function measureSlice(options: SliceOptions, recorder: LoadRecorder): Promise<void> {
  const serverCpuBefore = (await options.serverCpu?.()) ?? Number.NaN;
  if ('external' in options) {
    recorder.addExternal(await options.external.slice(options.durationMs));
  } else {
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
    recorder.clientRssBytes = process.memoryUsage.rss();
  }
  const serverCpuAfter = (await options.serverCpu?.()) ?? Number.NaN;
  recorder.serverCpuMicros += serverCpuAfter - serverCpuBefore;
  if (options.serverRss) recorder.serverRssBytes = await options.serverRss();
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
