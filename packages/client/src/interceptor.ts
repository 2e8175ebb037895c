/**
 * The client's call path as an interceptor chain, the shape of connect-es: an interceptor takes
 * the next handler and returns a handler. With no interceptors the chain is the handler that
 * sends the call, so there is nothing beside it to keep in step. Plugins' `preCall`/`postCall`
 * come in as one interceptor; XClient's retries and breakers are interceptors too.
 */
import type { ClientCall } from './call.js';

/** Sends a call on and settles with its result. */
export type CallHandler = (call: ClientCall) => Promise<unknown>;

/**
 * Wraps the rest of the chain. Pass `next` the call you were given (its `args` may be replaced);
 * calling `next` again retries the call.
 */
export type ClientInterceptor = (next: CallHandler) => CallHandler;

/** `interceptors[0]` outermost, `handler` innermost; the handler itself when there are none. */
export function chainInterceptors(
  interceptors: readonly ClientInterceptor[],
  handler: CallHandler,
): CallHandler {
  let next = handler;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}
