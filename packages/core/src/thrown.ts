/**
 * Anything thrown — an Error of any realm, a string, a plain object — as the text, Error or
 * RpcxError a caller sees. The one place client, server and transport turn a throw into words.
 */
import { type ErrorCode, isRpcxError, RpcxError } from './errors.js';

/**
 * The message of anything thrown. Duck-typed rather than `instanceof Error`, which is false for
 * errors from another realm (a vm context, a test sandbox).
 */
export function messageOf(thrown: unknown): string {
  if (isErrorLike(thrown)) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  try {
    return String(thrown);
  } catch {
    return 'unknown error';
  }
}

/** Whether `value` looks like an Error (any realm). */
export function isErrorLike(value: unknown): value is Error {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/** `thrown` itself when it looks like an Error, else an Error with its text. */
export function asError(thrown: unknown): Error {
  return isErrorLike(thrown) ? thrown : new Error(messageOf(thrown));
}

/** `thrown` itself when it is an RpcxError, else one with `code`, the original as cause. */
export function asRpcxError(thrown: unknown, code: ErrorCode): RpcxError {
  if (isRpcxError(thrown)) return thrown;
  return new RpcxError(code, messageOf(thrown), { cause: thrown });
}
