/**
 * Runs one suite with tinybench. Each tinybench iteration calls a task's `run` once, which does
 * `opsPerRun` operations; the iteration reports the mean duration of one operation as its sample
 * (`overriddenDuration`) and the whole duration as its cost against the time budget
 * (`overriddenIterationCost`). Latency statistics are therefore per operation (per frame for the
 * frame decoder) and are not skewed by the cost of reading the clock.
 */
import { Bench, type FnReturnedObject, type Statistics } from 'tinybench';
import type { BenchTask, SuiteDefinition } from './suite.js';

export interface RunOptions {
  /** Time budget per task, in milliseconds. */
  time: number;
  /** Warmup budget per task, in milliseconds. */
  warmupTime: number;
}

export interface TaskReport {
  name: string;
  unit: string;
  opsPerRun: number;
  /** Operations per second over the whole measured time: 1 s / mean latency. */
  opsPerSecond: number;
  /** Mean latency of one operation, in nanoseconds. */
  meanNs: number;
  /** Relative margin of error of the mean (95 %), in percent. */
  rme: number;
  /** Samples taken (tinybench iterations, each of `opsPerRun` operations). */
  samples: number;
  /** tinybench's latency statistics, in milliseconds per operation. */
  latency: Statistics;
  /** tinybench's throughput statistics, in operations per second. */
  throughput: Statistics;
  /**
   * With a reference task: its name, and this task's rate ÷ its rate, measured apart from the
   * rows (see `interleavedRatio`): the median over `rounds` rounds.
   */
  reference?: { task: string; ratio: number; rounds: number };
}

export interface SuiteReport {
  name: string;
  title: string;
  notes: string[];
  tasks: TaskReport[];
}

export async function runSuite(
  definition: SuiteDefinition,
  options: RunOptions,
): Promise<SuiteReport> {
  const suite = definition.create();
  const bench = new Bench({
    name: definition.name,
    time: options.time,
    warmupTime: options.warmupTime,
    throws: true,
  });
  for (const task of suite.tasks) {
    bench.add(task.name, (): FnReturnedObject => {
      const start = bench.now();
      task.run();
      const elapsed = bench.now() - start;
      return { overriddenDuration: elapsed / task.opsPerRun, overriddenIterationCost: elapsed };
    });
  }
  await bench.run();

  const tasks = suite.tasks.map((task): TaskReport => {
    task.verify?.();
    const result = bench.getTask(task.name)?.result;
    if (result === undefined || result.state !== 'completed') {
      const reason = result?.state === 'errored' ? `: ${result.error.message}` : '';
      throw new Error(`${definition.name} / ${task.name} did not complete${reason}`);
    }
    const { latency, throughput } = result;
    return {
      name: task.name,
      unit: task.unit,
      opsPerRun: task.opsPerRun,
      opsPerSecond: latency.mean > 0 ? 1000 / latency.mean : 0,
      meanNs: latency.mean * 1e6,
      rme: latency.rme,
      samples: latency.samplesCount,
      latency,
      throughput,
    };
  });
  for (const [i, task] of suite.tasks.entries()) {
    if (task.reference === undefined) continue;
    const reference = suite.tasks.find((candidate) => candidate.name === task.reference);
    if (reference === undefined) {
      throw new Error(`${definition.name} / ${task.name}: no reference task "${task.reference}"`);
    }
    tasks[i]!.reference = { task: reference.name, ...interleavedRatio(task, reference, options) };
  }
  return { name: definition.name, title: definition.title, notes: suite.notes, tasks };
}

/**
 * `task`'s rate ÷ `reference`'s, from runs of the two in turn (one `run` each per round, which
 * goes first alternating) for about the time budget of a task: the median of the rounds'
 * ratios. Two runs next to each other see the machine alike, so on a busy machine this holds
 * steady where the ratio of two rows timed one after the other, a second apart, does not.
 */
function interleavedRatio(
  task: BenchTask,
  reference: BenchTask,
  options: RunOptions,
): { ratio: number; rounds: number } {
  const timeOne = (which: BenchTask) => {
    const start = performance.now();
    which.run();
    return (performance.now() - start) / which.opsPerRun;
  };
  const ratios: number[] = [];
  const end = performance.now() + options.time;
  while (ratios.length < MIN_ROUNDS || performance.now() < end) {
    const referenceFirst = ratios.length % 2 === 0;
    const first = timeOne(referenceFirst ? reference : task);
    const second = timeOne(referenceFirst ? task : reference);
    ratios.push(referenceFirst ? first / second : second / first);
  }
  ratios.sort((a, b) => a - b);
  return { ratio: ratios[ratios.length >> 1]!, rounds: ratios.length };
}

const MIN_ROUNDS = 20;
