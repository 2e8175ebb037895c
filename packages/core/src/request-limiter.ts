/**
 * A request limiter: a token bucket (token-bucket.ts) plus what happens when it is empty — Go's
 * `ReqRateLimitingPlugin(fillInterval, capacity, block)` (spec §3.14). Without `block` a request
 * with no token is refused with Go's `request reached rate limit`; with `block` it waits for its
 * token (reserved in arrival order, so waiters go first come, first served) without holding the
 * event loop: `acquire` returns a promise that one timer resolves when the token is due.
 *
 * Go's `Wait` has no bound. Here the wait is bounded twice, so a flood cannot pile up memory or
 * latency without end: at most `maxWaiting` requests wait at once (default 1000), and a request
 * whose token would come later than `maxWaitMs` (default: no bound) is refused at once instead;
 * a refused request takes no token.
 */
import { monotonicNow } from './deadline-queue.js';
import { ErrorCode, RpcxError, rateLimited } from './errors.js';
import { TokenBucket } from './token-bucket.js';

export interface RateLimit {
  /** One token is added every `fillIntervalMs` (Go's `fillInterval`). */
  readonly fillIntervalMs: number;
  /** Burst: the most tokens the bucket holds; it starts full (Go's `capacity`). */
  readonly capacity: number;
  /** Wait for a token instead of refusing (Go's `block`). Default false. */
  readonly block?: boolean;
  /** With `block`: how many requests may wait at once; more are refused. Default 1000. */
  readonly maxWaiting?: number;
  /** With `block`: the longest wait (ms) accepted; a longer one is refused. Default no bound. */
  readonly maxWaitMs?: number;
}

export const DEFAULT_MAX_WAITING = 1000;

interface Waiter {
  /** Clock time at which its token is due. */
  readonly at: number;
  readonly wake: () => void;
}

export class RequestLimiter {
  readonly bucket: TokenBucket;
  private readonly block: boolean;
  private readonly maxWaiting: number;
  private readonly maxWaitMs: number;
  private readonly clock: () => number;
  /** Due times never decrease (tokens are reserved in order): the head is due first. */
  private readonly queue: Waiter[] = [];
  private head = 0;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(limit: RateLimit, clock: () => number = monotonicNow) {
    this.clock = clock;
    this.bucket = new TokenBucket({
      fillIntervalMs: limit.fillIntervalMs,
      capacity: limit.capacity,
      clock,
    });
    this.block = limit.block ?? false;
    this.maxWaiting = limit.maxWaiting ?? DEFAULT_MAX_WAITING;
    this.maxWaitMs = limit.maxWaitMs ?? Number.POSITIVE_INFINITY;
    if (!Number.isSafeInteger(this.maxWaiting) || this.maxWaiting < 0) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        'rate limit: maxWaiting must be an integer >= 0',
      );
    }
  }

  /** Requests waiting for their token now. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /**
   * Takes a token: `undefined` when the request may go on now, a promise that resolves when its
   * token is due (`block`), or throws Go's `request reached rate limit` (`RateLimited`).
   * `maxWaitMs` narrows the limit's own bound for this request (a call's deadline).
   */
  acquire(maxWaitMs = this.maxWaitMs): Promise<void> | undefined {
    if (!this.block) {
      if (this.bucket.tryTake()) return undefined;
      throw rateLimited();
    }
    if (this.waiting >= this.maxWaiting) {
      // The queue is full: only a token that is there now (none is while others wait).
      if (this.bucket.tryTake()) return undefined;
      throw rateLimited();
    }
    const waitMs = this.bucket.reserve(1, Math.min(maxWaitMs, this.maxWaitMs));
    if (waitMs === 0) return undefined;
    if (waitMs < 0) throw rateLimited();
    const at = this.clock() + waitMs;
    return new Promise<void>((wake) => {
      this.queue.push({ at, wake });
      if (this.timer === undefined) this.arm();
    });
  }

  /** Wakes every waiter whose token is due, then waits for the next one. */
  private readonly release = (): void => {
    this.timer = undefined;
    const now = this.clock();
    const queue = this.queue;
    while (this.head < queue.length && queue[this.head]!.at <= now) {
      queue[this.head++]!.wake();
    }
    if (this.head === queue.length) {
      queue.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024) {
        queue.splice(0, this.head);
        this.head = 0;
      }
      this.arm();
    }
  };

  private arm(): void {
    const delay = Math.max(0, Math.ceil(this.queue[this.head]!.at - this.clock()));
    // Kept referenced: a client's call may wait before any socket holds the process open.
    this.timer = setTimeout(this.release, delay);
  }
}
