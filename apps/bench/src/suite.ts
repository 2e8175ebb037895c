/**
 * What a benchmark suite is: a named set of tasks, built only when the suite is selected (setup
 * can be costly), with a few lines of context printed above its results.
 *
 * Operations that take a microsecond or less are too short to time one by one (a timer read is
 * tens of nanoseconds), so a task runs `opsPerRun` operations per tinybench iteration and every
 * sample records the mean time of one operation (see runner.ts).
 */

export interface BenchTask {
  name: string;
  /** What one operation is, for the rate column: `op` gives ops/s, `frame` gives frames/s. */
  unit: string;
  /** Operations performed by one call of `run`. */
  opsPerRun: number;
  run(): void;
  /** Called once after the timed runs; throws if the task did not do what it should. */
  verify?(): void;
  /** Another task of the suite that this one is compared with: the table prints the rate ratio. */
  reference?: string;
}

export interface Suite {
  /** Lines of context: payload sizes, chunking. */
  notes: string[];
  tasks: BenchTask[];
}

export interface SuiteDefinition {
  /** The name selected on the command line. */
  name: string;
  title: string;
  create(): Suite;
}

let sinkValue = 0;

/** Keeps a result alive so that the work producing it cannot be optimised away. */
export function sink(value: number): void {
  sinkValue = (sinkValue + value) | 0;
}

/** The accumulated sink; printed nowhere, read so that it is observable. */
export function sinkResult(): number {
  return sinkValue;
}

/** Throws unless `condition` holds: suites check their workload before timing it. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`bench setup: ${message}`);
}
