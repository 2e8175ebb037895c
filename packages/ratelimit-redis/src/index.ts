export { GCRA_SCRIPT, GCRA_SCRIPT_SHA1, REDIS_RATE_PREFIX } from './gcra-script.js';
export {
  type GcraResult,
  perHour,
  perMinute,
  perSecond,
  type RedisLimit,
  RedisRateLimiter,
  type RedisRateLimiterOptions,
  type RedisScripting,
} from './redis-rate-limiter.js';
export { RedisRateLimitingClientPlugin } from './redis-rate-limiting-client-plugin.js';
export { RedisRateLimitingPlugin } from './redis-rate-limiting-plugin.js';
export type { RedisErrorPolicy, RedisRateLimitingOptions } from './redis-verdict.js';
