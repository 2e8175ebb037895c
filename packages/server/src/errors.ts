/**
 * The error texts a Go rpcx server puts on the wire (spec §3.4), worded once. Clients — Go's and
 * ours — see only these strings, in the `__rpcx_error__` metadata of an error response.
 */
import { ErrorCode, isRpcxError, RATE_LIMIT_TEXT, RpcxError, SHUTTING_DOWN_TEXT } from '@rpcx/core';

export function serviceNotFound(servicePath: string): RpcxError {
  return new RpcxError(ErrorCode.ServiceError, `rpcx: can't find service ${servicePath}`);
}

export function methodNotFound(serviceMethod: string): RpcxError {
  return new RpcxError(ErrorCode.ServiceError, `rpcx: can't find method ${serviceMethod}`);
}

export function codecNotFound(serializeType: number): RpcxError {
  return new RpcxError(ErrorCode.Codec, `can not find codec for ${serializeType}`);
}

/** Go's `ErrReqReachLimit` text; a PostReadRequest plugin may also throw an error with it. */
/** Answer to requests that arrive while the server drains for shutdown (Go drops them silently). */
export { RATE_LIMIT_TEXT, SHUTTING_DOWN_TEXT };

export function shuttingDown(): RpcxError {
  return new RpcxError(ErrorCode.Shutdown, SHUTTING_DOWN_TEXT);
}

/** Whether a PostReadRequest rejection is a rate limit, answered without closing (as Go). */
export function isRateLimit(error: unknown): boolean {
  return (
    isRpcxError(error, ErrorCode.RateLimited) ||
    (error instanceof Error && error.message === RATE_LIMIT_TEXT)
  );
}

/** A registration mistake; never reaches the wire. */
export function registrationError(message: string): RpcxError {
  return new RpcxError(ErrorCode.InvalidArgument, message);
}
