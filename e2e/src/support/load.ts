/**
 * Load for the fault tests: `concurrency` callers, each making one call after another, for at
 * most `maxCalls` calls in all (a bound, not a duration). The test steers by what has happened
 * (`waitFor(() => load.completed >= 500)`), kills servers meanwhile, then `stop()`s it.
 */
import { performance } from 'node:perf_hooks';
import { asRpcxError, ErrorCode, type RpcxError } from '@rpcx/core';

export interface CallRecord {
  /** The order the call was started in (0-based). */
  readonly index: number;
  /** `performance.now()` at the start and the end. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly value?: unknown;
  readonly error?: RpcxError;
}

export interface LoadOptions {
  concurrency: number;
  /** No more calls than this (the test stops the load earlier). */
  maxCalls: number;
}

export class Load {
  /** Every call that has settled, in the order they settled. */
  readonly records: CallRecord[] = [];
  started = 0;
  failed = 0;
  /** Resolves with the records once the load stopped and every call has settled. */
  readonly done: Promise<CallRecord[]>;
  private stopped = false;
  private finished = false;
  private readonly answers = new Map<unknown, number>();
  /** Pending `waitFor`s: each returns true once it has settled. */
  private waiters: (() => boolean)[] = [];

  constructor(
    private readonly call: (index: number) => Promise<unknown>,
    private readonly options: LoadOptions,
  ) {
    const callers = Array.from({ length: options.concurrency }, () => this.caller());
    this.done = Promise.all(callers).then(() => {
      this.finished = true;
      this.wake();
      return this.records;
    });
  }

  get completed(): number {
    return this.records.length;
  }

  /** No new calls; the ones under way finish (see `done`). */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Resolves once `condition` holds (checked after every call); rejects with `what` if the load
   * ends first.
   */
  waitFor(condition: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (condition()) resolve();
        else if (this.finished)
          reject(new Error(`the load ended (${this.started} calls) before ${what}`));
        else return false;
        return true;
      };
      if (!check()) this.waiters.push(check);
    });
  }

  /** How many calls answered `value` so far. */
  answered(value: unknown): number {
    return this.answers.get(value) ?? 0;
  }

  private async caller(): Promise<void> {
    while (!this.stopped && this.started < this.options.maxCalls) {
      const index = this.started++;
      const startedAt = performance.now();
      let record: CallRecord;
      try {
        const value = await this.call(index);
        record = { index, startedAt, endedAt: performance.now(), value };
        this.answers.set(value, (this.answers.get(value) ?? 0) + 1);
      } catch (error) {
        this.failed++;
        const failure = asRpcxError(error, ErrorCode.Internal);
        record = { index, startedAt, endedAt: performance.now(), error: failure };
      }
      this.records.push(record);
      this.wake();
    }
  }

  private wake(): void {
    if (this.waiters.length > 0) this.waiters = this.waiters.filter((check) => !check());
  }
}

/** Latency of a record (ms). */
export const latencyOf = (record: CallRecord): number => record.endedAt - record.startedAt;

/** The `p`-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Calls made, failed (by error code), the answers by value and the latency percentiles. */
export function summary(records: readonly CallRecord[]): {
  calls: number;
  failed: number;
  failures: Record<string, number>;
  answers: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
} {
  const failures: Record<string, number> = {};
  const answers: Record<string, number> = {};
  for (const record of records) {
    if (record.error !== undefined) {
      failures[record.error.code] = (failures[record.error.code] ?? 0) + 1;
    } else if (typeof record.value === 'string') {
      answers[record.value] = (answers[record.value] ?? 0) + 1;
    }
  }
  const latencies = records.map(latencyOf);
  return {
    calls: records.length,
    failed: records.filter((record) => record.error !== undefined).length,
    failures,
    answers,
    p50: round(percentile(latencies, 50)),
    p99: round(percentile(latencies, 99)),
    max: round(Math.max(...latencies)),
  };
}

/** One line per scenario in the jest output: `[e2e] <scenario> calls=… failed=… …`. */
export function report(scenario: string, facts: Record<string, unknown>): void {
  const text = Object.entries(facts)
    .map(([key, value]) => `${key}=${typeof value === 'object' ? JSON.stringify(value) : value}`)
    .join(' ');
  // biome-ignore lint/suspicious/noConsole: the e2e specs print what they measured
  console.log(`[e2e] ${scenario}: ${text}`);
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
