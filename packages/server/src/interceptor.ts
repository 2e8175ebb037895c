/**
 * The server's call path as an interceptor chain: auth, then the plugins' `preHandleRequest`/
 * `preCall`/`postCall` as one interceptor, then the `interceptors` option; the innermost handler
 * invokes the registered method.
 */
import type { Interceptor } from '@rpcx/core';
import type { ServerCall } from './types.js';

/** Handles a call: returns the reply, or a promise of it; throws (or rejects) to fail it. */
export type ServerHandler = (call: ServerCall) => unknown;

export type ServerInterceptor = Interceptor<ServerHandler>;

/** Whether a result must be awaited. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
