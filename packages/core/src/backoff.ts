/**
 * Exponential backoff between failed attempts (a client's dials, a registry's reconnects):
 * `initialDelayMs`, times `multiplier` after each further failure, capped at `maxDelayMs`, each
 * delay spread by ±`jitter` so that many clients of one restarted server do not come back in
 * lock-step. The owner makes one attempt at a time; this only says how long to wait.
 */

export interface BackoffOptions {
  /** Delay after the first failure. Default 100 ms. */
  initialDelayMs?: number;
  /** Upper bound of the delay. Default 5000 ms. */
  maxDelayMs?: number;
  /** Growth per further failure. Default 2. */
  multiplier?: number;
  /** Relative spread, 0..1: a delay `d` becomes a random value in `d·(1 ± jitter)`. Default 0.2. */
  jitter?: number;
}

export class Backoff {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.initialDelayMs = Math.max(0, options.initialDelayMs ?? 100);
    this.maxDelayMs = Math.max(this.initialDelayMs, options.maxDelayMs ?? 5_000);
    this.multiplier = Math.max(1, options.multiplier ?? 2);
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
    this.random = random;
  }

  /** Failures since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failure; returns how long to wait before the next attempt (ms). */
  fail(): number {
    const exponent = this.failures;
    this.failures++;
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * this.multiplier ** exponent);
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(base + spread));
  }

  /** Records a success: the next failure starts over at `initialDelayMs`. */
  reset(): void {
    this.failures = 0;
  }
}
