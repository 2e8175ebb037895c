/** Internal: anything thrown, as the RpcxError a caller sees. */
import { type ErrorCode, isRpcxError, RpcxError } from '@rpcx/core';

/** `error` itself when it is an RpcxError, else wrapped with `code`, the original as cause. */
export function asRpcxError(error: unknown, code: ErrorCode): RpcxError {
  if (isRpcxError(error)) return error;
  return new RpcxError(code, messageOf(error), { cause: error });
}

/**
 * The message of anything thrown. Duck-typed rather than `instanceof Error`, which is false for
 * errors from another realm (a vm context, a test sandbox).
 */
export function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

/** Whether `value` looks like an Error (any realm). */
export function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
