/**
 * The client's call path as an interceptor chain: plugins' `preCall`/`postCall` come in as one
 * interceptor, then the `interceptors` option; the innermost handler sends the call. XClient's
 * retries and breakers are interceptors too.
 */
import type { Interceptor } from '@rpcx/core';
import type { ClientCall } from './call.js';

/** Sends a call on and settles with its result. */
export type CallHandler = (call: ClientCall) => Promise<unknown>;

/**
 * Wraps the rest of the chain. Pass `next` the call you were given (its `args` may be replaced);
 * calling `next` again retries the call.
 */
export type ClientInterceptor = Interceptor<CallHandler>;
