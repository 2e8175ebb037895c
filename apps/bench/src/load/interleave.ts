/**
 * Interleaved measurement: every load warms up, then each gets one slice per round, in turn. The
 * rows share the machine's good and bad moments, which is what makes their ratios meaningful on
 * a noisy machine.
 */
import { LoadRecorder, type LoadResult, measureSlice, warmUp } from './load-generator.js';

/** One row of the table: what to call and which server answers. */
export interface Load {
  name: string;
  call: () => Promise<unknown>;
  serverCpu: () => Promise<number>;
}

export interface InterleavePlan {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  rounds: number;
}

export async function measureInterleaved(
  loads: Load[],
  plan: InterleavePlan,
): Promise<Array<LoadResult & { name: string }>> {
  const { concurrency, rounds } = plan;
  for (const load of loads) {
    await warmUp({ concurrency, durationMs: plan.warmupMs, call: load.call });
  }
  const recorders = loads.map(() => new LoadRecorder());
  const sliceMs = plan.durationMs / rounds;
  for (let round = 0; round < rounds; round++) {
    // Every other round runs backwards: a slice that pays for the garbage or the slowdown its
    // predecessor left is not always the same row's (the clients share one process).
    const order = round % 2 === 0 ? [...loads.keys()] : [...loads.keys()].reverse();
    for (const i of order) {
      const load = loads[i]!;
      const slice = {
        concurrency,
        durationMs: sliceMs,
        call: load.call,
        serverCpu: load.serverCpu,
      };
      await measureSlice(slice, recorders[i]!);
    }
  }
  return loads.map((load, i) => ({ name: load.name, ...recorders[i]!.result() }));
}
