/**
 * Exponential backoff between failed dials: `initialDelayMs`, times `multiplier` after each
 * further failure, capped at `maxDelayMs`, each delay spread by ±`jitter` so that many clients
 * of one restarted server do not dial in lock-step.
 */

export interface ReconnectOptions {
  /** Delay after the first failed dial. Default 100 ms. */
  initialDelayMs?: number;
  /** Upper bound of the delay. Default 5000 ms. */
  maxDelayMs?: number;
  /** Growth per failed dial. Default 2. */
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

  constructor(options: ReconnectOptions = {}, random: () => number = Math.random) {
    this.initialDelayMs = Math.max(0, options.initialDelayMs ?? 100);
    this.maxDelayMs = Math.max(this.initialDelayMs, options.maxDelayMs ?? 5_000);
    this.multiplier = Math.max(1, options.multiplier ?? 2);
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.2));
    this.random = random;
  }

  /** Failed dials since the last success. */
  get attempts(): number {
    return this.failures;
  }

  /** Records a failed dial; returns how long to wait before the next one (ms). */
  fail(): number {
    const exponent = this.failures;
    this.failures++;
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * this.multiplier ** exponent);
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(base + spread));
  }

  /** Records a successful dial: the next failure starts over at `initialDelayMs`. */
  reset(): void {
    this.failures = 0;
  }
}
