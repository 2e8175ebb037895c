/**
 * Go rpcx's `serverplugin.RedisRateLimitingPlugin(addrs, rate, burst, period)` (spec §3.14): in
 * `postReadRequest`, each request draws one event from the GCRA limit of
 * `servicePath + "/" + serviceMethod` in Redis (key `rate:Service/Method`, redis_rate v10); a
 * refused request is answered with Go's `request reached rate limit` and the connection stays
 * open. Go rpcx servers and TS servers on the same Redis with the same limit share its budget.
 * Heartbeats are not limited.
 *
 *   const limiter = new RedisRateLimiter({ url: 'redis://127.0.0.1:6379', limit: perSecond(100) });
 *   new Server({ plugins: [new RedisRateLimitingPlugin({ limiter })] });
 *
 * When Redis fails, Go returns the error from PostReadRequest, which closes the connection without
 * an answer. Here `onRedisError` decides: `'allow'` (default: the request goes on — a Redis outage
 * does not become a service outage), `'reject'` (answered as rate limited) or `'close'` (Go's).
 */
import type { ConnectionInfo, RpcxMessage, ServerPlugin } from '@rpcx/core';
import { RedisVerdict } from './redis-verdict.js';

export class RedisRateLimitingPlugin extends RedisVerdict implements ServerPlugin {
  readonly name = 'RedisRateLimitingPlugin';

  postReadRequest(_conn: ConnectionInfo, request: RpcxMessage | undefined): Promise<void> | void {
    if (request === undefined || request.heartbeat) return;
    return this.check(request.servicePath, request.serviceMethod);
  }
}
