/**
 * A closed-loop load generator: `concurrency` callers each issue a call, wait for it, and issue
 * the next, for a fixed time. Every latency is recorded, so p50/p99 are exact, not sampled.
 */

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

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  /** Calls made before measuring, to warm up the JIT and the connection. */
  warmupMs: number;
  call: () => Promise<unknown>;
  /** The server process's CPU time so far (µs), to charge CPU per request to each side. */
  serverCpu?: () => Promise<number>;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  await drive(options.concurrency, options.warmupMs, options.call, undefined);
  const latencies = new LatencyLog();
  const serverCpuBefore = (await options.serverCpu?.()) ?? Number.NaN;
  const clientCpuBefore = process.cpuUsage();
  const started = performance.now();
  const errors = await drive(options.concurrency, options.durationMs, options.call, latencies);
  const seconds = (performance.now() - started) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const serverCpuAfter = (await options.serverCpu?.()) ?? Number.NaN;
  return {
    clientCpuUs: (clientCpu.user + clientCpu.system) / latencies.count,
    serverCpuUs: (serverCpuAfter - serverCpuBefore) / latencies.count,
    requests: latencies.count,
    errors,
    seconds,
    requestsPerSecond: latencies.count / seconds,
    p50Ms: latencies.percentile(0.5),
    p99Ms: latencies.percentile(0.99),
  };
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

class LatencyLog {
  private values = new Float64Array(1 << 16);
  count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const sorted = this.values.subarray(0, this.count).sort();
    return sorted[Math.min(this.count - 1, Math.floor(p * this.count))]!;
  }
}
