/**
 * Go's `RateLimitingPlugin(fillInterval, capacity)` (spec §3.14): a token bucket on **new
 * connections** — one token per `fillIntervalMs`, at most `capacity` (the burst); it starts full.
 * A connection that finds no token is closed right after accept, before it is served, as Go
 * closes it. Requests on connections already accepted are not limited (see ReqRateLimitingPlugin).
 *
 *   new Server({ plugins: [new RateLimitingPlugin({ fillIntervalMs: 100, capacity: 20 })] });
 */
import { type ServerPlugin, TokenBucket } from '@rpcx/core';

export interface RateLimitingOptions {
  /** One more connection may be accepted every `fillIntervalMs`. */
  readonly fillIntervalMs: number;
  /** The burst: connections accepted at once from a full bucket. */
  readonly capacity: number;
  /** Monotonic milliseconds (tests inject one). Default `performance.now()`. */
  readonly clock?: () => number;
}

export class RateLimitingPlugin implements ServerPlugin {
  readonly name = 'RateLimitingPlugin';
  readonly bucket: TokenBucket;

  constructor(options: RateLimitingOptions) {
    this.bucket = new TokenBucket(options);
  }

  postConnAccept(): boolean {
    return this.bucket.tryTake();
  }
}
