/** The one place where socket and TLS failures become `RpcxError` codes. */
import { ErrorCode, isRpcxError, RpcxError } from '@rpcx/core';

/** Local set-up mistakes: retrying elsewhere will not help. */
const setupErrors = new Set(['EADDRINUSE', 'EACCES', 'EINVAL', 'ERR_INVALID_ARG_VALUE']);

/**
 * Maps an error from a socket, a dial, a listen or a TLS handshake to an RpcxError, keeping the
 * original as `cause`. `context` says what was being done, e.g. `dial tcp@127.0.0.1:8972`.
 * Everything that is not a cancellation or a local set-up mistake — refused, reset, EOF, timeouts,
 * unreachable hosts, TLS failures — is `unavailable`: another attempt or server may work.
 */
export function toRpcxError(error: unknown, context: string): RpcxError {
  if (isRpcxError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Duck-typed: errors from Node core may come from another realm (e.g. under jest).
  const message =
    typeof (error as Error | undefined)?.message === 'string'
      ? (error as Error).message
      : String(error);
  if (code === 'ABORT_ERR') {
    return new RpcxError(ErrorCode.Canceled, `${context}: canceled`, { cause: error });
  }
  const errorCode =
    code !== undefined && setupErrors.has(code) ? ErrorCode.InvalidArgument : ErrorCode.Unavailable;
  return new RpcxError(errorCode, `${context}: ${message}`, { cause: error });
}
