/**
 * Per-server circuit breakers. Go rpcx counts only dial failures and has no half-open state
 * (spec §4.8); here every call's outcome counts, and an open breaker lets one probe through after
 * `openMs` — its success closes the breaker, its failure opens it again. Each transition is
 * published on `diagnostics.BreakerState` while someone listens; a breaker of your own publishes
 * its transitions there itself.
 */
import {
  type BreakerStateMessage,
  type BreakerStateName,
  diagnostics,
  monotonicNow,
} from '@rpcx/core';

export type BreakerState = BreakerStateName;

/** A breaker for one server; make your own for other policies (rates, sliding windows). */
export interface CircuitBreaker {
  /** Whether a call may go to the server now; a half-open breaker admits one probe at a time. */
  allow(): boolean;
  /** A call through the breaker got an answer (a reply or a service error). */
  success(): void;
  /** A call through the breaker failed on the network, the connection or its deadline. */
  failure(): void;
  readonly state: BreakerState;
}

/** Makes the breaker of one server (`network@address`). */
export type BreakerFactory = (serverKey: string) => CircuitBreaker;

export interface ConsecutiveBreakerOptions {
  /** Consecutive failures that open the breaker. Default 5. */
  failureThreshold?: number;
  /** How long it stays open before a probe is let through (ms). Default 5000. */
  openMs?: number;
  /** Monotonic clock (ms); default `performance.now()`. */
  now?: () => number;
  /**
   * The server it guards, as its `BreakerState` diagnostics events name it. The XClient's
   * default breakers get their server's key; set it in a factory of your own:
   * `breaker: (key) => new ConsecutiveBreaker({ openMs: 1_000, serverAddress: key })`.
   */
  serverAddress?: string;
}

/** Go's `ConsecCircuitBreaker` with a half-open probe. */
export class ConsecutiveBreaker implements CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private probeAt = 0;
  private current: BreakerState = 'closed';
  private readonly threshold: number;
  private readonly openMs: number;
  private readonly now: () => number;
  private readonly serverAddress: string;

  constructor(options: ConsecutiveBreakerOptions = {}) {
    this.threshold = Math.max(1, options.failureThreshold ?? 5);
    this.openMs = Math.max(0, options.openMs ?? 5_000);
    this.now = options.now ?? monotonicNow;
    this.serverAddress = options.serverAddress ?? '';
  }

  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.openMs) return 'half-open';
    return this.current;
  }

  allow(): boolean {
    if (this.current === 'closed') return true;
    const now = this.now();
    if (this.current === 'open') {
      if (now - this.openedAt < this.openMs) return false;
      this.moveTo('half-open');
    }
    // Half-open: one probe; a probe that never reports (canceled) is replaced after openMs.
    if (this.probing && now - this.probeAt < this.openMs) return false;
    this.probing = true;
    this.probeAt = now;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    if (this.current !== 'closed') this.moveTo('closed');
  }

  failure(): void {
    this.failures++;
    this.probing = false;
    if (this.current === 'half-open' || this.failures >= this.threshold) {
      this.openedAt = this.now();
      this.moveTo('open');
    }
  }

  /** Changes state; a change is published while someone listens. */
  private moveTo(to: BreakerState): void {
    const from = this.current;
    this.current = to;
    if (from !== to && diagnostics.BreakerState.hasSubscribers) {
      const message: BreakerStateMessage = { serverAddress: this.serverAddress, from, to };
      diagnostics.BreakerState.publish(message);
    }
  }
}
