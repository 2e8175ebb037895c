/**
 * The distributed limiter of Go rpcx's RedisRateLimitingPlugin: go-redis/redis_rate v10's GCRA
 * (generic cell rate algorithm) run as a Lua script in Redis, so every server and client that
 * uses the same Redis, key and limit draws from one budget — TS and Go alike (gcra-script.ts).
 *
 *   const limiter = new RedisRateLimiter({ url: 'redis://127.0.0.1:6379',
 *                                          limit: { rate: 100, burst: 100, periodMs: 1000 } });
 *   const { allowed, retryAfterMs } = await limiter.allow('Arith/Mul');   // key rate:Arith/Mul
 *   await limiter.close();
 *
 * `limit` is redis_rate's `Limit`: `rate` events per `periodMs`, at most `burst` at once. The
 * stored value of a key is the theoretical arrival time; a refused event changes nothing.
 *
 * Redis: pass a node-redis client or cluster you created and connected (`redis`), or a `url` —
 * then the limiter makes its own client, connects it on first use and closes it in `close()`.
 * Any object with node-redis's `evalSha`/`eval` signatures fits `redis`.
 */

import { createClient } from '@redis/client';
import { ErrorCode, RpcxError } from '@rpcx/core';
import { GCRA_SCRIPT, GCRA_SCRIPT_SHA1, REDIS_RATE_PREFIX } from './gcra-script.js';

/** redis_rate's `Limit`: `rate` events per `periodMs`, bursts of up to `burst`. */
export interface RedisLimit {
  readonly rate: number;
  readonly burst: number;
  readonly periodMs: number;
}

/** redis_rate's `PerSecond(rate)`: burst = rate. */
export function perSecond(rate: number): RedisLimit {
  return { rate, burst: rate, periodMs: 1000 };
}

/** redis_rate's `PerMinute(rate)`: burst = rate. */
export function perMinute(rate: number): RedisLimit {
  return { rate, burst: rate, periodMs: 60_000 };
}

/** redis_rate's `PerHour(rate)`: burst = rate. */
export function perHour(rate: number): RedisLimit {
  return { rate, burst: rate, periodMs: 3_600_000 };
}

/** What the limiter needs of a Redis client: node-redis's `evalSha` and `eval`. */
export interface RedisScripting {
  evalSha(sha1: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** redis_rate's `Result`. */
export interface GcraResult {
  /** Events allowed now: the cost asked for, or 0. */
  readonly allowed: number;
  /** Events that could still be allowed at once. */
  readonly remaining: number;
  /** When the next event will be allowed (ms); -1 when this one was. */
  readonly retryAfterMs: number;
  /** When the limit is back to its initial state (ms). */
  readonly resetAfterMs: number;
}

export interface RedisRateLimiterOptions {
  /** A node-redis client or cluster, created and connected by you (closed by you). */
  readonly redis?: RedisScripting;
  /** Or a Redis URL (`redis://127.0.0.1:6379`): the limiter's own client, closed by `close()`. */
  readonly url?: string;
  readonly limit: RedisLimit;
  /** Key prefix. Default redis_rate's `rate:` (keep it to share budgets with Go). */
  readonly prefix?: string;
}

function ownClient(url: string) {
  return createClient({ url });
}
type OwnClient = ReturnType<typeof ownClient>;

export class RedisRateLimiter {
  readonly limit: RedisLimit;
  readonly prefix: string;
  /** ARGV: burst, rate, period in seconds (the cost is added per call). */
  private readonly args: readonly string[];
  private readonly given: RedisScripting | undefined;
  private own: OwnClient | undefined;
  private connecting: Promise<unknown> | undefined;
  /** The last error of the limiter's own client (node-redis reconnects by itself). */
  lastClientError: Error | undefined;

  constructor(options: RedisRateLimiterOptions) {
    const { rate, burst, periodMs } = options.limit;
    if (!(rate > 0) || !(burst >= 0) || !(periodMs > 0)) {
      throw new RpcxError(
        ErrorCode.InvalidArgument,
        'RedisRateLimiter: the limit needs rate > 0, burst >= 0 and periodMs > 0',
      );
    }
    if ((options.redis === undefined) === (options.url === undefined)) {
      throw new RpcxError(ErrorCode.InvalidArgument, 'RedisRateLimiter: give either redis or url');
    }
    this.limit = options.limit;
    this.prefix = options.prefix ?? REDIS_RATE_PREFIX;
    this.args = [String(burst), String(rate), String(periodMs / 1000)];
    this.given = options.redis;
    if (options.url !== undefined) {
      const own = ownClient(options.url);
      // Without a listener an 'error' event would crash the process; node-redis reconnects.
      own.on('error', (error: Error) => {
        this.lastClientError = error;
      });
      this.own = own;
    }
  }

  /** redis_rate's `AllowN(key, limit, n)`: may `n` events (default 1) named `key` happen now? */
  async allow(key: string, n = 1): Promise<GcraResult> {
    const redis = this.given ?? (await this.ownClient());
    const options = { keys: [this.prefix + key], arguments: [...this.args, String(n)] };
    let reply: unknown;
    try {
      reply = await redis.evalSha(GCRA_SCRIPT_SHA1, options);
    } catch (error) {
      // go-redis's Script.Run: a script Redis has not cached yet is sent whole.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      reply = await redis.eval(GCRA_SCRIPT, options);
    }
    return parseReply(reply);
  }

  /** Closes the limiter's own client (from `url`); a client passed in is left alone. */
  async close(): Promise<void> {
    const own = this.own;
    this.own = undefined;
    if (own === undefined) return;
    await this.connecting?.catch(() => {});
    if (own.isOpen) await own.close();
  }

  private async ownClient(): Promise<RedisScripting> {
    const own = this.own;
    if (own === undefined) throw new RpcxError(ErrorCode.Shutdown, 'RedisRateLimiter: closed');
    if (!own.isOpen) this.connecting ??= own.connect();
    await this.connecting;
    return own as unknown as RedisScripting;
  }
}

function parseReply(reply: unknown): GcraResult {
  if (!Array.isArray(reply) || reply.length !== 4) {
    throw new RpcxError(
      ErrorCode.Internal,
      `RedisRateLimiter: unexpected script reply ${String(reply)}`,
    );
  }
  return {
    allowed: Number(reply[0]),
    remaining: Number(reply[1]),
    retryAfterMs: durationMs(reply[2]),
    resetAfterMs: durationMs(reply[3]),
  };
}

/** redis_rate's `dur`: seconds as Lua printed them; -1 stays -1. */
function durationMs(value: unknown): number {
  const seconds = Number(value);
  return seconds === -1 ? -1 : seconds * 1000;
}
