/**
 * Internal: the one way a codec fails. Callers only ever see `RpcxError(Codec)`, whatever the
 * underlying library threw, with the library's message kept (Go reports its codec's own text too).
 */
import { ErrorCode, isRpcxError, RpcxError } from '@rpcx/core';

/** Wraps `error` as `RpcxError(Codec)`, prefixed with the codec's name; codec errors pass as-is. */
export function codecError(codecName: string, error: unknown): RpcxError {
  if (isRpcxError(error, ErrorCode.Codec)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RpcxError(ErrorCode.Codec, `${codecName}: ${message}`, { cause: error });
}

/** A short description of a value's type for error messages: `null`, `string`, `object Foo`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? `object ${name}` : 'object';
}
