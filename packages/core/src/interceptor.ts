/**
 * Interceptor chains, the shape of connect-es: an interceptor takes the next handler and returns
 * a handler. Client and server each define what their handler is; the chain is built the same
 * way on both sides.
 */

/** Wraps the rest of a chain whose handlers have type `H`. */
export type Interceptor<H> = (next: H) => H;

/**
 * `interceptors[0]` outermost, `handler` innermost. With no interceptors the chain is the
 * handler itself: nothing beside it to keep in step.
 */
export function chainInterceptors<H>(interceptors: readonly Interceptor<H>[], handler: H): H {
  let next = handler;
  for (let i = interceptors.length - 1; i >= 0; i--) next = interceptors[i]!(next);
  return next;
}
