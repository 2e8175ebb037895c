/**
 * Go's `AuthFunc` (spec §3.7) as the outermost interceptor: every request but heartbeats shows
 * its `__AUTH` token (and its connection, with the verified client certificate) before anything
 * else runs. What `auth` returns is the call's `principal`. A refusal is answered with its error
 * text and then closes the connection, as Go does.
 */
import { asError, ErrorCode, MetadataKey, RpcxError } from '@rpcx/core';
import { Exchange } from './exchange.js';
import { isThenable, type ServerInterceptor } from './interceptor.js';
import type { AuthFunction } from './types.js';

export function authInterceptor(auth: AuthFunction): ServerInterceptor {
  return (next) => (call) => {
    const request = call.request;
    let verdict: unknown;
    try {
      verdict = auth(request.metadata[MetadataKey.Auth] ?? '', request, call.connection);
    } catch (error) {
      throw refused(call, error);
    }
    if (!isThenable(verdict)) {
      call.principal = verdict;
      return next(call);
    }
    return Promise.resolve(verdict).then(
      (principal) => {
        call.principal = principal;
        return next(call);
      },
      (error: unknown) => {
        throw refused(call, error);
      },
    );
  };
}

/** The refusal as the client sees it; the connection closes once it is answered. */
function refused(call: unknown, thrown: unknown): Error {
  const failure = asError(thrown);
  if (call instanceof Exchange) {
    call.closeAfterResponse = new RpcxError(
      ErrorCode.Unauthenticated,
      `auth failed: ${failure.message}`,
      { cause: thrown },
    );
  }
  return failure;
}
