/**
 * A token bucket, as Go rpcx's rate limiting plugins use it (github.com/juju/ratelimit, spec
 * §3.14): it starts full with `capacity` tokens and gains `quantum` tokens (default 1) at each
 * whole `fillIntervalMs` since it was made, never more than `capacity`. Time comes from an
 * injected clock (milliseconds, monotonic; default `performance.now()`), so tests move it by hand.
 *
 *   const bucket = new TokenBucket({ fillIntervalMs: 100, capacity: 10 });
 *   bucket.tryTake();          // true while a token is there (juju's TakeAvailable(1) > 0)
 *   const waitMs = bucket.reserve(); // juju's Take(1): the token is taken now, usable in waitMs
 *
 * Shared by the server's connection and request limiters and the client's limiter.
 */
import { monotonicNow } from './deadline-queue.js';
import { ErrorCode, RpcxError } from './errors.js';

export interface TokenBucketOptions {
  /** A token (`quantum` tokens) is added at every whole interval (ms). Must be > 0. */
  readonly fillIntervalMs: number;
  /** The most tokens the bucket holds, and what it starts with. An integer > 0. */
  readonly capacity: number;
  /** Tokens added per interval. Default 1. */
  readonly quantum?: number;
  /** Monotonic milliseconds. Default `performance.now()`. */
  readonly clock?: () => number;
}

export class TokenBucket {
  readonly fillIntervalMs: number;
  readonly capacity: number;
  readonly quantum: number;
  private readonly clock: () => number;
  private readonly startTime: number;
  /** May go below zero: tokens reserved by `reserve` before they were added. */
  private tokens: number;
  private latestTick = 0;

  constructor(options: TokenBucketOptions) {
    const { fillIntervalMs, capacity, quantum = 1 } = options;
    if (!(fillIntervalMs > 0) || !Number.isFinite(fillIntervalMs)) {
      throw new RpcxError(ErrorCode.InvalidArgument, `token bucket: fillIntervalMs must be > 0`);
    }
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `token bucket: capacity must be an integer > 0`,
      );
    }
    if (!Number.isSafeInteger(quantum) || quantum <= 0) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        `token bucket: quantum must be an integer > 0`,
      );
    }
    this.fillIntervalMs = fillIntervalMs;
    this.capacity = capacity;
    this.quantum = quantum;
    this.clock = options.clock ?? monotonicNow;
    this.startTime = this.clock();
    this.tokens = capacity;
  }

  /** Tokens there now (negative while reservations wait for tokens). */
  get available(): number {
    this.refill(this.clock());
    return this.tokens;
  }

  /** Takes `count` tokens if they are all there now (juju's TakeAvailable, all or nothing). */
  tryTake(count = 1): boolean {
    this.refill(this.clock());
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }

  /**
   * Takes `count` tokens now, whether or not they are there yet (juju's Take), and returns how
   * long (ms) the caller must wait before using them: 0 when they were there. When the wait would
   * be longer than `maxWaitMs`, nothing is taken and -1 is returned (juju's TakeMaxDuration).
   */
  reserve(count = 1, maxWaitMs = Number.POSITIVE_INFINITY): number {
    const now = this.clock();
    const tick = this.refill(now);
    const left = this.tokens - count;
    if (left >= 0) {
      this.tokens = left;
      return 0;
    }
    const endTick = tick + Math.ceil(-left / this.quantum);
    const waitMs = this.startTime + endTick * this.fillIntervalMs - now;
    if (waitMs > maxWaitMs) return -1;
    this.tokens = left;
    return waitMs;
  }

  /** Adds the tokens of the ticks since the last look; returns the current tick. */
  private refill(now: number): number {
    const tick = Math.floor((now - this.startTime) / this.fillIntervalMs);
    const last = this.latestTick;
    if (tick <= last) return last; // a clock that stood still (or stepped back) adds nothing
    this.latestTick = tick;
    if (this.tokens < this.capacity) {
      this.tokens = Math.min(this.capacity, this.tokens + (tick - last) * this.quantum);
    }
    return tick;
  }
}
