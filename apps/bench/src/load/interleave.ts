/**
 * Interleaved measurement: every load warms up, then each gets one slice per round, in turn. The
 * rows share the machine's good and bad moments, which is what makes their ratios meaningful on
 * a noisy machine.
 */
import {
  LoadRecorder,
  type LoadResult,
  type LoadSource,
  measureSlice,
  warmUp,
} from './load-generator.js';

/** One row of the table: where its calls come from and which server answers them. */
export type Load = LoadSource & {
  name: string;
  serverCpu: () => Promise<number>;
  /** The server's RSS, read after each slice (optional: the load run leaves it out). */
  serverRss?: () => Promise<number>;
};

export interface InterleavePlan {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  rounds: number;
}

/** A row's result, with its req/s in each round (slices of one round ran next to each other). */
export interface InterleavedResult extends LoadResult {
  name: string;
  roundRequestsPerSecond: number[];
}

export async function measureInterleaved(
  loads: Load[],
  plan: InterleavePlan,
): Promise<InterleavedResult[]> {
  const { concurrency, rounds } = plan;
  for (const load of loads) {
    await warmUp({ ...load, concurrency, durationMs: plan.warmupMs });
  }
  const recorders = loads.map(() => new LoadRecorder());
  const roundRates: number[][] = loads.map(() => []);
  const sliceMs = plan.durationMs / rounds;
  for (let round = 0; round < rounds; round++) {
    // Every other round runs backwards: a slice that pays for the garbage or the slowdown its
    // predecessor left is not always the same row's (the clients share one process).
    const order = round % 2 === 0 ? [...loads.keys()] : [...loads.keys()].reverse();
    for (const i of order) {
      const load = loads[i]!;
      const recorder = recorders[i]!;
      const [requests, seconds] = [recorder.latencies.count, recorder.seconds];
      await measureSlice({ ...load, concurrency, durationMs: sliceMs }, recorder);
      roundRates[i]!.push((recorder.latencies.count - requests) / (recorder.seconds - seconds));
    }
  }
  return loads.map((load, i) => ({
    name: load.name,
    ...recorders[i]!.result(),
    roundRequestsPerSecond: roundRates[i]!,
  }));
}
