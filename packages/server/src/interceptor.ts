/**
 * The server's call path as an interceptor chain, the shape of connect-es: an interceptor takes
 * the next handler and returns a handler. The innermost handler invokes the registered method;
 * with no interceptors the chain is that handler, so there is nothing beside it to keep in step.
 * Auth and the plugins' `preHandleRequest`/`preCall`/`postCall` are interceptors too, outermost.
 */
import type { ServerCall } from './types.js';

/** Handles a call: returns the reply, or a promise of it; throws (or rejects) to fail it. */
export type ServerHandler = (call: ServerCall) => unknown;

export type ServerInterceptor = (next: ServerHandler) => ServerHandler;

/** `interceptors[0]` outermost, `handler` innermost; the handler itself when there are none. */
export function chainInterceptors(
  interceptors: readonly ServerInterceptor[],
  handler: ServerHandler,
): ServerHandler {
  let next = handler;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}

/** Whether a result must be awaited. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
