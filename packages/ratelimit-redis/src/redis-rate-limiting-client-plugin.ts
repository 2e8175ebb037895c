/**
 * Go rpcx's `clientplugin.RedisRateLimitingPlugin` (spec §3.14), the client-side twin of the
 * server plugin: in `preCall`, each call (each attempt of an XClient, as Go's PreCall) draws one
 * event from the GCRA limit of `servicePath + "/" + serviceMethod` in Redis; a refused call fails
 * with Go's `request reached rate limit` (code `RateLimited`, never retried) and nothing is sent.
 * Go clients, TS clients and servers on the same Redis, key and limit share one budget.
 *
 *   const limiter = new RedisRateLimiter({ url: 'redis://127.0.0.1:6379', limit: perMinute(600) });
 *   new XClient({ servicePath: 'Arith', discovery,
 *                 plugins: [new RedisRateLimitingClientPlugin({ limiter })] });
 *
 * `onRedisError`: `'allow'` (default: the call goes on), `'reject'` (fails as rate limited) or
 * `'close'` (fails with the Redis error, as Go's).
 */
import type { CallInfo, ClientPlugin } from '@rpcx/core';
import { RedisVerdict } from './redis-verdict.js';

export class RedisRateLimitingClientPlugin extends RedisVerdict implements ClientPlugin {
  readonly name = 'RedisRateLimitingClientPlugin';

  preCall(call: CallInfo): Promise<void> {
    return this.check(call.servicePath, call.serviceMethod);
  }
}
