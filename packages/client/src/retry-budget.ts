/**
 * A retry budget (beyond Go rpcx, as Finagle's RetryBudget and gRPC's retry throttling): retries
 * may add at most `ratio` of the calls made over the last `windowMs`, plus a small floor so a
 * quiet client can still retry. When a cluster is failing, clients then add a fifth to its load
 * instead of multiplying it by the retry count.
 */
import { monotonicNow } from '@rpcx/core';

export interface RetryBudgetOptions {
  /** Retries allowed per call made in the window. Default 0.2. */
  ratio?: number;
  /** The window (ms). Default 10 000. */
  windowMs?: number;
  /** Retries allowed per second of window whatever the traffic. Default 10. */
  minRetriesPerSecond?: number;
  /** Monotonic clock (ms); default `performance.now()`. */
  now?: () => number;
}

/** Counts per tenth of the window, so old traffic leaves the budget gradually. */
const SLOTS = 10;
/** Calls between two clock reads when counting calls. */
const CLOCK_EVERY = 16;

export class RetryBudget {
  private readonly calls = new Float64Array(SLOTS);
  private readonly retries = new Float64Array(SLOTS);
  private slot = 0;
  private sinceClock = CLOCK_EVERY;
  private slotStart: number;
  private readonly slotMs: number;
  private readonly ratio: number;
  private readonly floor: number;
  private readonly now: () => number;

  constructor(options: RetryBudgetOptions = {}) {
    const windowMs = Math.max(SLOTS, options.windowMs ?? 10_000);
    this.slotMs = windowMs / SLOTS;
    this.ratio = Math.max(0, options.ratio ?? 0.2);
    this.floor = Math.max(0, options.minRetriesPerSecond ?? 10) * (windowMs / 1000);
    this.now = options.now ?? monotonicNow;
    this.slotStart = this.now();
  }

  /**
   * A call was made. The clock is read every `CLOCK_EVERY` calls, not per call: a few calls may
   * count in the slot before theirs, which a window of ten slots does not notice.
   */
  deposit(): void {
    if (++this.sinceClock >= CLOCK_EVERY) {
      this.sinceClock = 0;
      this.advance();
    }
    this.calls[this.slot]!++;
  }

  /** Takes one retry from the budget; false when it is spent. */
  tryRetry(): boolean {
    this.advance();
    let calls = 0;
    let retries = 0;
    for (let i = 0; i < SLOTS; i++) {
      calls += this.calls[i]!;
      retries += this.retries[i]!;
    }
    if (retries >= this.floor + this.ratio * calls) return false;
    this.retries[this.slot]!++;
    return true;
  }

  private advance(): void {
    const now = this.now();
    let steps = Math.floor((now - this.slotStart) / this.slotMs);
    if (steps <= 0) return;
    this.slotStart += steps * this.slotMs;
    if (steps > SLOTS) steps = SLOTS;
    for (let i = 0; i < steps; i++) {
      this.slot = (this.slot + 1) % SLOTS;
      this.calls[this.slot] = 0;
      this.retries[this.slot] = 0;
    }
  }
}
