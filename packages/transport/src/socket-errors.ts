/** The one place where socket and TLS failures become `RpcxError` codes. */
import { ErrorCode, isRpcxError, RpcxError } from '@rpcx/core';

/** Local set-up mistakes: retrying elsewhere will not help. */
const setupErrors = new Set(['EADDRINUSE', 'EACCES', 'EINVAL', 'ERR_INVALID_ARG_VALUE']);

/**
 * TLS alerts by which the peer refuses our certificate, or says that it wants one (mutual TLS):
 * `unauthenticated`, not retried — another attempt with the same certificate fails the same way.
 */
const certificateAlerts = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
  'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
]);

/**
 * Maps an error from a socket, a dial, a listen or a TLS handshake to an RpcxError, keeping the
 * original as `cause`. `context` says what was being done, e.g. `dial tcp@127.0.0.1:8972`.
 * Everything that is not a cancellation or a local set-up mistake — refused, reset, EOF, timeouts,
 * unreachable hosts, TLS failures — is `unavailable`: another attempt or server may work; but a
 * certificate refused at the TLS handshake (or not sent when the peer wants one) is
 * `unauthenticated`. OpenSSL's errors are worded by their reason (`tlsv13 alert certificate
 * required`), not OpenSSL's dump of file names and codes.
 */
export function toRpcxError(error: unknown, context: string): RpcxError {
  if (isRpcxError(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Duck-typed: errors from Node core may come from another realm (e.g. under jest).
  const reason = (error as { reason?: unknown } | undefined)?.reason;
  const message =
    code?.startsWith('ERR_SSL_') && typeof reason === 'string'
      ? reason
      : typeof (error as Error | undefined)?.message === 'string'
        ? (error as Error).message
        : String(error);
  if (code === 'ABORT_ERR') {
    return new RpcxError(ErrorCode.Canceled, `${context}: canceled`, { cause: error });
  }
  if (code !== undefined && certificateAlerts.has(code)) {
    return new RpcxError(ErrorCode.Unauthenticated, `${context}: certificate refused: ${message}`, {
      cause: error,
    });
  }
  const errorCode =
    code !== undefined && setupErrors.has(code) ? ErrorCode.InvalidArgument : ErrorCode.Unavailable;
  return new RpcxError(errorCode, `${context}: ${message}`, { cause: error });
}
