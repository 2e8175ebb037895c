/**
 * A client-side rate limiter as an interceptor: the token buckets of the server's
 * ReqRateLimitingPlugin (RequestLimits in @rpcx/core) in front of the calls of one Client or
 * XClient — an overall limit and/or limits per `"Service.Method"`. A call with no token fails at
 * once with Go's text `request reached rate limit` (code `RateLimited`, nothing is sent), or with
 * `block: true` waits for its token and then goes on.
 *
 * A waiting call honours its options: it is never made to wait past its `timeoutMs` (a call that
 * would is refused at once instead), and an abort ends the wait (the call then fails as aborted).
 * As the outermost interceptor of an XClient, one token is taken per call, not per retry.
 *
 *   new Client({ address, interceptors: [rateLimitInterceptor({ fillIntervalMs: 10, capacity: 50 })] });
 *   rateLimitInterceptor({ methods: { 'Arith.Mul': { fillIntervalMs: 100, capacity: 5, block: true } } });
 */
import { RequestLimits, type RequestLimitsOptions } from '@rpcx/core';
import type { ClientCall } from './call.js';
import type { CallHandler, ClientInterceptor } from './interceptor.js';

export type ClientRateLimitOptions = RequestLimitsOptions;

export function rateLimitInterceptor(options: ClientRateLimitOptions): ClientInterceptor {
  const limits = new RequestLimits(options, 'rateLimitInterceptor');
  return (next: CallHandler) => (call: ClientCall) => {
    const waiting = limits.acquire(call.servicePath, call.serviceMethod, call.options.timeoutMs);
    if (waiting === undefined) return next(call);
    return untilAborted(waiting, call.options.signal).then(() => next(call));
  };
}

/** `waiting`, or less if `signal` aborts first (the call then fails as aborted when it starts). */
function untilAborted(waiting: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return waiting;
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done);
    waiting.then(done, (error: unknown) => {
      signal.removeEventListener('abort', done);
      reject(error);
    });
  });
}
