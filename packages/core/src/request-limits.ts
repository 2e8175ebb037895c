/**
 * The request limits of one server or client: an optional limit for everything and optional
 * limits per `"Service.Method"` (each a RequestLimiter). A request for a method with its own limit
 * takes a token from that limit first, then from the overall one. Used by the server's
 * ReqRateLimitingPlugin and the client's rate limit interceptor.
 *
 *   new RequestLimits({ fillIntervalMs: 1, capacity: 1000,
 *                       methods: { 'Arith.Mul': { fillIntervalMs: 100, capacity: 5, block: true } } }, 'owner');
 */
import { monotonicNow } from './deadline-queue.js';
import { ErrorCode, RpcxError } from './errors.js';
import { type RateLimit, RequestLimiter } from './request-limiter.js';

export interface RequestLimitsOptions extends Partial<RateLimit> {
  /** Limits per `"Service.Method"` (split at the last dot), on top of the overall one. */
  readonly methods?: Readonly<Record<string, RateLimit>>;
  /** Monotonic milliseconds (tests inject one). Default `performance.now()`. */
  readonly clock?: () => number;
}

export class RequestLimits {
  /** The overall limiter, if the options set one (`fillIntervalMs` and `capacity`). */
  readonly overall: RequestLimiter | undefined;
  /** servicePath → serviceMethod → limiter: looked up without building a key per request. */
  private readonly methods: Map<string, Map<string, RequestLimiter>> | undefined;

  /** `owner` names the plugin or interceptor in the errors of bad options. */
  constructor(options: RequestLimitsOptions, owner: string) {
    const { fillIntervalMs, capacity, clock = monotonicNow } = options;
    if ((fillIntervalMs === undefined) !== (capacity === undefined)) {
      throw invalid(owner, 'an overall limit needs both fillIntervalMs and capacity');
    }
    if (fillIntervalMs !== undefined && capacity !== undefined) {
      this.overall = new RequestLimiter({ ...options, fillIntervalMs, capacity }, clock);
    }
    const entries = Object.entries(options.methods ?? {});
    if (entries.length > 0) {
      this.methods = new Map();
      for (const [name, limit] of entries) {
        const dot = name.lastIndexOf('.');
        if (dot <= 0 || dot === name.length - 1) {
          throw invalid(owner, `method limit "${name}" is not "Service.Method"`);
        }
        const servicePath = name.slice(0, dot);
        let byMethod = this.methods.get(servicePath);
        if (byMethod === undefined) {
          byMethod = new Map();
          this.methods.set(servicePath, byMethod);
        }
        byMethod.set(name.slice(dot + 1), new RequestLimiter(limit, clock));
      }
    }
    if (this.overall === undefined && this.methods === undefined) {
      throw invalid(owner, 'no limit given');
    }
  }

  /** The limiter of one method, if `methods` named it. */
  method(servicePath: string, serviceMethod: string): RequestLimiter | undefined {
    return this.methods?.get(servicePath)?.get(serviceMethod);
  }

  /**
   * Takes the tokens of one request: `undefined` when it may go on now, a promise that resolves
   * when it may (blocking limits), or throws Go's `request reached rate limit` (`RateLimited`).
   */
  acquire(
    servicePath: string,
    serviceMethod: string,
    maxWaitMs?: number,
  ): Promise<void> | undefined {
    const overall = this.overall;
    const method = this.methods?.get(servicePath)?.get(serviceMethod);
    if (method === undefined) return overall?.acquire(maxWaitMs);
    const waiting = method.acquire(maxWaitMs);
    if (overall === undefined) return waiting;
    if (waiting === undefined) return overall.acquire(maxWaitMs);
    return waiting.then(() => overall.acquire(maxWaitMs));
  }
}

function invalid(owner: string, what: string): RpcxError {
  return new RpcxError(ErrorCode.InvalidArgument, `${owner}: ${what}`);
}
