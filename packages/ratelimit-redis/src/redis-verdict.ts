/**
 * The base of the server and the client plugin: one event of `servicePath/serviceMethod` drawn
 * from the limiter, Go's rate limit error when it is refused, and the `onRedisError` policy when
 * Redis fails (reported through a rate-limited logger).
 */
import { type Logger, messageOf, rateLimited, WarningLimiter } from '@rpcx/core';
import type { RedisRateLimiter } from './redis-rate-limiter.js';

/** What a request or call gets when Redis fails: go on, be refused, or Go's error. */
export type RedisErrorPolicy = 'allow' | 'reject' | 'close';

export interface RedisRateLimitingOptions {
  readonly limiter: RedisRateLimiter;
  /** What a request gets when Redis fails. Default `'allow'`. */
  readonly onRedisError?: RedisErrorPolicy;
  /** Where Redis failures are reported (rate-limited: 10 lines a second). Default: nowhere. */
  readonly logger?: Logger;
}

export class RedisVerdict {
  readonly limiter: RedisRateLimiter;
  private readonly policy: RedisErrorPolicy;
  private readonly warnings: WarningLimiter | undefined;

  constructor(options: RedisRateLimitingOptions) {
    this.limiter = options.limiter;
    this.policy = options.onRedisError ?? 'allow';
    this.warnings = options.logger === undefined ? undefined : new WarningLimiter(options.logger);
  }

  /** Draws one event of `servicePath/serviceMethod`; rejects with Go's error when refused. */
  async check(servicePath: string, serviceMethod: string): Promise<void> {
    const key = `${servicePath}/${serviceMethod}`;
    let allowed: number;
    try {
      ({ allowed } = await this.limiter.allow(key));
    } catch (error) {
      this.warnings?.warn(`rpcx: redis rate limiter: ${messageOf(error)}`, {
        key,
        policy: this.policy,
      });
      if (this.policy === 'allow') return;
      if (this.policy === 'reject') throw rateLimited();
      throw error;
    }
    if (allowed <= 0) throw rateLimited();
  }
}
